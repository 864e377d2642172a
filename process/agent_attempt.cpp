// The attempt runner: spawn, read, watch, stop, classify.
#include "process/agent_attempt.hpp"

#include "process/attempt_log.hpp"
#include "process/bounded_text.hpp"
#include "process/output_parser.hpp"
#include "team/core/json_codec.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
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

constexpr std::size_t stderr_tail_bytes = 4 * 1024;
constexpr std::size_t output_field_bytes = 16 * 1024;
constexpr std::chrono::seconds pipe_drain_grace{2};

enum class Watch { running, timeout, hang };

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
    asio::steady_timer wake; // the watchdog's timer; cancelled by output end and by stop()
    std::unique_ptr<ChildProcess> child;
    std::optional<StopReason> stop_requested;
    Clock::time_point last_output = Clock::now();
    bool reading_done = false;
    std::string stderr_tail;
    team::Usage last_usage;

    void on_line(AttemptLog& log, Stream stream, std::string_view line);
    asio::awaitable<Watch> watch(Clock::time_point deadline);
    void classify(AttemptResult& r, Watch watch) const;
};

void AgentAttempt::State::on_line(AttemptLog& log, Stream stream, std::string_view line) {
    last_output = Clock::now();
    log.line(stream, line);
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

// Sleeps until the output ends, the deadline passes, the agent is idle for too
// long, or stop() is called; says which of the limits (if any) ended it.
asio::awaitable<Watch> AgentAttempt::State::watch(Clock::time_point deadline) {
    while (!reading_done && !stop_requested) {
        auto now = Clock::now();
        if (now >= deadline) co_return Watch::timeout;
        if (now - last_output >= spec.idle_timeout) co_return Watch::hang;
        wake.expires_at(std::min(deadline, last_output + spec.idle_timeout));
        co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return Watch::running;
}

void AgentAttempt::State::classify(AttemptResult& r, Watch watch) const {
    auto fail = [&](std::string_view cls, std::string error) {
        r.ok = false;
        r.errorClass = std::string(cls);
        r.error = std::move(error);
    };
    r.ok = true;
    if (r.stopped) return fail(stop_class(*r.stopped), std::string(stop_text(*r.stopped)));
    if (watch == Watch::timeout) return fail("timeout", "timed out after " + seconds_text(spec.timeout));
    if (watch == Watch::hang) return fail("hang", "no output for " + seconds_text(spec.idle_timeout));
    if (r.parsed.error) return fail(r.parsed.errorClass.value_or("agent_error"), *r.parsed.error);
    if (r.exitCode == 127)
        return fail("exit", "agent command not found: " + missing_command(stderr_tail, spec.command));
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

asio::awaitable<AttemptResult> AgentAttempt::async_run() {
    State& s = *state_;
    AttemptResult result;
    auto started = Clock::now();
    std::unique_ptr<AttemptLog> log;
    try {
        log = std::make_unique<AttemptLog>(s.spec.log_path, s.spec.log_cap);
        log->note("$ " + s.spec.command);
        s.child = ChildProcess::spawn(s.executor, {s.spec.command, s.spec.workdir, s.spec.environment});
    } catch (const std::exception& e) {
        result.errorClass = "exit";
        result.error = std::string("cannot start the agent: ") + e.what();
        co_return result;
    }
    result.pid = s.child->pid();
    if (s.observer.started) s.observer.started(result.pid);
    s.last_output = Clock::now();

    ChildProcess::LineHandler on_line = [&s, &log](Stream stream, std::string_view line) { s.on_line(*log, stream, line); };
    asio::steady_timer reader_done(s.executor, asio::steady_timer::time_point::max());
    auto read = s.child->async_read_lines(on_line, s.spec.max_line);
    asio::co_spawn(s.executor, std::move(read), [&s, &reader_done](std::exception_ptr) {
        s.reading_done = true;
        s.wake.cancel();
        reader_done.cancel();
    });

    Watch watch = co_await s.watch(started + s.spec.timeout);
    if (watch != Watch::running || s.stop_requested) {
        result.stopped = s.stop_requested;
        log->note(watch == Watch::timeout ? "timeout: stopping the process group"
                  : watch == Watch::hang  ? "no output for too long: stopping the process group"
                                          : std::string(stop_text(*s.stop_requested)));
        co_await s.child->async_stop(s.spec.kill_grace);
    }
    ExitStatus status = co_await s.child->async_wait();
    if (!s.reading_done) { // a descendant that left the group may still hold the pipes
        reader_done.expires_after(pipe_drain_grace);
        co_await reader_done.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!s.reading_done) {
            s.child->signal_group(SIGKILL);
            s.child->close_pipes();
            while (!s.reading_done) {
                reader_done.expires_after(std::chrono::milliseconds(10));
                co_await reader_done.async_wait(asio::as_tuple(asio::use_awaitable));
            }
        }
    }
    s.child->signal_group(SIGKILL); // leftovers of a finished leader never outlive the attempt

    result.exitCode = status.code;
    result.signal = status.signal;
    result.parsed = s.parser.finish(status.code.value_or(128 + status.signal.value_or(0)));
    result.stderrTail = std::string(utf8_tail(s.stderr_tail, stderr_tail_bytes));
    s.classify(result, watch);
    result.durationMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
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
