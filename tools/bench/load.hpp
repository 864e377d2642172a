// Closed-loop load: N keep-alive connections each sending one prebuilt request
// after the other (no pipelining) for a warm-up, then a measured window.
#pragma once

#include "tools/bench/http_client.hpp"
#include "tools/bench/stats.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace omx::bench {

struct LoadSpec {
    Url url;
    std::string raw;        // the request, sent as is
    int connections = 8;
    double warmup = 0.2;    // seconds, not measured
    double duration = 1.0;  // seconds, measured
    int expect_status = 200;
    std::optional<int> pid; // sample this server during the measured window
};

struct LoadResult {
    double seconds = 0;          // the measured window
    std::uint64_t ok = 0;        // responses with the expected status in the window
    std::uint64_t errors = 0;    // other statuses, network failures (whole run)
    std::map<int, std::uint64_t> statuses;
    std::vector<std::string> error_samples;
    Latencies latency;           // of the expected responses in the window
    std::size_t body_bytes = 0;  // of the last expected response
    double client_cpu = 0;       // this process's CPU seconds in the window
    std::optional<boost::json::object> server; // ProcSampler::json()

    double rate() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
    double client_cpu_share() const { return seconds > 0 ? client_cpu / seconds : 0; }
    // {"requests","perSec","latencyMs","bodyBytes","statuses","clientCpuSeconds","clientCpuShare","server"?}
    boost::json::object json(const char* rate_key) const;
};

asio::awaitable<LoadResult> run_load(const LoadSpec& spec);

} // namespace omx::bench
