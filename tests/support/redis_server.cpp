#include "tests/support/redis_server.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/shell.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace omx::test {
namespace {

// One PING on a fresh connection: true when the answer is +PONG.
bool answers_ping(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::write(fd, "PING\r\n", 6) == 6) {
        char reply[16] = {};
        ok = ::read(fd, reply, sizeof reply - 1) > 0 && std::string_view(reply).starts_with("+PONG");
    }
    ::close(fd);
    return ok;
}

} // namespace

RedisServer::RedisServer(int databases) : databases_(databases) {
    {
        LoopbackListener probe; // a free port, released right before redis-server takes it
        port_ = probe.port;
    }
    start();
}

RedisServer::~RedisServer() {
    if (pid_ > 0) kill_and_reap(pid_);
}

void RedisServer::start() {
    if (pid_ > 0) throw std::logic_error("redis-server is already running");
    int log = ::open((dir_ / "redis.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) throw std::runtime_error("cannot open redis.log");
    pid_ = spawn_child({"/usr/bin/redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                        "--dir", dir_.str(), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                        "--daemonize", "no", "--protected-mode", "yes",
                        "--databases", std::to_string(databases_)},
                       {}, log);
    ::close(log);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!answers_ping(port_)) {
        if (wait_child(pid_, std::chrono::milliseconds(0))) {
            pid_ = -1;
            throw std::runtime_error("redis-server exited at start: " + read_file(dir_ / "redis.log"));
        }
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("redis-server did not answer PING within 10 s: " + read_file(dir_ / "redis.log"));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void RedisServer::kill() {
    if (pid_ <= 0) return;
    kill_and_reap(pid_);
    pid_ = -1;
}

void RedisServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!wait_child(pid_, std::chrono::seconds(10))) kill_and_reap(pid_);
    pid_ = -1;
}

void RedisServer::pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void RedisServer::resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
}

} // namespace omx::test
