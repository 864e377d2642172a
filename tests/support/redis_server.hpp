// A real redis-server for a test: its own temporary directory, a free
// loopback port, AOF on with appendfsync always (the durability storage.md
// asks deployments for). Stopped (SIGKILL) on destruction.
#pragma once

#include "tests/support/temp_dir.hpp"

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace omx::test {

class RedisServer {
public:
    // Starts it; fails the test (throws) when it does not answer PING.
    explicit RedisServer(int databases = 16);
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
    const std::filesystem::path& dir() const { return dir_.path(); }

    void kill();    // SIGKILL, reaped: what is not in the AOF is gone
    void stop();    // SIGTERM (a clean shutdown), reaped
    void start();   // again, on the same port and directory (after kill or stop)
    bool running() const { return pid_ > 0; }
    // Pauses (SIGSTOP) or resumes (SIGCONT) it: connections stay open, nothing answers.
    void pause();
    void resume();

private:
    TempDir dir_{"omx-redis"};
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    int databases_;
};

} // namespace omx::test
