// omx-bench's command line.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace omx::bench {

struct Options {
    std::string scenario;
    std::string url;                 // --url: the server (omxd, or a bare baseline)
    std::string baseline_url;        // --baseline-url: the same measurement against a bare server too
    std::optional<std::string> job;  // --job: an existing job instead of a new one
    std::optional<std::string> path; // --path: GET this target instead of /v1/jobs/{id} (bare server)
    double duration = 1.0;           // --duration S
    double warmup = 0.2;             // --warmup S (get, create: not measured)
    int connections = 8;             // --connections N
    int subscribers = 20;            // --subscribers N
    int events = 10;                 // --events M (sse)
    std::optional<int> jobs;         // --jobs N (team: 3, recovery: 100)
    std::optional<int> pid;          // --pid PID: sample the server's RSS and CPU
    std::optional<int> baseline_pid; // --baseline-pid PID: the same for the baseline server
    bool bare = false;               // --bare: sse against bare-server's /events and /publish
    int frame_bytes = 590;           // --frame-bytes N: bare SSE frame size (a real mailbox event's)
    bool sequential = false;         // --sequential: team jobs one after another (uncontended)
    double timeout = 120;            // --timeout S: longest wait for a team or recovery
    // recovery
    std::string omxd;                // --omxd PATH
    std::string scratch;             // --scratch DIR (default: a new directory under $TMPDIR)
    std::string agent;               // --agent PATH (default: tools/bench/instant-agent.sh)
    int running = 2;                 // --running N: running jobs among the generated ones
    int waiting = 2;                 // --waiting N: jobs waiting for approval among them
    int overview_calls = 200;        // --calls N: overview calls (recovery, overview)
    bool keep = false;               // --keep: keep the scratch directory
    std::vector<std::string> omxd_args; // --omxd-arg ARG (repeatable): more omxd flags
    std::string server_cpus;         // --server-cpus LIST: pin the omxd it starts (taskset list)
};

// Exit codes.
constexpr int exit_ok = 0, exit_failed = 1, exit_usage = 64;

std::string usage_text();

// nullopt with `error` set on a usage error.
std::optional<Options> parse_options(const std::vector<std::string>& args, std::string& error);

} // namespace omx::bench
