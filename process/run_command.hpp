// A short command run to completion as a subprocess (git, rm, tmux): every
// argument shell-quoted, its output collected, bounded by a deadline, stopped
// with its whole process group on timeout or cancellation.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace omx::process {

struct Command {
    std::string label;             // "git clone": prefixes the error
    std::vector<std::string> argv; // argv[0] is looked up in PATH
    std::filesystem::path cwd;
    // Lines of stderr that are no reason for a failure (progress, hints): left
    // out of the error unless nothing else came.
    std::function<bool(std::string_view)> is_noise;
};

struct CommandResult {
    bool ok = false;
    bool stopped = false;          // timed out or canceled: nothing more is to be tried
    std::string error;             // "<label> failed: <stderr>" / "<label> timed out after …" / "<label> canceled"
    std::vector<std::string> out;  // the first stdout lines, without surrounding white space
};

// Runs `command` to completion or until `deadline` or, when `cancellable`, a
// cancellation of the calling coroutine (then the whole process group is
// stopped). Never throws; expects throw_if_cancelled(false). `env` is the whole
// environment ("NAME=value"); `timeout` only words the error.
boost::asio::awaitable<CommandResult> async_run_command(boost::asio::any_io_executor ex, Command command,
                                                        std::vector<std::string> env,
                                                        std::chrono::steady_clock::time_point deadline,
                                                        std::chrono::milliseconds timeout,
                                                        std::chrono::milliseconds grace, bool cancellable);

std::string format_duration(std::chrono::milliseconds d); // "10s", "1500ms"

// `name` as the shell would run it: a path when it holds a '/', else the first
// executable `name` in env's PATH (default /usr/local/bin:/usr/bin:/bin);
// absolute, or empty when there is none.
std::filesystem::path find_executable(const std::string& name, const std::map<std::string, std::string>& env);

} // namespace omx::process
