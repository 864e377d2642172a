// Starting and stopping an omxd for the recovery scenario.
#pragma once

#include "tools/bench/common.hpp"

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace omx::bench {

// A free loopback port (bound, read, released).
std::uint16_t free_port();

struct ServerProcess {
    pid_t pid = -1;
    std::uint16_t port = 0;
    std::string log_path;
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

// Starts `omxd serve --listen 127.0.0.1:PORT ARGS…` with `env` added to this
// process's environment, stdout and stderr appended to log_path, pinned to
// `cpus` (a taskset list such as "0" or "0-1"; empty: inherited). Throws on failure.
ServerProcess start_server(const std::string& omxd, const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env, const std::string& log_path,
                           const std::string& cpus);

// Sends `sig` and waits up to `timeout` for the exit (then SIGKILL). The exit
// status, or -1.
int stop_server(ServerProcess& p, int sig, std::chrono::milliseconds timeout);

// True once the process has exited (it is reaped).
bool has_exited(ServerProcess& p);

// Polls GET /v1/readyz until it answers 200 (true) or the deadline passes or
// the process exits (false, `error` set).
asio::awaitable<bool> wait_ready(ServerProcess& p, Clock::time_point deadline, std::string& error);

std::string tail_of_file(const std::string& path, std::size_t bytes);

} // namespace omx::bench
