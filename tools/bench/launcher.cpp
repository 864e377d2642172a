// Starting and stopping an omxd for the recovery scenario.
#include "tools/bench/launcher.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace omx::bench {

std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

namespace {

// "0", "0-1", "0,2": the CPUs of a taskset list.
bool parse_cpus(const std::string& list, cpu_set_t& set) {
    CPU_ZERO(&set);
    std::stringstream in(list);
    std::string part;
    bool any = false;
    while (std::getline(in, part, ',')) {
        int a = 0, b = 0;
        auto dash = part.find('-');
        auto first = part.substr(0, dash);
        auto [p, ec] = std::from_chars(first.data(), first.data() + first.size(), a);
        if (ec != std::errc()) return false;
        b = a;
        if (dash != std::string::npos) {
            auto last = part.substr(dash + 1);
            auto [q, ec2] = std::from_chars(last.data(), last.data() + last.size(), b);
            if (ec2 != std::errc()) return false;
        }
        for (int c = a; c <= b && c < CPU_SETSIZE; ++c) CPU_SET(c, &set), any = true;
    }
    return any;
}

} // namespace

ServerProcess start_server(const std::string& omxd, const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env, const std::string& log_path,
                           const std::string& cpus) {
    ServerProcess p;
    p.port = free_port();
    p.log_path = log_path;
    std::vector<std::string> argv_s{omxd, "serve", "--listen", "127.0.0.1:" + std::to_string(p.port)};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<std::string> env_s;
    for (char** e = environ; *e; ++e) {
        std::string_view entry(*e);
        auto name = entry.substr(0, entry.find('='));
        if (!env.count(std::string(name))) env_s.emplace_back(entry);
    }
    for (auto& [k, v] : env) env_s.push_back(k + "=" + v);
    std::vector<char*> argv, envp;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    cpu_set_t set;
    bool pin = !cpus.empty() && parse_cpus(cpus, set);
    if (!cpus.empty() && !pin) throw std::runtime_error("bad CPU list '" + cpus + "'");
    int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot open " + log_path + ": " + std::strerror(errno));
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(log_fd);
        ::close(null_fd);
        throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
    }
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        ::setpgid(0, 0);
        if (pin) ::sched_setaffinity(0, sizeof set, &set);
        ::dup2(null_fd, 0);
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        ::execve(argv[0], argv.data(), envp.data());
        const char msg[] = "omx-bench: cannot exec omxd\n";
        (void)!::write(2, msg, sizeof msg - 1);
        ::_exit(127);
    }
    ::close(log_fd);
    ::close(null_fd);
    p.pid = pid;
    return p;
}

bool has_exited(ServerProcess& p) {
    if (p.pid <= 0) return true;
    int status = 0;
    if (::waitpid(p.pid, &status, WNOHANG) == p.pid) {
        p.pid = -1;
        return true;
    }
    return false;
}

int stop_server(ServerProcess& p, int sig, std::chrono::milliseconds timeout) {
    if (p.pid <= 0) return -1;
    ::kill(p.pid, sig);
    auto deadline = Clock::now() + timeout;
    int status = 0;
    for (;;) {
        pid_t r = ::waitpid(p.pid, &status, WNOHANG);
        if (r == p.pid) break;
        if (Clock::now() > deadline) {
            ::kill(p.pid, SIGKILL);
            ::waitpid(p.pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    p.pid = -1;
    return status;
}

asio::awaitable<bool> wait_ready(ServerProcess& p, Clock::time_point deadline, std::string& error) {
    std::string parse_error;
    auto url = parse_url(p.url(), parse_error);
    auto raw = raw_request(*url, "GET", "/v1/readyz");
    auto executor = co_await asio::this_coro::executor; // named, not in the co_await (GCC 12)
    Connection c(executor);
    for (;;) {
        if (has_exited(p)) {
            error = "omxd exited before it was ready: " + tail_of_file(p.log_path, 600);
            co_return false;
        }
        Response res;
        bool answered = co_await call(c, *url, raw, res);
        if (answered && res.status == 200) co_return true;
        if (Clock::now() > deadline) {
            error = "omxd not ready in time (last: " + (res.status ? std::to_string(res.status) : c.error()) + ")";
            co_return false;
        }
        c.close();
        co_await sleep_for(std::chrono::milliseconds(2));
    }
}

std::string tail_of_file(const std::string& path, std::size_t bytes) {
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

} // namespace omx::bench
