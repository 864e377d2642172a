// sse: S subscribers on one job's event stream; once all are connected and
// have read the replay, a publisher posts M mailbox messages one after the
// other (each becomes a `team.mailbox.received` event) and, for each, the time
// from sending the POST until the last subscriber has the event is measured.
// --bare targets bare-server's /events and /publish instead.
#include "tools/bench/common.hpp"
#include "tools/bench/proc_sampler.hpp"
#include "tools/bench/report.hpp"
#include "tools/bench/stats.hpp"
#include "tools/bench/scenarios.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <cstdio>

namespace omx::bench {

namespace {

constexpr int max_connecting = 256; // connects in flight (the server's accept backlog)
constexpr std::size_t subscriber_buffer = 4096;

struct Spec {
    Url url;
    bool bare = false;
    std::string job;             // omxd: the job whose events are watched
    std::uint64_t replay_seq = 0; // the last event before the subscribers connect
    int subscribers = 0;
    int events = 0;
    int frame_bytes = 590;
    std::optional<int> pid;
};

struct Result {
    int ready = 0;    // subscribers connected with their replay read
    int held = 0;     // still connected after the last event
    int dropped = 0;  // connected, then lost before the end
    int failed = 0;   // never connected
    double connect_seconds = 0;
    double client_cpu_share = 0; // this process's CPU over the publishing phase
    Latencies latency;
    std::optional<std::int64_t> rss_per_subscriber; // bytes
    std::optional<json::object> server;
    std::vector<std::string> errors;
    std::int64_t error_count = 0;
    json::object json() const;
};

json::object Result::json() const {
    json::object o{{"connected", ready},
                   {"held", held},
                   {"dropped", dropped},
                   {"failedToConnect", failed},
                   {"connectSeconds", round_to(connect_seconds)},
                   {"clientCpuShare", round_to(client_cpu_share)},
                   {"latencyMs", latency.summary().json()}};
    if (rss_per_subscriber) o["rssPerSubscriberBytes"] = *rss_per_subscriber;
    if (server) o["server"] = *server;
    return o;
}

struct Shared {
    explicit Shared(const asio::any_io_executor& ex, const Spec& spec)
        : slot(ex), ready_changed(ex), arrived(ex), group(ex),
          arrivals(static_cast<std::size_t>(spec.events), 0),
          last_arrival(static_cast<std::size_t>(spec.events)),
          conns(static_cast<std::size_t>(spec.subscribers), nullptr) {}
    Notifier slot, ready_changed, arrived;
    WaitGroup group;
    std::string marker = "bench-" + random_hex(8) + "-";
    int connecting = 0, ready = 0, live = 0, dropped = 0, failed = 0, current = -1;
    bool stopping = false;
    std::vector<int> arrivals;
    std::vector<Clock::time_point> last_arrival;
    std::vector<Connection*> conns;
    std::vector<std::string> errors;
    std::int64_t error_count = 0;
    void error(std::string what) {
        ++error_count;
        if (errors.size() < 5) errors.push_back(std::move(what));
    }
};

std::optional<std::uint64_t> leading_number(std::string_view s) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p == s.data()) return std::nullopt;
    return v;
}

// The `id:` of a frame, if it has one.
std::optional<std::uint64_t> frame_id(std::string_view frame) {
    std::size_t at = 0;
    while (at < frame.size()) {
        auto nl = frame.find('\n', at);
        auto line = frame.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
        if (line.starts_with("id:")) {
            line.remove_prefix(3);
            if (line.starts_with(' ')) line.remove_prefix(1);
            return leading_number(line);
        }
        if (nl == std::string_view::npos) break;
        at = nl + 1;
    }
    return std::nullopt;
}

asio::awaitable<void> subscriber(Shared& s, const Spec& spec, int index, const std::string& request) {
    auto executor = co_await asio::this_coro::executor; // named, not in the co_await (GCC 12)
    Connection c(executor, subscriber_buffer);
    s.conns[static_cast<std::size_t>(index)] = &c;
    ++s.connecting;
    Response head;
    bool ok = co_await c.connect(spec.url.endpoint);
    if (ok) ok = co_await c.write(request);
    if (ok) ok = co_await c.read_head(head);
    --s.connecting;
    s.slot.notify();
    if (!ok || head.status != 200) {
        ++s.failed;
        s.error("subscriber " + std::to_string(index) + ": " +
                (ok ? "status " + std::to_string(head.status) : c.error()));
        s.ready_changed.notify();
        s.conns[static_cast<std::size_t>(index)] = nullptr;
        s.group.done();
        co_return;
    }
    ++s.live;
    bool replayed = spec.replay_seq == 0;
    if (replayed) {
        ++s.ready;
        s.ready_changed.notify();
    }
    std::string pending;
    while (co_await c.read_some(pending)) {
        auto now = Clock::now();
        take_frames(pending, [&](std::string_view frame) {
            if (!replayed) {
                if (auto id = frame_id(frame); id && *id >= spec.replay_seq) {
                    replayed = true;
                    ++s.ready;
                    s.ready_changed.notify();
                }
                return; // replayed events are history, never measured
            }
            auto m = frame.find(s.marker);
            if (m == std::string_view::npos) return;
            auto k = leading_number(frame.substr(m + s.marker.size()));
            if (!k || *k >= s.arrivals.size()) return;
            auto& count = s.arrivals[*k];
            ++count;
            s.last_arrival[*k] = now;
            if (static_cast<int>(*k) == s.current && count >= s.live) s.arrived.notify();
        });
    }
    --s.live;
    if (!s.stopping) {
        ++s.dropped;
        s.error("subscriber " + std::to_string(index) + " dropped: " + c.error());
        s.arrived.notify();
        s.ready_changed.notify();
    }
    s.conns[static_cast<std::size_t>(index)] = nullptr;
    s.group.done();
}

std::string publish_body(const Spec& spec, const std::string& marker, int k) {
    auto tag = marker + std::to_string(k) + "-";
    if (!spec.bare)
        return json::serialize(json::object{{"kind", "notice"}, {"to", "leader"}, {"message", tag + " bench event"}});
    // The whole frame ("id: N\nevent: team.mailbox.received\ndata: …\n\n") about frame_bytes long.
    constexpr int frame_overhead = 48;
    json::object o{{"type", "team.mailbox.received"}, {"message", tag}, {"pad", ""}};
    auto size = static_cast<int>(json::serialize(o).size()) + frame_overhead;
    if (size < spec.frame_bytes) o["pad"] = std::string(static_cast<std::size_t>(spec.frame_bytes - size), 'x');
    return json::serialize(o);
}

asio::awaitable<Result> measure(const Spec& spec) {
    auto ex = co_await asio::this_coro::executor;
    Shared s(ex, spec);
    Result r;
    std::optional<ProcSampler> sampler;
    if (spec.pid) {
        sampler.emplace(ex, *spec.pid);
        sampler->start();
    }
    std::int64_t rss_before = sampler ? sampler->last_rss() : 0;

    // Subscribers, at most max_connecting connecting at once.
    auto target = spec.bare ? std::string("/events") : "/v1/jobs/" + spec.job + "/events";
    auto request = raw_request(spec.url, "GET", target, {}, "Accept: text/event-stream\r\n");
    auto t0 = Clock::now();
    s.group.add(spec.subscribers);
    auto has_slot = [&s] { return s.connecting < max_connecting; };
    for (int i = 0; i < spec.subscribers; ++i) {
        co_await s.slot.wait_until(has_slot, Clock::time_point::max());
        asio::co_spawn(ex, subscriber(s, spec, i, request), asio::detached);
    }
    auto all_ready = [&s, &spec] { return s.ready + s.failed + s.dropped >= spec.subscribers; };
    auto ready_deadline = Clock::now() + std::chrono::seconds(60);
    if (!co_await s.ready_changed.wait_until(all_ready, ready_deadline))
        s.error("only " + std::to_string(s.ready) + " of " + std::to_string(spec.subscribers) +
                " subscribers had read the replay after 60 s");
    r.connect_seconds = seconds_since(t0);
    r.ready = s.ready;
    if (sampler) { // idle subscribers: settle, then their memory
        co_await sleep_for(std::chrono::milliseconds(300));
        sampler->sample();
        if (spec.subscribers > 0 && rss_before > 0)
            r.rss_per_subscriber = (sampler->last_rss() - rss_before) * 1024 / spec.subscribers;
    }

    // The publisher: one event at a time, each awaited by every subscriber.
    Connection pub(ex);
    auto pub_target = spec.bare ? std::string("/publish") : "/v1/jobs/" + spec.job + "/team/mailbox";
    int expect = spec.bare ? 204 : 201;
    const auto publish_start = Clock::now();
    const double cpu_start = self_cpu_seconds();
    for (int k = 0; k < spec.events && s.live > 0; ++k) {
        auto body = publish_body(spec, s.marker, k);
        auto raw = raw_request(spec.url, "POST", pub_target, body);
        s.current = k;
        auto sent = Clock::now();
        Response res;
        bool ok = co_await call(pub, spec.url, raw, res);
        if (!ok || res.status != expect) {
            s.error("publish " + std::to_string(k) + ": " +
                    (ok ? "status " + std::to_string(res.status) + " " + res.body.substr(0, 200) : pub.error()));
            break;
        }
        auto index = static_cast<std::size_t>(k);
        auto everyone = [&s, index] { return s.arrivals[index] >= s.live; };
        if (!co_await s.arrived.wait_until(everyone, sent + std::chrono::seconds(30))) {
            s.error("event " + std::to_string(k) + " reached " + std::to_string(s.arrivals[index]) + " of " +
                    std::to_string(s.live) + " subscribers in 30 s");
            break;
        }
        r.latency.add(s.last_arrival[index] - sent);
    }
    if (double wall = seconds_since(publish_start); wall > 0) r.client_cpu_share = (self_cpu_seconds() - cpu_start) / wall;
    r.held = s.live;
    if (sampler) {
        sampler->stop();
        r.server = sampler->json();
    }

    s.stopping = true;
    for (auto* c : s.conns)
        if (c) c->close();
    co_await s.group.wait(Clock::now() + std::chrono::seconds(30));
    r.dropped = s.dropped;
    r.failed = s.failed;
    r.errors = s.errors;
    r.error_count = s.error_count;
    co_return r;
}

// The last seq of the job's log, read page by page.
asio::awaitable<std::optional<std::uint64_t>> last_seq(const Url& url, const std::string& job, std::string& error) {
    auto executor = co_await asio::this_coro::executor; // named, not in the co_await (GCC 12)
    Connection c(executor);
    std::uint64_t after = 0;
    for (;;) {
        auto target = "/v1/jobs/" + job + "/events?after=" + std::to_string(after) + "&limit=1000";
        auto page = co_await get_json(c, url, target, error);
        if (!page) co_return std::nullopt;
        auto* items = find(*page, "/items");
        if (!items || !items->is_array() || items->as_array().empty()) co_return after;
        after = static_cast<std::uint64_t>(int_at(*page, "/next", static_cast<std::int64_t>(after)));
    }
}

std::string result_line(const char* who, const Spec& spec, const Result& r) {
    auto s = r.latency.summary();
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  "%s: %d subscribers connected in %.2f s; %zu events: delivery to the last subscriber "
                  "p50 %.3f ms, p99 %.3f ms, max %.3f ms; held %d, dropped %d; generator CPU %.0f %%",
                  who, r.ready, r.connect_seconds, s.count, s.p50_ms, s.p99_ms, s.max_ms, r.held, r.dropped,
                  100 * r.client_cpu_share);
    return buf;
}

} // namespace

asio::awaitable<int> run_sse(const Options& o) {
    Report report("sse");
    auto limit = raise_fd_limit();
    if (limit >= 0 && limit < o.subscribers + 64)
        report.say("warning: only " + std::to_string(limit) + " open files allowed");
    std::string error;
    auto url = parse_url(o.url, error);
    if (!url) {
        report.error(error);
        co_return report.finish();
    }
    Spec spec{*url, o.bare, "", 0, o.subscribers, o.events, o.frame_bytes, o.pid};
    if (!o.bare) {
        if (o.job) {
            spec.job = *o.job;
        } else { // a job that stays open: it waits for approval and takes mail
            auto executor = co_await asio::this_coro::executor; // named, not in the co_await (GCC 12)
            Connection c(executor);
            auto body = job_body("bench sse", {{"requireApproval", true}});
            auto created = co_await create_job(c, *url, body, error);
            if (!created) {
                report.error(error);
                co_return report.finish();
            }
            spec.job = *created;
        }
        auto seq = co_await last_seq(*url, spec.job, error);
        if (!seq) {
            report.error(error);
            co_return report.finish();
        }
        spec.replay_seq = *seq;
    }
    auto r = co_await measure(spec);
    report.json["url"] = o.url;
    report.json["bare"] = o.bare;
    if (!o.bare) report.json["job"] = spec.job;
    report.json["subscribers"] = o.subscribers;
    report.json["events"] = o.events;
    for (auto& [k, v] : r.json()) report.json[k] = v;
    report.say(result_line("server", spec, r));
    if (r.rss_per_subscriber) report.say("server RSS per idle subscriber: " + std::to_string(*r.rss_per_subscriber) + " B");
    report.errors(r.error_count, r.errors);
    if (r.latency.count() < static_cast<std::size_t>(o.events))
        report.error(std::to_string(r.latency.count()) + " of " + std::to_string(o.events) + " events measured");

    if (!o.baseline_url.empty()) {
        auto base = parse_url(o.baseline_url, error);
        if (!base) {
            report.error(error);
            co_return report.finish();
        }
        Spec bspec{*base, true, "", 0, o.subscribers, o.events, o.frame_bytes, o.baseline_pid};
        auto b = co_await measure(bspec);
        auto bj = b.json();
        bj["url"] = o.baseline_url;
        report.json["baseline"] = bj;
        auto p99 = r.latency.summary().p99_ms, bp99 = b.latency.summary().p99_ms;
        report.json["ratioP99"] = round_to(bp99 > 0 ? p99 / bp99 : 0);
        report.say(result_line("baseline", bspec, b));
        char buf[80];
        std::snprintf(buf, sizeof buf, "p99 ratio server/baseline: %.3f", bp99 > 0 ? p99 / bp99 : 0);
        report.say(buf);
        report.errors(b.error_count, b.errors, "baseline: ");
    }
    co_return report.finish();
}

} // namespace omx::bench
