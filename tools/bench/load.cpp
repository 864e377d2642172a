// Closed-loop load over keep-alive connections.
#include "tools/bench/load.hpp"

#include "tools/bench/common.hpp"
#include "tools/bench/proc_sampler.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include <memory>

namespace omx::bench {

namespace {

enum class Phase { warmup, measuring, done };

struct Shared {
    explicit Shared(const asio::any_io_executor& ex) : group(ex) {}
    Phase phase = Phase::warmup;
    WaitGroup group;
    std::vector<Connection*> open;
    std::uint64_t errors = 0;
    std::map<int, std::uint64_t> statuses;
    std::vector<std::string> error_samples;
    std::size_t body_bytes = 0;

    void error(std::string what) {
        ++errors;
        if (error_samples.size() < 5) error_samples.push_back(std::move(what));
    }
};

asio::awaitable<void> worker(Shared& s, const LoadSpec& spec, Latencies& latency, std::uint64_t& ok) {
    auto executor = co_await asio::this_coro::executor; // named, not in the co_await (GCC 12)
    Connection c(executor);
    s.open.push_back(&c);
    Response res;
    latency.reserve(1 << 16);
    while (s.phase != Phase::done) {
        if (!c.is_open()) { // GCC 12: no co_await inside && or ||
            bool connected = co_await c.connect(spec.url.endpoint);
            if (!connected) {
                s.error(c.error());
                co_await sleep_for(std::chrono::milliseconds(20));
                continue;
            }
        }
        auto t0 = Clock::now();
        bool sent = co_await c.roundtrip(spec.raw, res, false);
        auto t1 = Clock::now();
        if (!sent) {
            if (s.phase != Phase::done) s.error(c.error());
            continue;
        }
        if (res.status != spec.expect_status) {
            ++s.statuses[res.status];
            s.error("status " + std::to_string(res.status));
            continue;
        }
        if (s.phase == Phase::measuring) {
            latency.add(t1 - t0);
            ++ok;
            s.body_bytes = res.body_bytes;
        }
    }
    std::erase(s.open, &c);
    s.group.done();
}

} // namespace

boost::json::object LoadResult::json(const char* rate_key) const {
    boost::json::object o{{"requests", ok},
                          {rate_key, round_to(rate(), 1)},
                          {"latencyMs", latency.summary().json()},
                          {"bodyBytes", body_bytes},
                          {"clientCpuSeconds", round_to(client_cpu)},
                          {"clientCpuShare", round_to(client_cpu_share())}};
    if (!statuses.empty()) {
        boost::json::object st;
        for (auto& [code, n] : statuses) st[std::to_string(code)] = n;
        o["otherStatuses"] = st;
    }
    if (server) o["server"] = *server;
    return o;
}

asio::awaitable<LoadResult> run_load(const LoadSpec& spec) {
    auto ex = co_await asio::this_coro::executor;
    Shared s(ex);
    std::vector<Latencies> latencies(static_cast<std::size_t>(spec.connections));
    std::vector<std::uint64_t> ok(static_cast<std::size_t>(spec.connections), 0);
    s.group.add(spec.connections);
    for (int i = 0; i < spec.connections; ++i)
        asio::co_spawn(ex, worker(s, spec, latencies[static_cast<std::size_t>(i)], ok[static_cast<std::size_t>(i)]),
                       asio::detached);
    co_await sleep_for(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(spec.warmup)));

    std::optional<ProcSampler> sampler;
    if (spec.pid) sampler.emplace(ex, *spec.pid);
    if (sampler) sampler->start();
    auto cpu0 = self_cpu_seconds();
    auto t0 = Clock::now();
    s.phase = Phase::measuring;
    co_await sleep_for(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(spec.duration)));
    s.phase = Phase::done;
    LoadResult r;
    r.seconds = seconds_since(t0);
    r.client_cpu = self_cpu_seconds() - cpu0;
    if (sampler) {
        sampler->stop();
        if (sampler->valid()) r.server = sampler->json();
    }
    // Requests in flight finish; a server that stopped answering is cut off.
    if (!co_await s.group.wait(Clock::now() + std::chrono::seconds(10))) {
        for (auto* c : s.open) c->close();
        co_await s.group.wait(Clock::now() + std::chrono::seconds(5));
        s.error("some requests got no answer within 10 s after the end");
    }
    for (std::size_t i = 0; i < latencies.size(); ++i) {
        r.latency.merge(latencies[i]);
        r.ok += ok[i];
    }
    r.errors = s.errors;
    r.statuses = s.statuses;
    r.error_samples = s.error_samples;
    r.body_bytes = s.body_bytes;
    co_return r;
}

} // namespace omx::bench
