// get: GET /v1/jobs/{id} (or --path) on keep-alive connections; with
// --baseline-url, the same load against a bare server right after.
#include "tools/bench/common.hpp"
#include "tools/bench/load.hpp"
#include "tools/bench/report.hpp"
#include "tools/bench/scenarios.hpp"

#include <cstdio>

namespace omx::bench {

namespace {

std::string rate_line(const char* who, const LoadResult& r) {
    char buf[300];
    std::snprintf(buf, sizeof buf, "%s: %s req/s over %.2f s (%s requests), body %zu B, generator CPU %.0f %%", who,
                  with_thousands(r.rate()).c_str(), r.seconds, with_thousands(static_cast<double>(r.ok)).c_str(),
                  r.body_bytes, 100 * r.client_cpu_share());
    return buf;
}

void add_errors(Report& report, const LoadResult& r, const std::string& who) {
    report.errors(static_cast<std::int64_t>(r.errors), r.error_samples, who + ": ");
    if (r.ok == 0 && r.errors == 0) report.error(who + ": no answer within the measured window");
}

} // namespace

asio::awaitable<int> run_get(const Options& o) {
    Report report("get");
    std::string error;
    auto url = parse_url(o.url, error);
    if (!url) {
        report.error(error);
        co_return report.finish();
    }
    std::string target;
    if (o.path || o.bare) {
        target = o.path.value_or("/v1/jobs/bare"); // bare-server answers any GET
    } else {
        std::string id;
        if (o.job) {
            id = *o.job;
        } else { // a job that stays as it is: it waits for approval
            auto executor = co_await asio::this_coro::executor; // named, not in the co_await (GCC 12)
            Connection c(executor);
            auto body = job_body("bench get", {{"requireApproval", true}});
            auto created = co_await create_job(c, *url, body, error);
            if (!created) {
                report.error(error);
                co_return report.finish();
            }
            id = *created;
        }
        target = "/v1/jobs/" + id;
    }
    LoadSpec spec{*url, raw_request(*url, "GET", target), o.connections, o.warmup, o.duration, 200, o.pid};
    auto r = co_await run_load(spec);
    report.json["url"] = o.url;
    report.json["target"] = target;
    report.json["connections"] = o.connections;
    report.json["durationS"] = round_to(r.seconds);
    for (auto& [k, v] : r.json("reqPerSec")) report.json[k] = v;
    report.say(rate_line("server", r));
    report.say("latency " + r.latency.summary().text());
    if (r.client_cpu_share() > 0.9)
        report.say("warning: the generator used " + std::to_string(int(100 * r.client_cpu_share())) +
                   " % of a core: the figure may be the generator's limit");
    add_errors(report, r, "server");

    if (!o.baseline_url.empty()) {
        auto base = parse_url(o.baseline_url, error);
        if (!base) {
            report.error(error);
            co_return report.finish();
        }
        LoadSpec bspec{*base, raw_request(*base, "GET", target), o.connections, o.warmup, o.duration, 200,
                       o.baseline_pid};
        auto b = co_await run_load(bspec);
        auto bj = b.json("reqPerSec");
        bj["url"] = o.baseline_url;
        report.json["baseline"] = bj;
        double ratio = b.rate() > 0 ? r.rate() / b.rate() : 0;
        report.json["ratio"] = round_to(ratio);
        report.say(rate_line("baseline", b));
        report.say("baseline latency " + b.latency.summary().text());
        char buf[80];
        std::snprintf(buf, sizeof buf, "ratio server/baseline: %.3f", ratio);
        report.say(buf);
        add_errors(report, b, "baseline");
    }
    co_return report.finish();
}

asio::awaitable<int> run_create(const Options& o) {
    Report report("create");
    std::string error;
    auto url = parse_url(o.url, error);
    if (!url) {
        report.error(error);
        co_return report.finish();
    }
    auto body = job_body("bench");
    LoadSpec spec{*url, raw_request(*url, "POST", "/v1/jobs", body), o.connections, o.warmup, o.duration, 201,
                  o.pid};
    auto r = co_await run_load(spec);
    report.json["url"] = o.url;
    report.json["connections"] = o.connections;
    report.json["durationS"] = round_to(r.seconds);
    auto j = r.json("jobsPerSec");
    j["jobs"] = j["requests"];
    j.erase("requests");
    for (auto& [k, v] : j) report.json[k] = v;
    char buf[300];
    std::snprintf(buf, sizeof buf, "%s jobs/s over %.2f s (%s jobs created), generator CPU %.0f %%",
                  with_thousands(r.rate()).c_str(), r.seconds, with_thousands(static_cast<double>(r.ok)).c_str(),
                  100 * r.client_cpu_share());
    report.say(buf);
    report.say("latency " + r.latency.summary().text());
    add_errors(report, r, "create");
    co_return report.finish();
}

} // namespace omx::bench
