// Fork/exec and wait helpers for the child processes of integration tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace omx::test {

using Env = std::map<std::string, std::string>;

// Starts argv[0] (a path, no PATH search) with stdin from /dev/null and stdout
// and stderr on out_fd. The child leads its own process group and gets SIGKILL
// if the test process dies. Its environment is the test's own without OMX_*
// and PORT (so a developer's shell cannot change a test), plus extra_env.
// Throws std::system_error if fork or exec fails.
pid_t spawn_child(const std::vector<std::string>& argv, const Env& extra_env, int out_fd);

// The raw wait status once the child has exited (it is then reaped), or
// nullopt if it is still running when the timeout expires.
std::optional<int> wait_child(pid_t pid, std::chrono::milliseconds timeout);

// SIGKILLs the child's whole process group and reaps the child; returns its
// raw wait status.
int kill_and_reap(pid_t pid);

// "exited with code 2", "killed by signal 9 (Killed)".
std::string describe_wait_status(int status);

} // namespace omx::test
