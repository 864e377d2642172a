// Starts the real omxd binary for an integration test and learns its port from its log.
#include "tests/support/omxd_process.hpp"

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_backend.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>

#ifndef OMXD_PATH
#error "OMXD_PATH must be defined as the omxd binary's path (see tests/CMakeLists.txt)"
#endif

namespace omx::test {
namespace {
const std::string worker_role[] = {"--role", "worker"};
} // namespace

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool is_host_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
}

// The port in the first complete "listening on http://HOST:PORT" of log (the
// line may be plain text or JSON; IPv6 hosts are bracketed).
std::optional<std::uint16_t> find_listening_port(std::string_view log) {
    constexpr std::string_view marker = "listening on http://";
    auto at = log.find(marker);
    if (at == std::string_view::npos) return std::nullopt;
    auto rest = log.substr(at + marker.size());
    std::size_t i = 0;
    if (rest.starts_with('[')) {
        i = rest.find(']');
        if (i == std::string_view::npos) return std::nullopt;
        ++i;
    } else {
        while (i < rest.size() && is_host_char(rest[i]))
            ++i;
    }
    if (i >= rest.size() || rest[i] != ':') return std::nullopt;
    unsigned port = 0;
    std::size_t digits = 0;
    for (++i; i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])); ++i, ++digits) {
        port = port * 10 + static_cast<unsigned>(rest[i] - '0');
        if (port > 65535) return std::nullopt;
    }
    if (digits == 0 || i == rest.size()) return std::nullopt; // the line may not be complete yet
    return static_cast<std::uint16_t>(port);
}

int open_log(const std::filesystem::path& file) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + file.string());
    return fd;
}

// Reads fd until EOF or the deadline; true on EOF.
bool read_until_eof(int fd, Clock::time_point deadline, std::string& out) {
    char buf[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(left));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw std::system_error(errno, std::generic_category(), "poll");
        if (r == 0) return false;
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return true;
        out.append(buf, static_cast<std::size_t>(n));
    }
}

int exit_code_of(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace

OmxdProcess::OmxdProcess() : own_dir_(std::make_unique<TempDir>("omxd-test")) {
    state_dir_ = own_dir_->path() / "state";
    log_dir_ = own_dir_->path();
}

OmxdProcess::OmxdProcess(std::filesystem::path state_dir, std::filesystem::path log_dir)
    : state_dir_(std::move(state_dir)), log_dir_(std::move(log_dir)) {}

OmxdProcess::~OmxdProcess() {
    if (pid_ <= 0) return;
    if (status_) {
        ::kill(-pid_, SIGKILL); // whatever it left behind in its process group
        return;
    }
    try {
        kill_and_reap(pid_);
    } catch (const std::exception&) {
        // never throw from a destructor; the child is gone or not ours
    }
}

std::string OmxdProcess::binary_path() {
    return OMXD_PATH;
}

std::string OmxdProcess::base_url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
}

std::filesystem::path OmxdProcess::log_path() const {
    return log_dir_ / ("omxd-" + std::to_string(starts_) + ".log");
}

std::string OmxdProcess::stderr_text() const {
    return read_file(log_path());
}

std::vector<std::string> OmxdProcess::command_line(const std::vector<std::string>& extra) const {
    std::vector<std::string> argv{binary_path(), "serve",
                                  "--listen",    "127.0.0.1:" + std::to_string(listen_port_),
                                  "--state-dir", state_dir_.string()};
    // Tests of the API alone run no jobs (--role api) and nothing outside
    // their temp dir; a test that wants the engine names --role all.
    auto names = [&](std::string_view flag) { return std::find(extra.begin(), extra.end(), flag) != extra.end(); };
    // On Redis an API node leaves actions to a worker: API-only tests get one
    // in the same process that runs no agents (jobs stay as the API leaves them).
    if (!names("--role") && on_redis_backend()) argv.insert(argv.end(), {"--role", "all", "--max-agents", "0"});
    else if (!names("--role")) argv.insert(argv.end(), {"--role", "api"});
    if (!names("--work-root")) argv.insert(argv.end(), {"--work-root", (log_dir_ / "runs").string()});
    // On Redis a restarted omxd is a new worker: it takes over what its
    // predecessor held once the lease ran out, so tests use a short one — 3 s
    // of real time, whatever --time-scale multiplies it by.
    if (on_redis_backend() && !names("--redis")) {
        double scale = 1.0;
        for (std::size_t i = 0; i + 1 < extra.size(); ++i) // the last one wins, as in omxd
            if (extra[i] == "--time-scale") scale = std::stod(extra[i + 1]);
        argv.insert(argv.end(), {"--redis", redis_url_for(state_dir_), "--job-lease", std::to_string(3.0 / scale)});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

void OmxdProcess::start(std::vector<std::string> extra_args, Env extra_env) {
    if (pid_ > 0 && !status_) throw std::logic_error("OmxdProcess::start: omxd is still running");
    ++starts_;
    int log_fd = open_log(log_path());
    try {
        pid_ = spawn_child(command_line(extra_args), extra_env, log_fd);
    } catch (...) {
        ::close(log_fd);
        throw;
    }
    ::close(log_fd);
    status_.reset();
    port_ = 0;
    auto worker = std::search(extra_args.begin(), extra_args.end(), std::begin(worker_role), std::end(worker_role));
    if (worker != extra_args.end()) await_log_line("worker started"); // a worker serves no HTTP
    else await_listening();
}

void OmxdProcess::await_listening() {
    auto deadline = Clock::now() + start_timeout_;
    for (;;) {
        if (auto port = find_listening_port(stderr_text())) {
            port_ = *port;
            return;
        }
        if (auto status = wait_child(pid_, milliseconds(0))) {
            status_ = status;
            fail_start("omxd " + describe_wait_status(*status) + " before listening");
        }
        if (Clock::now() >= deadline) {
            status_ = kill_and_reap(pid_);
            fail_start("omxd did not log 'listening on http://...' within " +
                       std::to_string(start_timeout_.count()) + " ms (killed it)");
        }
        std::this_thread::sleep_for(milliseconds(10));
    }
}

void OmxdProcess::await_log_line(std::string_view line) {
    auto deadline = Clock::now() + start_timeout_;
    while (stderr_text().find(line) == std::string::npos) {
        if (auto status = wait_child(pid_, milliseconds(0))) {
            status_ = status;
            fail_start("omxd " + describe_wait_status(*status) + " before logging '" + std::string(line) + "'");
        }
        if (Clock::now() >= deadline) {
            status_ = kill_and_reap(pid_);
            fail_start("omxd did not log '" + std::string(line) + "' within " + std::to_string(start_timeout_.count()) +
                       " ms (killed it)");
        }
        std::this_thread::sleep_for(milliseconds(10));
    }
}

void OmxdProcess::fail_start(const std::string& why) {
    throw std::runtime_error(why + "; " + log_path().string() + ":\n" + stderr_text());
}

void OmxdProcess::kill(int sig) {
    if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

std::optional<int> OmxdProcess::wait_exit(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) throw std::logic_error("OmxdProcess::wait_exit: never started");
    if (!status_) status_ = wait_child(pid_, timeout);
    return status_;
}

int OmxdProcess::stop(std::chrono::milliseconds grace) {
    kill(SIGTERM);
    if (auto status = wait_exit(grace)) return *status;
    status_ = kill_and_reap(pid_);
    return *status_;
}

bool OmxdProcess::running() {
    return pid_ > 0 && !wait_exit(milliseconds(0));
}

std::optional<int> OmxdProcess::exit_code() const {
    if (!status_ || !WIFEXITED(*status_)) return std::nullopt;
    return WEXITSTATUS(*status_);
}

CapturedRun OmxdProcess::run_and_capture(std::vector<std::string> args,
                                         std::chrono::milliseconds timeout, Env extra_env) {
    args.insert(args.begin(), binary_path());
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe2");
    pid_t pid;
    try {
        pid = spawn_child(args, extra_env, out[1]);
    } catch (...) {
        ::close(out[0]);
        ::close(out[1]);
        throw;
    }
    ::close(out[1]);
    auto deadline = Clock::now() + timeout;
    CapturedRun run{0, {}};
    bool eof = read_until_eof(out[0], deadline, run.output);
    ::close(out[0]);
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    auto status = eof ? wait_child(pid, std::max(left, milliseconds(0))) : std::nullopt;
    if (!status) {
        kill_and_reap(pid);
        throw std::runtime_error("omxd did not exit within " + std::to_string(timeout.count()) +
                                 " ms; output:\n" + run.output);
    }
    run.exit_code = exit_code_of(*status);
    return run;
}

} // namespace omx::test
