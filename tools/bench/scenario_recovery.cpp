// recovery: builds a state directory of many jobs and measures an omxd
// starting on it: time until /v1/readyz answers 200, every job listed and
// readable, RSS (idle server vs. recovered server), overview latency.
// overview: GET /v1/monitor/overview latency on a running server.
#include "tools/bench/common.hpp"
#include "tools/bench/launcher.hpp"
#include "tools/bench/proc_sampler.hpp"
#include "tools/bench/report.hpp"
#include "tools/bench/stats.hpp"
#include "tools/bench/scenarios.hpp"
#include "tools/bench/state_gen.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>

namespace omx::bench {

namespace fs = std::filesystem;

namespace {

struct OverviewResult {
    Latencies latency;
    std::int64_t total = -1; // jobs.total of the last answer
    std::string error;
};

asio::awaitable<OverviewResult> measure_overview(const Url& url, int calls) {
    OverviewResult r;
    auto executor = co_await asio::this_coro::executor; // named, not in the co_await (GCC 12)
    Connection c(executor);
    auto raw = raw_request(url, "GET", "/v1/monitor/overview");
    Response res;
    for (int i = -10; i < calls; ++i) { // 10 unmeasured calls first
        auto t0 = Clock::now();
        bool ok = co_await call(c, url, raw, res);
        auto t1 = Clock::now();
        if (!ok || res.status != 200) {
            r.error = "overview: " + (ok ? "status " + std::to_string(res.status) : c.error());
            co_return r;
        }
        if (i >= 0) r.latency.add(t1 - t0);
    }
    boost::system::error_code ec;
    auto v = json::parse(res.body, ec);
    if (!ec) r.total = int_at(v, "/jobs/total", -1);
    co_return r;
}

// Polls the job until it is terminal; its final JSON or nullopt.
asio::awaitable<std::optional<json::value>> wait_terminal(Connection& c, const Url& url, const std::string& id,
                                                          Clock::time_point deadline, std::string& error) {
    for (;;) {
        auto job = co_await get_json(c, url, "/v1/jobs/" + id, error);
        if (!job) co_return std::nullopt;
        auto status = str_at(*job, "/status");
        if (status == "succeeded" || status == "failed" || status == "canceled") co_return job;
        if (Clock::now() > deadline) {
            error = "job " + id + " still " + status;
            co_return std::nullopt;
        }
        co_await sleep_for(std::chrono::milliseconds(20));
    }
}

// The pid of the job's running agent, once one runs.
asio::awaitable<std::optional<long>> wait_running_agent(Connection& c, const Url& url, const std::string& id,
                                                        Clock::time_point deadline, std::string& error) {
    for (;;) {
        auto team = co_await get_json(c, url, "/v1/jobs/" + id + "/team", error);
        if (!team) co_return std::nullopt;
        if (auto* tasks = find(*team, "/tasks"); tasks && tasks->is_array())
            for (auto& t : tasks->as_array())
                if (str_at(t, "/status") == "running" && int_at(t, "/pid", 0) > 0) co_return int_at(t, "/pid");
        if (Clock::now() > deadline) {
            error = "job " + id + ": no agent running in time";
            co_return std::nullopt;
        }
        co_await sleep_for(std::chrono::milliseconds(20));
    }
}

struct Templates {
    std::vector<JobTemplate> list; // succeeded, canceled, failed, waiting_approval[, running]
    std::string error;
};

// A throwaway omxd makes one real job per end state (and a running one).
asio::awaitable<Templates> make_templates(const Options& o, const fs::path& scratch,
                                          const std::vector<std::string>& base_args,
                                          const std::map<std::string, std::string>& env) {
    Templates out;
    auto state = scratch / "template-state";
    auto args = base_args;
    args.insert(args.end(), {"--state-dir", state.string(), "--fsync", "off"});
    ServerProcess server;
    try {
        server = start_server(o.omxd, args, env, (scratch / "template-omxd.log").string(), o.server_cpus);
    } catch (const std::exception& e) {
        out.error = e.what();
        co_return out;
    }
    std::string error;
    auto deadline = Clock::now() + std::chrono::seconds(60);
    if (!co_await wait_ready(server, deadline, error)) {
        out.error = "template server: " + error;
        stop_server(server, SIGKILL, std::chrono::seconds(5));
        co_return out;
    }
    auto url = *parse_url(server.url(), error);
    auto executor = co_await asio::this_coro::executor; // named, not in the co_await (GCC 12)
    Connection c(executor);
    json::object gate{{"requireApproval", true}};
    auto fail = [&](const std::string& what) {
        out.error = "template jobs: " + what + " (log " + (scratch / "template-omxd.log").string() + ")";
        out.list.clear();
    };
    std::string b_succeeded = job_body("bench template"), b_gated = job_body("bench template", gate),
                b_held = job_body("bench-hold template");
    std::optional<std::string> succeeded, canceled, failed, waiting, held;
    succeeded = co_await create_job(c, url, b_succeeded, error);
    if (succeeded) canceled = co_await create_job(c, url, b_gated, error);
    if (canceled) failed = co_await create_job(c, url, b_gated, error);
    if (failed) waiting = co_await create_job(c, url, b_gated, error);
    if (waiting && o.running > 0) held = co_await create_job(c, url, b_held, error);
    bool ok = waiting && (o.running == 0 || held);
    std::string empty_body;
    if (ok) {
        auto r = co_await post_json(c, url, "/v1/jobs/" + *canceled + "/actions/cancel", empty_body, error);
        ok = r && r->status == 200;
        if (r && !ok) error = "cancel: status " + std::to_string(r->status);
    }
    if (ok) {
        auto r = co_await post_json(c, url, "/v1/jobs/" + *failed + "/actions/reject", empty_body, error);
        ok = r && r->status == 200;
        if (r && !ok) error = "reject: status " + std::to_string(r->status);
    }
    if (ok) { // a change gives the waiting job its own log (new jobs start in the creation journal)
        std::string note = R"({"kind":"notice","to":"leader","message":"bench template"})";
        auto r = co_await post_json(c, url, "/v1/jobs/" + *waiting + "/team/mailbox", note, error);
        ok = r && r->status == 201;
        if (r && !ok) error = "mailbox: status " + std::to_string(r->status);
    }
    std::optional<json::value> done;
    if (ok) {
        done = co_await wait_terminal(c, url, *succeeded, deadline, error);
        ok = done.has_value();
        if (ok && str_at(*done, "/status") != "succeeded") {
            ok = false;
            error = "the instant-agent job ended " + str_at(*done, "/status") + ": " + str_at(*done, "/error");
        }
    }
    std::optional<long> agent;
    if (ok && held) {
        agent = co_await wait_running_agent(c, url, *held, deadline, error);
        ok = agent.has_value();
    }
    c.close();
    if (held) { // a crash in the middle of a running task
        stop_server(server, SIGKILL, std::chrono::seconds(5));
        if (agent) ::kill(static_cast<pid_t>(-*agent), SIGKILL);
    } else {
        stop_server(server, SIGTERM, std::chrono::seconds(30));
    }
    if (!ok) {
        fail(error);
        co_return out;
    }
    try {
        out.list.push_back(read_template(state, *succeeded, "succeeded"));
        out.list.push_back(read_template(state, *canceled, "canceled"));
        out.list.push_back(read_template(state, *failed, "failed"));
        out.list.push_back(read_template(state, *waiting, "waiting_approval"));
        if (held) out.list.push_back(read_template(state, *held, "running"));
    } catch (const std::exception& e) {
        fail(e.what());
    }
    co_return out;
}

struct ReadCheck {
    const Url& url;
    const std::vector<GeneratedJob>& jobs;
    std::size_t next = 0;
    std::size_t readable = 0;
    std::vector<std::string> errors;
    std::int64_t error_count = 0;
    WaitGroup group;
    void error(std::string e) {
        ++error_count;
        if (errors.size() < 5) errors.push_back(std::move(e));
    }
};

asio::awaitable<void> read_jobs(ReadCheck& r) {
    auto executor = co_await asio::this_coro::executor; // named, not in the co_await (GCC 12)
    Connection c(executor);
    std::string error;
    while (r.next < r.jobs.size()) {
        auto& job = r.jobs[r.next++];
        auto v = co_await get_json(c, r.url, "/v1/jobs/" + job.id, error);
        if (!v) {
            r.error(error);
            continue;
        }
        auto status = str_at(*v, "/status");
        if (job.status != "running" && status != job.status)
            r.error("job " + job.id + " is " + status + ", generated as " + job.status);
        else if (str_at(*v, "/task") != job.task)
            r.error("job " + job.id + " has task '" + str_at(*v, "/task") + "'");
        else
            ++r.readable;
    }
    r.group.done();
}

std::string make_scratch(const Options& o) {
    if (!o.scratch.empty()) {
        fs::create_directories(o.scratch);
        return fs::absolute(o.scratch).string();
    }
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/omx-bench-recovery-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp " + pattern + " failed");
    return pattern;
}

} // namespace

asio::awaitable<int> run_recovery(const Options& o) {
    Report report("recovery");
    raise_fd_limit();
    const int finished = o.jobs.value_or(100);
    std::string error;
    fs::path scratch;
    try {
        scratch = make_scratch(o);
    } catch (const std::exception& e) {
        report.error(e.what());
        co_return report.finish();
    }
    if (!fs::exists(o.omxd) || !fs::exists(o.agent)) {
        report.error("no omxd at " + o.omxd + " or no agent at " + o.agent + " (--omxd, --agent)");
        co_return report.finish();
    }
    std::vector<std::string> base_args{"--work-root", (scratch / "runs").string(), "--skip-clone", "--role", "all",
                                       "--max-agents", "16"};
    base_args.insert(base_args.end(), o.omxd_args.begin(), o.omxd_args.end());
    std::map<std::string, std::string> env{{"JOB_CLI_BIN", fs::absolute(o.agent).string()}};

    // 1. Templates from a real server, then the generated state directory.
    auto t_gen = Clock::now();
    auto templates = co_await make_templates(o, scratch, base_args, env);
    if (!templates.error.empty()) {
        report.error(templates.error);
        co_return report.finish();
    }
    std::vector<std::size_t> plan;
    for (int i = 0; i < finished; ++i) plan.push_back(i % 4 == 2 ? 1 : i % 4 == 3 ? 2 : 0); // 50 % succeeded
    for (int i = 0; i < o.waiting; ++i) plan.push_back(3);
    for (int i = 0; i < o.running; ++i) plan.push_back(4);
    std::shuffle(plan.begin(), plan.end(), std::mt19937(20260611));
    auto state = scratch / "state";
    std::vector<GeneratedJob> jobs;
    try {
        fs::create_directories(state);
        jobs = generate_jobs(state, templates.list, plan);
    } catch (const std::exception& e) {
        report.error(std::string("generating the state directory: ") + e.what());
        co_return report.finish();
    }
    // Written back before anything is measured: the start must not race the
    // kernel flushing the generated files (tens of MB) on the same core.
    ::sync();
    double generate_seconds = seconds_since(t_gen);
    report.say("generated " + std::to_string(jobs.size()) + " jobs (" + std::to_string(finished) + " finished, " +
               std::to_string(o.running) + " running, " + std::to_string(o.waiting) + " waiting) in " +
               std::to_string(generate_seconds).substr(0, 5) + " s under " + scratch.string());

    // 2. Idle RSS: the same server on an empty state directory.
    std::int64_t idle_rss = 0;
    {
        auto args = base_args;
        args.insert(args.end(), {"--state-dir", (scratch / "empty-state").string()});
        auto server = start_server(o.omxd, args, env, (scratch / "idle-omxd.log").string(), o.server_cpus);
        if (!co_await wait_ready(server, Clock::now() + std::chrono::seconds(30), error)) {
            report.error("idle server: " + error);
        } else {
            co_await sleep_for(std::chrono::milliseconds(300));
            if (auto s = read_proc(server.pid)) idle_rss = s->rss_kib;
        }
        stop_server(server, SIGTERM, std::chrono::seconds(20));
    }

    // 3. The server on the generated state: time to ready.
    auto args = base_args;
    args.insert(args.end(), {"--state-dir", state.string()});
    auto log_path = (scratch / "omxd.log").string();
    auto t0 = Clock::now();
    auto server = start_server(o.omxd, args, env, log_path, o.server_cpus);
    auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout));
    bool ready = co_await wait_ready(server, deadline, error);
    double ready_seconds = seconds_since(t0);
    if (!ready) {
        report.error(error);
        stop_server(server, SIGKILL, std::chrono::seconds(5));
        co_return report.finish();
    }
    auto ex = co_await asio::this_coro::executor;
    ProcSampler sampler(ex, server.pid);
    sampler.start();
    const std::int64_t ready_rss = sampler.last_rss();
    auto url = *parse_url(server.url(), error);

    // 4. Every job listed (cursor pages) and readable (GET each).
    auto t_list = Clock::now();
    std::set<std::string> listed;
    std::size_t listed_items = 0;
    {
        Connection c(ex);
        std::string cursor;
        for (int page = 0; page < 100000; ++page) {
            auto target = "/v1/jobs?limit=500" + (cursor.empty() ? std::string() : "&cursor=" + cursor);
            auto body = co_await get_json(c, url, target, error);
            if (!body) {
                report.error(error);
                break;
            }
            if (auto* items = find(*body, "/items"); items && items->is_array())
                for (auto& item : items->as_array()) {
                    listed.insert(str_at(item, "/id"));
                    ++listed_items;
                }
            cursor = str_at(*body, "/nextCursor");
            if (cursor.empty()) break;
        }
    }
    double list_seconds = seconds_since(t_list);
    std::size_t missing = 0;
    for (auto& j : jobs)
        if (!listed.count(j.id)) ++missing;
    if (missing) report.error(std::to_string(missing) + " generated jobs not listed");
    if (listed_items != listed.size()) report.error("the list repeated " + std::to_string(listed_items - listed.size()) + " jobs");

    auto t_read = Clock::now();
    ReadCheck check{url, jobs, 0, 0, {}, 0, WaitGroup(ex)};
    int readers = 8;
    check.group.add(readers);
    for (int i = 0; i < readers; ++i) asio::co_spawn(ex, read_jobs(check), asio::detached);
    co_await check.group.wait();
    double read_seconds = seconds_since(t_read);
    report.errors(check.error_count, check.errors, "read: ");

    // 5. The overview at this size.
    auto overview = co_await measure_overview(url, o.overview_calls);
    if (!overview.error.empty()) report.error(overview.error);
    else if (overview.total != static_cast<std::int64_t>(jobs.size()))
        report.error("overview counts " + std::to_string(overview.total) + " jobs, not " + std::to_string(jobs.size()));
    sampler.stop();

    auto t_stop = Clock::now();
    int status = stop_server(server, SIGTERM, std::chrono::seconds(30));
    double stop_seconds = seconds_since(t_stop);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        report.error("omxd did not stop cleanly on SIGTERM (log " + log_path + ")");

    auto ov = overview.latency.summary();
    double per_job = jobs.empty() || idle_rss == 0 ? 0 : static_cast<double>(ready_rss - idle_rss) * 1024.0 / static_cast<double>(jobs.size());
    report.json["jobs"] = jobs.size();
    report.json["finished"] = finished;
    report.json["running"] = o.running;
    report.json["waiting"] = o.waiting;
    report.json["generateSeconds"] = round_to(generate_seconds);
    report.json["readySeconds"] = round_to(ready_seconds);
    report.json["listed"] = listed.size();
    report.json["listSeconds"] = round_to(list_seconds);
    report.json["readable"] = check.readable;
    report.json["readSeconds"] = round_to(read_seconds);
    report.json["idleRssKiB"] = idle_rss;
    report.json["readyRssKiB"] = ready_rss;
    report.json["rssPerJobBytes"] = round_to(per_job, 1);
    report.json["overviewMs"] = ov.json();
    report.json["stopSeconds"] = round_to(stop_seconds);
    report.json["server"] = sampler.json();
    char buf[300];
    std::snprintf(buf, sizeof buf, "ready (readyz 200) %.3f s after the start on %zu jobs", ready_seconds, jobs.size());
    report.say(buf);
    std::snprintf(buf, sizeof buf, "listed %zu in %.3f s; %zu of %zu read back in %.3f s", listed.size(), list_seconds,
                  check.readable, jobs.size(), read_seconds);
    report.say(buf);
    std::snprintf(buf, sizeof buf, "RSS idle %lld KiB, after recovery %lld KiB (peak %lld): %.0f B per job",
                  static_cast<long long>(idle_rss), static_cast<long long>(ready_rss),
                  static_cast<long long>(sampler.peak_rss()), per_job);
    report.say(buf);
    report.say("overview " + ov.text());
    std::snprintf(buf, sizeof buf, "stopped (SIGTERM) in %.3f s", stop_seconds);
    report.say(buf);
    int rc = report.finish();
    if (!o.keep && rc == exit_ok && o.scratch.empty()) {
        std::error_code ec;
        fs::remove_all(scratch, ec);
    }
    co_return rc;
}

asio::awaitable<int> run_overview(const Options& o) {
    Report report("overview");
    std::string error;
    auto url = parse_url(o.url, error);
    if (!url) {
        report.error(error);
        co_return report.finish();
    }
    std::optional<ProcSampler> sampler;
    if (o.pid) {
        auto executor = co_await asio::this_coro::executor; // named, not in the co_await (GCC 12)
        sampler.emplace(executor, *o.pid);
        sampler->start();
    }
    auto r = co_await measure_overview(*url, o.overview_calls);
    if (sampler) {
        sampler->stop();
        report.json["server"] = sampler->json();
    }
    if (!r.error.empty()) report.error(r.error);
    report.json["url"] = o.url;
    report.json["calls"] = o.overview_calls;
    report.json["totalJobs"] = r.total;
    report.json["latencyMs"] = r.latency.summary().json();
    report.say("overview over " + std::to_string(r.total) + " jobs: " + r.latency.summary().text());
    co_return report.finish();
}

} // namespace omx::bench
