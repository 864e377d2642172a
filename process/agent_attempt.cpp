// The attempt runner: spawn, read, watch, stop, classify.
#include "process/agent_attempt.hpp"

#include "process/attempt_log.hpp"
#include "process/bounded_text.hpp"
#include "process/output_parser.hpp"
#include "runtime/metrics.hpp"
#include "team/core/json_codec.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <csignal>
#include <cstring>

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace omx::process {
namespace {

// Counts the attempt in omx_agents_running while its process group lives.
struct RunningAgentGauge {
    RunningAgentGauge() { metrics::adjust(metrics::family::agents_running, 1); }
    ~RunningAgentGauge() { metrics::adjust(metrics::family::agents_running, -1); }
    RunningAgentGauge(const RunningAgentGauge&) = delete;
    RunningAgentGauge& operator=(const RunningAgentGauge&) = delete;
};

constexpr std::size_t stderr_tail_bytes = 4 * 1024;
constexpr std::size_t output_field_bytes = 16 * 1024;
constexpr std::chrono::seconds pipe_drain_grace{2};
constexpr std::chrono::milliseconds no_grace{0};

// How the watch over a running attempt ended.
enum class Watch {
    ended,   // the leader exited and its output was read (or the drain grace ran out)
    stopped, // stop() or a cancellation of the caller
    failed,  // reading the output failed (an observer threw): nobody drains the pipes any more
    timeout,
    hang,
};

std::string seconds_text(std::chrono::milliseconds d) {
    auto ms = d.count();
    return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

// "sh: 1: codex: not found" -> "codex"; else the command's first word.
std::string missing_command(std::string_view stderr_tail, std::string_view command) {
    auto at = stderr_tail.rfind(": not found");
    if (at != std::string_view::npos) {
        auto start = stderr_tail.rfind(": ", at - 1);
        if (start != std::string_view::npos && start < at) return std::string(stderr_tail.substr(start + 2, at - start - 2));
    }
    auto end = command.find_first_of(" \t\n");
    return std::string(command.substr(0, end));
}

std::string signal_name(int sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string_view stop_class(StopReason r) { return r == StopReason::budget ? "budget" : "canceled"; }

std::string_view stop_text(StopReason r) {
    switch (r) {
    case StopReason::cancel: return "stopped: the job was canceled";
    case StopReason::budget: return "stopped: the job's budget is spent";
    case StopReason::shutdown: return "stopped: the server is shutting down";
    case StopReason::reassign: return "stopped: the task was reassigned";
    }
    return "stopped";
}

} // namespace

struct AgentAttempt::State {
    State(asio::any_io_executor ex, AttemptSpec s, AttemptObserver o)
        : executor(ex), spec(std::move(s)), observer(std::move(o)), parser(spec.format), wake(ex) {}
    asio::any_io_executor executor;
    AttemptSpec spec;
    AttemptObserver observer;
    AgentOutputParser parser;
    // The one timer async_run sleeps on; cancelled by the end of reading, the
    // leader's exit and stop(). Everything the detached reader and leader
    // waiter touch lives here, never in async_run's frame.
    asio::steady_timer wake;
    std::unique_ptr<ChildProcess> child;
    std::unique_ptr<AttemptLog> log;
    std::optional<StopReason> stop_requested;
    Clock::time_point last_output = Clock::now();
    bool reading_done = false;
    std::optional<std::string> read_error; // what the reader ended with, when it threw
    bool leader_exited = false;
    Clock::time_point leader_exit_time;
    ExitStatus leader_status;
    std::string stderr_tail;
    team::Usage last_usage;

    void on_line(Stream stream, std::string_view line);
    asio::awaitable<void> read_output();
    asio::awaitable<void> wait_for_leader();
    asio::awaitable<Watch> watch(Clock::time_point deadline, asio::cancellation_state outer);
    asio::awaitable<void> settle(Clock::time_point until);
    asio::awaitable<AttemptResult> run(asio::cancellation_state outer);
    void classify(AttemptResult& r, Watch watch) const;
};

void AgentAttempt::State::on_line(Stream stream, std::string_view line) {
    last_output = Clock::now();
    log->line(stream, line);
    if (stream == Stream::err) {
        parser.feed_stderr_line(line);
        stderr_tail += line;
        stderr_tail += '\n';
        if (stderr_tail.size() > 2 * stderr_tail_bytes) stderr_tail = std::string(utf8_tail(stderr_tail, stderr_tail_bytes));
        return;
    }
    for (auto& item : parser.feed_stdout_line(line))
        if (observer.item) observer.item(item);
    auto& usage = parser.usage();
    if (observer.usage && (usage.totalTokens != last_usage.totalTokens || usage.costUsd != last_usage.costUsd)) {
        last_usage = usage;
        observer.usage(usage);
    }
}

// Detached: reads both pipes until they close (or are closed). An exception
// (an observer throwing) ends the reading; the watch then stops the group.
asio::awaitable<void> AgentAttempt::State::read_output() {
    ChildProcess::LineHandler handler = [this](Stream stream, std::string_view line) { on_line(stream, line); };
    try {
        co_await child->async_read_lines(handler, spec.max_line);
    } catch (const std::exception& e) {
        read_error = e.what();
    } catch (...) {
        read_error = "unknown exception";
    }
    reading_done = true;
    wake.cancel();
}

// Detached: completes once the leader has exited and was reaped.
asio::awaitable<void> AgentAttempt::State::wait_for_leader() {
    leader_status = co_await child->async_wait();
    leader_exited = true;
    leader_exit_time = Clock::now();
    wake.cancel();
}

// Sleeps until the leader has exited and its output was read (or, with a
// descendant still holding the pipes, the drain grace after its exit ran
// out), the deadline passes, the agent is idle for too long, stop() is called,
// the caller is cancelled, or reading failed; says which. The limits hold
// until the leader has exited, also after both pipes were closed early:
// no output is possible then, so a quiet leader becomes a hang.
asio::awaitable<Watch> AgentAttempt::State::watch(Clock::time_point deadline, asio::cancellation_state outer) {
    for (;;) {
        if (!stop_requested && outer.cancelled() != asio::cancellation_type::none) stop_requested = StopReason::cancel;
        if (stop_requested) co_return Watch::stopped;
        if (read_error) co_return Watch::failed;
        if (reading_done && leader_exited) co_return Watch::ended;
        auto now = Clock::now();
        Clock::time_point next;
        if (leader_exited) { // only the pipes are left: the limits no longer apply
            if (now >= leader_exit_time + pipe_drain_grace) co_return Watch::ended;
            next = leader_exit_time + pipe_drain_grace;
        } else {
            if (now >= deadline) co_return Watch::timeout;
            if (now - last_output >= spec.idle_timeout) co_return Watch::hang;
            next = std::min(deadline, last_output + spec.idle_timeout);
        }
        wake.expires_at(next);
        co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

// Sleeps until the reader and the leader waiter are both done, or `until`.
asio::awaitable<void> AgentAttempt::State::settle(Clock::time_point until) {
    while (!(reading_done && leader_exited) && Clock::now() < until) {
        wake.expires_at(until);
        co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

void AgentAttempt::State::classify(AttemptResult& r, Watch watch) const {
    auto fail = [&](std::string_view cls, std::string error) {
        r.ok = false;
        r.errorClass = std::string(cls);
        r.error = std::move(error);
    };
    r.ok = true;
    if (r.stopped) return fail(stop_class(*r.stopped), std::string(stop_text(*r.stopped)));
    if (watch == Watch::failed)
        return fail("exit", "stopped: reading the agent's output failed: " + read_error.value_or("unknown exception"));
    if (watch == Watch::timeout) return fail("timeout", "timed out after " + seconds_text(spec.timeout));
    if (watch == Watch::hang) return fail("hang", "no output for " + seconds_text(spec.idle_timeout));
    if (r.parsed.error) return fail(r.parsed.errorClass.value_or("agent_error"), *r.parsed.error);
    if (r.exitCode == 127) {
        metrics::count(metrics::family::spawn_failures); // sh started, the agent did not
        return fail("exit", "agent command not found: " + missing_command(stderr_tail, spec.command));
    }
    if (r.signal) return fail("killed", "killed by " + signal_name(*r.signal));
    if (r.exitCode && *r.exitCode != 0) {
        std::string error = "exited with code " + std::to_string(*r.exitCode);
        auto last = std::string_view(stderr_tail);
        while (!last.empty() && last.back() == '\n') last.remove_suffix(1);
        if (auto nl = last.rfind('\n'); nl != std::string_view::npos) last.remove_prefix(nl + 1);
        if (!last.empty()) error += ": " + std::string(utf8_head(last, 512));
        return fail("exit", std::move(error));
    }
}

AgentAttempt::AgentAttempt(asio::any_io_executor executor, AttemptSpec spec, AttemptObserver observer)
    : state_(std::make_unique<State>(executor, std::move(spec), std::move(observer))) {}

AgentAttempt::~AgentAttempt() = default;

void AgentAttempt::stop(StopReason reason) {
    if (state_->stop_requested) return;
    state_->stop_requested = reason;
    state_->wake.cancel();
}

// An outer cancellation must not destroy the frames the reader and the leader
// waiter still use: it is turned into stop(StopReason::cancel) instead, and the
// attempt ends as any stopped attempt does. throw_if_cancelled belongs to the
// whole coroutine thread, so the caller's setting is restored on the way out.
asio::awaitable<AttemptResult> AgentAttempt::async_run() {
    const bool throw_before = co_await asio::this_coro::throw_if_cancelled();
    co_await asio::this_coro::throw_if_cancelled(false);
    asio::cancellation_state outer = co_await asio::this_coro::cancellation_state;
    AttemptResult result = co_await state_->run(outer);
    co_await asio::this_coro::throw_if_cancelled(throw_before);
    co_return result;
}

// Never returns before the detached reader and leader waiter are done: they use `this`.
asio::awaitable<AttemptResult> AgentAttempt::State::run(asio::cancellation_state outer) {
    AttemptResult result;
    auto started = Clock::now();
    try {
        log = std::make_unique<AttemptLog>(spec.log_path, spec.log_cap);
        if (spec.log_mirror) log->mirror(spec.log_mirror);
        log->note("$ " + spec.command);
        SpawnOptions options{spec.command, spec.workdir, spec.environment, spec.sandbox};
        child = co_await ChildProcess::async_spawn(executor, std::move(options));
    } catch (const std::exception& e) {
        result.errorClass = "exit";
        result.error = std::string("cannot start the agent: ") + e.what();
        co_return result;
    }
    result.pid = child->pid();
    RunningAgentGauge running;
    if (observer.started) observer.started(result.pid); // before anything detached uses `this`
    last_output = Clock::now();
    asio::co_spawn(executor, read_output(), asio::detached);
    asio::co_spawn(executor, wait_for_leader(), asio::detached);

    const Watch ending = co_await watch(started + spec.timeout, outer);
    Clock::time_point drain_until;
    if (ending == Watch::ended) {
        drain_until = leader_exit_time + pipe_drain_grace;
    } else {
        result.stopped = stop_requested;
        log->note(ending == Watch::timeout  ? "timeout: stopping the process group"
                  : ending == Watch::hang   ? "no output for too long: stopping the process group"
                  : ending == Watch::failed ? "reading the output failed (" + read_error.value_or("unknown exception") +
                                                 "): stopping the process group"
                                           : std::string(stop_text(*stop_requested)));
        if (ending == Watch::failed) child->close_pipes(); // nobody reads them: the agent must not block on a full pipe
        co_await child->async_stop(spec.kill_grace);       // returns once the leader was reaped
        drain_until = Clock::now() + pipe_drain_grace;
    }
    // A descendant may still hold the pipes: they are closed once the drain
    // grace after the leader's exit is over.
    co_await settle(drain_until);
    if (!reading_done) child->close_pipes();
    // Leftovers of a finished leader never outlive the attempt: killed, and reaped.
    if (child->group_alive()) co_await child->async_stop(no_grace);
    co_await settle(Clock::time_point::max());

    const ExitStatus status = leader_status;
    result.exitCode = status.code;
    result.signal = status.signal;
    result.parsed = parser.finish(status.code.value_or(128 + status.signal.value_or(0)));
    result.stderrTail = std::string(utf8_tail(stderr_tail, stderr_tail_bytes));
    classify(result, ending);
    // The nearest millisecond: truncating would understate every attempt by half a millisecond on average.
    result.durationMs = std::chrono::round<std::chrono::milliseconds>(Clock::now() - started).count();
    log->note(result.ok ? "finished: ok" : "finished: " + *result.errorClass + ": " + *result.error);
    log->flush();
    result.logBytesStored = log->stored();
    result.logBytesDropped = log->dropped();
    co_return result;
}

json::object task_output(const AttemptResult& r, const std::string& log_path_relative) {
    json::value structured = nullptr;
    if (r.parsed.structured.is_object() && json::serialize(r.parsed.structured).size() <= output_field_bytes)
        structured = r.parsed.structured;
    auto opt_int = [](const std::optional<int>& v) { return v ? json::value(*v) : json::value(nullptr); };
    return {{"status", r.ok ? "ok" : "error"},
            {"exitCode", opt_int(r.exitCode)},
            {"signal", opt_int(r.signal)},
            {"summary", std::string(utf8_tail(r.parsed.resultText, output_field_bytes))},
            {"structured", structured},
            {"usage", team::to_json(r.parsed.usage)},
            {"durationMs", r.durationMs},
            {"logPath", log_path_relative},
            {"stderrTail", r.stderrTail},
            {"threadId", r.parsed.threadId ? json::value(*r.parsed.threadId) : json::value(nullptr)}};
}

} // namespace omx::process
