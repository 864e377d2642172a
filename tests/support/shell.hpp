// Test-side helpers for running a shell command to completion (setup steps,
// checks with real tools) and for a listening loopback socket.
#pragma once

#include <cstdint>
#include <string>

namespace omx::test {

struct ShellResult {
    int exit_code; // -1 when it did not exit normally
    std::string output;
};

// Runs `command` with /bin/sh and waits; its stdout (add 2>&1 for stderr too).
ShellResult run_shell(const std::string& command);

// A TCP socket listening on 127.0.0.1 at a free port; closed on destruction.
struct LoopbackListener {
    explicit LoopbackListener(int backlog = 16);
    ~LoopbackListener();
    LoopbackListener(const LoopbackListener&) = delete;
    LoopbackListener& operator=(const LoopbackListener&) = delete;
    int fd = -1;
    std::uint16_t port = 0;
};

} // namespace omx::test
