// Short commands as subprocesses: quoted, timed, their output collected.
#include "process/run_command.hpp"

#include "process/agent_command.hpp"
#include "process/bounded_text.hpp"
#include "process/child_process.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <unistd.h>
#include <memory>

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

namespace omx::process {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t max_error_bytes = 4096;
constexpr std::size_t max_line_bytes = 8192;
constexpr std::size_t max_stdout_lines = 64; // commands here print a few lines (rev-parse, tmux pane ids)
// How long the pipes may stay open after the command itself exited: a descendant that
// left the group (and so survives the group's stop) may hold them for ever.
constexpr std::chrono::seconds pipe_drain_grace{2};

std::string_view trim(std::string_view s) {
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

// The shared state between a command's reader coroutine and its waiter.
struct RunState {
    explicit RunState(asio::any_io_executor ex) : signal(ex), drain(ex) {}
    asio::steady_timer signal; // cancelled when the reader is done
    asio::steady_timer drain;  // cancelled when both pipes are closed
    bool finished = false;
    bool reading_done = false;
    ExitStatus status;
    std::exception_ptr failure;
    std::vector<std::string> out;
    TextTail err{2 * max_error_bytes};     // stderr without noise
    TextTail err_all{2 * max_error_bytes}; // all of it, when nothing but noise came
    std::function<bool(std::string_view)> is_noise;
};

std::string describe(const ExitStatus& s) {
    if (s.code) return "exit code " + std::to_string(*s.code);
    if (s.signal) return "killed by signal " + std::to_string(*s.signal);
    return "ended abnormally";
}

// The owners are parameters in the coroutines below, so their frames keep them alive.

// Collects the output: stdout's first lines, stderr's tail.
asio::awaitable<void> read_output(std::shared_ptr<ChildProcess> child, std::shared_ptr<RunState> state) {
    RunState* s = state.get();
    // Named, not written inside the co_await: g++ 12 miscompiles a lambda-expression there.
    ChildProcess::LineHandler on_line = [s](Stream stream, std::string_view line) {
        if (stream == Stream::out) {
            if (s->out.size() < max_stdout_lines) s->out.emplace_back(trim(line));
        } else {
            s->err_all.append_line(line);
            if (!s->is_noise || !s->is_noise(line)) s->err.append_line(line);
        }
    };
    try {
        co_await child->async_read_lines(on_line, max_line_bytes);
    } catch (...) {
        state->reading_done = true;
        state->drain.cancel();
        throw;
    }
    state->reading_done = true;
    state->drain.cancel();
}

// The exit status; then, when the pipes are still open pipe_drain_grace after
// the exit, closes them (ending read_output).
asio::awaitable<void> wait_and_drain(std::shared_ptr<ChildProcess> child, std::shared_ptr<RunState> state) {
    state->status = co_await child->async_wait();
    if (state->reading_done) co_return;
    state->drain.expires_after(pipe_drain_grace);
    co_await state->drain.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!state->reading_done) child->close_pipes();
}

// Collects the output and the exit status; completes once git has exited and
// the pipes are closed, at the latest pipe_drain_grace after git's exit.
asio::awaitable<void> read_and_wait(std::shared_ptr<ChildProcess> child, std::shared_ptr<RunState> state) {
    auto reading = read_output(child, state);
    auto waiting = wait_and_drain(child, state);
    co_await (std::move(reading) && std::move(waiting));
}

bool cancel_requested(const asio::cancellation_state& cs) {
    return cs.cancelled() != asio::cancellation_type::none;
}

} // namespace

std::string format_duration(std::chrono::milliseconds d) {
    const auto ms = d.count();
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

asio::awaitable<CommandResult> async_run_command(asio::any_io_executor ex, Command command,
                                                 std::vector<std::string> env, Clock::time_point deadline,
                                                 std::chrono::milliseconds timeout, std::chrono::milliseconds grace,
                                                 bool cancellable) {
    CommandResult result;
    const auto cs = co_await asio::this_coro::cancellation_state;
    const auto canceled = [&] { return cancellable && cancel_requested(cs); };
    if (canceled()) {
        result.stopped = true;
        result.error = command.label + " canceled";
        co_return result;
    }
    std::string line = "exec";
    for (const auto& a : command.argv) line += " " + shell_quote(a);

    std::shared_ptr<ChildProcess> child;
    try {
        child = ChildProcess::spawn(ex, {line, command.cwd, std::move(env), {}});
    } catch (const std::exception& e) {
        result.error = command.label + " failed: " + e.what();
        co_return result;
    }

    auto state = std::make_shared<RunState>(ex);
    state->is_noise = command.is_noise;
    asio::co_spawn(ex, read_and_wait(child, state), [state](std::exception_ptr e) {
        state->failure = e;
        state->finished = true;
        state->signal.cancel();
    });

    while (!state->finished && Clock::now() < deadline && !canceled()) {
        state->signal.expires_at(deadline);
        co_await state->signal.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (!state->finished) {
        result.stopped = true;
        const bool by_cancel = canceled();
        co_await child->async_stop(grace); // no process of the group survives it
        // The pipes close with the group; wait for the reader (bounded: a
        // descendant that left the group could hold them open).
        const auto bound = Clock::now() + std::chrono::seconds(5);
        while (!state->finished && Clock::now() < bound) {
            state->signal.expires_at(bound);
            co_await state->signal.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        result.error = command.label + (by_cancel ? " canceled" : " timed out after " + format_duration(timeout));
        co_return result;
    }

    if (state->failure) {
        try {
            std::rethrow_exception(state->failure);
        } catch (const std::exception& e) {
            result.error = command.label + " failed: " + e.what();
        } catch (...) {
            result.error = command.label + " failed";
        }
        co_return result;
    }
    result.out = std::move(state->out);
    if (state->status.code == 0) {
        result.ok = true;
        co_return result;
    }
    auto err = trim(state->err.view());
    if (err.empty()) err = trim(state->err_all.view());
    auto message = valid_utf8(trim(utf8_tail(err, max_error_bytes)));
    result.error = command.label + " failed: " + (message.empty() ? describe(state->status) : message);
    co_return result;
}

std::filesystem::path find_executable(const std::string& name, const std::map<std::string, std::string>& env) {
    auto executable = [](const std::filesystem::path& p) { return ::access(p.c_str(), X_OK) == 0; };
    if (name.find('/') != std::string::npos)
        return executable(name) ? std::filesystem::absolute(name) : std::filesystem::path();
    auto path = env.find("PATH");
    std::string dirs = path == env.end() ? "/usr/local/bin:/usr/bin:/bin" : path->second;
    for (std::size_t start = 0; start <= dirs.size();) {
        auto end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        auto dir = dirs.substr(start, end - start);
        auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / name;
        if (executable(candidate)) return std::filesystem::absolute(candidate);
        start = end + 1;
    }
    return {};
}

} // namespace omx::process
