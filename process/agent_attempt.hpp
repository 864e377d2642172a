// One attempt of one agent task: start the command, stream its output into the
// attempt's log and the parser, watch the timeout and the idle (hang) timeout,
// stop the whole process group on request, and classify the outcome.
//
// The interface the team engine drives: fill an AttemptSpec, observe items and
// usage live through AttemptObserver, co_await async_run(), and call stop()
// from the same executor to cancel (cancel, budget, shutdown, reassign).
// An attempt is driven from one strand or a single-threaded executor.
#pragma once

#include "process/child_process.hpp"
#include "process/output_types.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace omx::process {

struct AttemptSpec {
    std::string command;                  // shell text, placeholders already rewritten
    std::filesystem::path workdir;        // the job's workspace
    std::filesystem::path log_path;       // <run dir>/tasks/<taskId>/<attempt>.log
    std::vector<std::string> environment; // the agent's whole environment (agent_env.hpp)
    std::vector<std::string> sandbox;     // the bwrap command line the agent runs under (sandbox.hpp), or empty
    OutputFormat format = OutputFormat::unknown; // unknown: detected from the output
    std::chrono::milliseconds timeout{900'000};
    std::chrono::milliseconds idle_timeout{600'000}; // no output on stdout or stderr for this long: a hang
    std::chrono::milliseconds kill_grace{10'000};    // SIGTERM, then SIGKILL after this
    std::uint64_t log_cap = 64ull * 1024 * 1024;
    std::size_t max_line = 1024 * 1024; // longer lines are cut for parsing
    std::function<void(std::string_view)> log_mirror; // also gets the log's text, when set
};

enum class StopReason { cancel, budget, shutdown, reassign };

struct AttemptObserver {
    std::function<void(pid_t)> started;
    std::function<void(const OutputItem&)> item;
    std::function<void(const team::Usage&)> usage; // whenever the live usage changes
};

struct AttemptResult {
    bool ok = false;
    std::optional<int> exitCode, signal;
    pid_t pid = -1;
    ParseOutcome parsed;
    std::optional<std::string> error;      // a human-readable reason
    std::optional<std::string> errorClass; // rate_limit auth timeout hang killed exit agent_error canceled budget
    std::optional<StopReason> stopped;     // set when stop() ended it
    std::string stderrTail;                // at most 4 KiB
    std::int64_t durationMs = 0;
    std::uint64_t logBytesStored = 0, logBytesDropped = 0;
};

class AgentAttempt {
public:
    AgentAttempt(boost::asio::any_io_executor executor, AttemptSpec spec, AttemptObserver observer);
    ~AgentAttempt();

    // Runs the attempt to its end; never throws for a failure of the agent
    // (a command that cannot start is a failed attempt, not an exception; an
    // observer that throws stops the attempt, which fails with errorClass "exit").
    // Completes only once the agent's process group is gone and its output was
    // read: the deadline, the idle timeout and stop() hold until the leader
    // has exited, also after it closed its stdout and stderr.
    //
    // Cancel an attempt with stop(), not by cancelling the awaiting coroutine:
    // async_run runs with throw_if_cancelled(false) (the caller's setting is
    // restored when it completes), and a terminal cancellation of the caller
    // (e.g. a `||` with a timer) is taken as stop(StopReason::cancel) — it
    // never tears the attempt down while its reader still runs.
    boost::asio::awaitable<AttemptResult> async_run();
    // Ends a running attempt: the whole process group is stopped. Call on the executor.
    void stop(StopReason reason);

private:
    struct State;
    std::unique_ptr<State> state_;
};

// TaskOutput of schemas.md for a finished attempt (summary and structured bounded to 16 KiB).
boost::json::object task_output(const AttemptResult& result, const std::string& log_path_relative);

} // namespace omx::process
