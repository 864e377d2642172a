// A subprocess as awaitables: `/bin/sh -c COMMAND` started as the leader of a
// new session and process group (no controlling terminal), stdin /dev/null, stdout and stderr as pipes read line by
// line, no other descriptor of ours (every fd from 3 up is closed before exec),
// PR_SET_PDEATHSIG = SIGKILL; waited for through SIGCHLD (never a blocking wait
// on the loop), stopped as a whole group (SIGTERM, grace, SIGKILL), always reaped.
//
// A ChildProcess is driven from one strand or a single-threaded executor: its
// awaitables and calls must not run on several threads at once.
//
// Boost.Process v2 is not used: in 1.81 its pidfd wait may block the loop and
// its vfork launcher is broken (toolchain.md).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace omx::process {

struct SpawnOptions {
    std::string command;                 // run as /bin/sh -c COMMAND
    std::filesystem::path cwd;           // working directory
    std::vector<std::string> environment; // "NAME=value", the whole environment
    // When set, the program that runs `/bin/sh -c COMMAND` (its absolute path
    // first): the sandbox (process/sandbox.hpp).
    std::vector<std::string> wrapper;
};

struct ExitStatus {
    std::optional<int> code;   // exit code when it exited
    std::optional<int> signal; // signal number when a signal ended it
    bool exited_normally() const { return code.has_value(); }
};

enum class Stream { out, err };

class ChildProcess {
public:
    using LineHandler = std::function<void(Stream, std::string_view line)>;

    // Starts the command; throws std::system_error when clone or pipe fail.
    // The reaper must have been installed on the executor's io_context first.
    static std::unique_ptr<ChildProcess> spawn(boost::asio::any_io_executor executor, const SpawnOptions& options);
    // spawn() on a thread of its own, resuming on the caller's executor: a
    // clone and exec costs milliseconds, and a burst of them must not hold up
    // the loop. (That thread lives as long as the process: PR_SET_PDEATHSIG
    // follows the thread that cloned.)
    static boost::asio::awaitable<std::unique_ptr<ChildProcess>> async_spawn(boost::asio::any_io_executor executor,
                                                                             SpawnOptions options);
    ~ChildProcess();

    pid_t pid() const { return pid_; }

    // Reads both pipes concurrently until both close, calling `on_line` for every
    // line (without its newline). A line longer than `max_line` is delivered cut
    // at max_line bytes; the rest of it is counted in `bytes_cut` and dropped.
    boost::asio::awaitable<void> async_read_lines(LineHandler on_line, std::size_t max_line);
    std::uint64_t bytes_cut() const { return bytes_cut_; }

    // Completes once the process has exited and was reaped. Several coroutines
    // may wait at once (async_stop waits too).
    boost::asio::awaitable<ExitStatus> async_wait();

    // Signals the whole process group (no-op once the group is gone).
    void signal_group(int sig);
    // SIGTERM to the group; SIGKILL to whatever of the group is left after `grace`;
    // returns the leader's exit status. No process of the group survives it.
    boost::asio::awaitable<ExitStatus> async_stop(std::chrono::milliseconds grace);
    bool group_alive() const;
    // Ends async_read_lines even if a descendant that left the group still holds the pipes.
    void close_pipes();

private:
    struct Impl;
    explicit ChildProcess(std::unique_ptr<Impl> impl);
    static std::unique_ptr<ChildProcess> start(boost::asio::any_io_executor executor, const SpawnOptions& options);
    std::unique_ptr<Impl> impl_;
    pid_t pid_ = -1;
    std::uint64_t bytes_cut_ = 0;
};

// Installs SIGCHLD handling on the io_context (once per process) and makes this
// process a child subreaper, so orphaned descendants come back to it and are reaped.
// The reaper reaps every child of the process (waitpid(-1, WNOHANG)): no other
// code in the process may wait for children of its own.
void install_reaper(boost::asio::any_io_executor executor);

} // namespace omx::process
