// Fork/exec and wait helpers for the child processes of integration tests.
#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace omx::test {
namespace {

bool scrubbed(std::string_view name) {
    return name.starts_with("OMX_") || name == "PORT";
}

std::vector<std::string> child_environment(const Env& extra_env) {
    Env merged;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string_view entry(*e);
        auto eq = entry.find('=');
        if (eq == std::string_view::npos || scrubbed(entry.substr(0, eq))) continue;
        merged.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    for (const auto& [name, value] : extra_env)
        merged[name] = value;
    std::vector<std::string> out;
    for (const auto& [name, value] : merged)
        out.push_back(name + "=" + value);
    return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(pid_t parent, char** argv, char** envp, int in_fd, int out_fd,
                             int error_fd) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t all;
    ::sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, nullptr);
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    ::execve(argv[0], argv, envp);
    int err = errno;
    [[maybe_unused]] auto n = ::write(error_fd, &err, sizeof err);
    ::_exit(127);
}

// Reads the errno the child reports if exec failed; 0 when exec succeeded.
int read_exec_error(int fd) {
    int err = 0;
    ssize_t n;
    do
        n = ::read(fd, &err, sizeof err);
    while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(sizeof err) ? err : 0;
}

} // namespace

pid_t spawn_child(const std::vector<std::string>& argv, const Env& extra_env, int out_fd) {
    if (argv.empty()) throw std::invalid_argument("spawn_child: empty argv");
    auto args = argv;
    auto env = child_environment(extra_env);
    auto arg_ptrs = c_strings(args);
    auto env_ptrs = c_strings(env);
    int error_pipe[2];
    if (::pipe2(error_pipe, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe2");
    int dev_null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0)
        exec_child(parent, arg_ptrs.data(), env_ptrs.data(), dev_null, out_fd, error_pipe[1]);
    int fork_errno = errno;
    ::close(error_pipe[1]);
    ::close(dev_null);
    if (pid < 0) {
        ::close(error_pipe[0]);
        throw std::system_error(fork_errno, std::generic_category(), "fork");
    }
    ::setpgid(pid, pid); // also in the parent, so a kill(-pid) right away cannot miss
    int exec_error = read_exec_error(error_pipe[0]);
    ::close(error_pipe[0]);
    if (exec_error != 0) {
        wait_child(pid, std::chrono::seconds(5));
        throw std::system_error(exec_error, std::generic_category(), "exec " + argv[0]);
    }
    return pid;
}

std::optional<int> wait_child(pid_t pid, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return status;
        if (r < 0 && errno != EINTR)
            throw std::system_error(errno, std::generic_category(), "waitpid");
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(20));
    }
}

int kill_and_reap(pid_t pid) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL); // in case it left its process group
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
    }
    return status;
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        return "killed by signal " + std::to_string(sig) + " (" + ::strsignal(sig) + ")";
    }
    return "wait status " + std::to_string(status);
}

} // namespace omx::test
