// Process-wide Prometheus metrics (operations.md, Metrics): counters and
// histograms recorded where things happen, gauges sampled when scraped.
// Thread-safe: the fsync latency is recorded on the blocking pool.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omx::metrics {

using Labels = std::vector<std::pair<std::string_view, std::string>>;

// The families, declared once in metrics.cpp with their type and help.
namespace family {
inline constexpr std::string_view jobs = "omx_jobs";                                 // gauge {status}
inline constexpr std::string_view jobs_created = "omx_jobs_created_total";           // {mode, provider}
inline constexpr std::string_view jobs_finished = "omx_jobs_finished_total";         // {mode, provider, outcome}
inline constexpr std::string_view tasks_started = "omx_tasks_started_total";         // {role}
inline constexpr std::string_view tasks_retried = "omx_tasks_retried_total";         // {role}
inline constexpr std::string_view tasks_failed = "omx_tasks_failed_total";           // {role}
inline constexpr std::string_view agents_running = "omx_agents_running";             // gauge
inline constexpr std::string_view agent_tokens = "omx_agent_tokens_total";           // {provider, kind}
inline constexpr std::string_view http_requests = "omx_http_requests_total";         // {route, status}
inline constexpr std::string_view http_duration = "omx_http_request_duration_seconds"; // histogram {route}
inline constexpr std::string_view sse_clients = "omx_sse_clients";                   // gauge
inline constexpr std::string_view event_appends = "omx_event_appends_total";
inline constexpr std::string_view fsync_duration = "omx_fsync_duration_seconds";     // histogram
inline constexpr std::string_view process_spawns = "omx_process_spawns_total";
inline constexpr std::string_view spawn_failures = "omx_process_spawn_failures_total";
} // namespace family

// A series' handle: stable for the life of the process, updated without a lock.
class Counter;
class Histogram;
Counter& counter(std::string_view family, const Labels& labels = {});
Histogram& histogram(std::string_view family, const Labels& labels = {});
void add(Counter&, double by = 1);
void observe(Histogram&, double value);

// Looks the series up each time: for the paths that are not hot.
void count(std::string_view family, const Labels& labels = {}, double by = 1);
void observe(std::string_view family, const Labels& labels, double value);
// A gauge kept up to date where it changes (SSE clients, agents running).
void adjust(std::string_view family, double delta, const Labels& labels = {});

struct GaugeSample {
    std::string_view family;
    Labels labels;
    double value;
};

// The text exposition (format 0.0.4) of every family, with the gauges sampled
// by the caller beside the adjusted ones.
std::string exposition(const std::vector<GaugeSample>& gauges);

} // namespace omx::metrics
