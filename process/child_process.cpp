// clone/exec of a process group, pipe reading, SIGCHLD-driven reaping, group stop.
#include "process/child_process.hpp"

#include "runtime/metrics.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>
#include <unordered_map>

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace omx::process {
namespace {

// The exit status of one child, handed from the SIGCHLD handler to its waiters.
struct WaitState {
    WaitState(asio::any_io_executor ex) : executor(ex), wakeup(ex, asio::steady_timer::time_point::max()) {}
    std::mutex mutex;
    std::optional<ExitStatus> status;
    asio::any_io_executor executor;
    // Never expires; cancelled (on `executor`) when the status is known, which
    // wakes every waiter at once. Its expiry is never reset: that would cancel
    // the other waiters' waits.
    asio::steady_timer wakeup;
};

ExitStatus decode(int raw) {
    ExitStatus s;
    if (WIFEXITED(raw)) s.code = WEXITSTATUS(raw);
    else if (WIFSIGNALED(raw)) s.signal = WTERMSIG(raw);
    return s;
}

// Reaps every exited child on SIGCHLD and wakes its waiter. Orphaned
// descendants (we are a subreaper) are reaped too and ignored. One per
// io_context, as an Asio service, so it lives and dies with its context.
class Reaper : public asio::execution_context::service {
public:
    using key_type = Reaper;
    static inline asio::execution_context::id id;

    explicit Reaper(asio::execution_context& ctx)
        : service(ctx), signals_(static_cast<asio::io_context&>(ctx).get_executor(), SIGCHLD) {
        ::prctl(PR_SET_CHILD_SUBREAPER, 1);
        arm();
    }
    static Reaper& of(const asio::any_io_executor& ex) {
        return asio::use_service<Reaper>(asio::query(ex, asio::execution::context));
    }
    // The clone happens under the lock, so a child cannot be reaped before its waiter exists.
    std::unique_lock<std::mutex> lock() { return std::unique_lock(mutex_); }
    void add(pid_t pid, std::shared_ptr<WaitState> state) { waiting_[pid] = std::move(state); }
    void reap_now() { on_sigchld(); } // also after a missed signal (signals coalesce)

private:
    void shutdown() override {
        boost::system::error_code ec;
        signals_.cancel(ec);
        waiting_.clear();
    }
    void arm() {
        signals_.async_wait([this](boost::system::error_code ec, int) {
            if (ec) return;
            on_sigchld();
            arm();
        });
    }
    void on_sigchld() {
        std::lock_guard lock(mutex_);
        for (;;) {
            int raw = 0;
            pid_t pid = ::waitpid(-1, &raw, WNOHANG);
            if (pid <= 0) break;
            auto it = waiting_.find(pid);
            if (it == waiting_.end()) continue;
            auto state = it->second;
            waiting_.erase(it);
            {
                std::lock_guard s(state->mutex);
                state->status = decode(raw);
            }
            asio::post(state->executor, [state] { state->wakeup.cancel(); });
        }
    }
    std::mutex mutex_;
    asio::signal_set signals_;
    std::unordered_map<pid_t, std::shared_ptr<WaitState>> waiting_;
};

void make_pipe(int fds[2]) {
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
}

// In the child: `fd` moved to a number above 2 (when below), so that no dup2
// onto 0-2 overwrites another of the three, and every dup2 makes a copy
// without FD_CLOEXEC.
int above_stdio(int fd) {
    if (fd > STDERR_FILENO) return fd;
    int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    if (moved < 0) ::_exit(127);
    return moved;
}

// In the child: closes every descriptor from 3 up. Asio opens its sockets
// without CLOEXEC, and nothing of the server (listening sockets, clients'
// connections, store files) may reach an agent.
void close_from_3(long open_max) {
    if (::close_range(3, ~0U, 0) == 0) return;
    // Kernels before 5.9 (ENOSYS): one close per possible descriptor.
    for (long fd = 3; fd < open_max; ++fd) ::close(static_cast<int>(fd));
}

// What the child needs between clone and exec, prepared by the parent.
struct ExecArgs {
    pid_t parent;
    int devnull, out, err;
    long open_max;
    const char* cwd;
    const char* program;
    char* const* argv;
    char* const* envp;
};

// In the child, between clone and exec. It shares the parent's memory
// (CLONE_VM, like vfork) while the parent thread waits: only raw syscalls, no
// allocation, nothing written but its own locals.
int exec_child(void* raw) {
    auto& a = *static_cast<const ExecArgs*>(raw);
    ::setsid(); // its own process group, and no controlling terminal to inject keystrokes into
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != a.parent) ::_exit(127); // the parent died before prctl took effect
    int devnull = above_stdio(a.devnull), out = above_stdio(a.out), err = above_stdio(a.err);
    ::dup2(devnull, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    close_from_3(a.open_max);
    // The parent's handlers (Asio's signal pipe) must never run here: back to
    // the defaults (SIGPIPE too, which the server ignores), then unblock.
    for (int sig = 1; sig < NSIG; ++sig) {
        struct sigaction action {};
        if (::sigaction(sig, nullptr, &action) != 0) continue;
        if (action.sa_handler != SIG_DFL && (action.sa_handler != SIG_IGN || sig == SIGPIPE)) {
            action.sa_handler = SIG_DFL;
            action.sa_flags = 0;
            ::sigaction(sig, &action, nullptr);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::chdir(a.cwd) != 0) {
        const char msg[] = "omx: cannot enter the working directory\n";
        (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
        ::_exit(127);
    }
    ::execve(a.program, a.argv, a.envp);
    ::_exit(127);
}

// Starts exec_child with clone(CLONE_VM | CLONE_VFORK), as posix_spawn does:
// the cost does not grow with the server's memory (fork copies its page
// tables), and the calling thread resumes once the child has exec'd or exited.
// Every signal stays blocked across the clone, so no handler runs in the child.
pid_t clone_and_exec(ExecArgs& args) {
    constexpr std::size_t stack_size = 256 * 1024;
    auto stack = std::make_unique<char[]>(stack_size);
    sigset_t all, previous;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, &previous);
    pid_t pid = ::clone(exec_child, stack.get() + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    int clone_errno = errno;
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    errno = clone_errno;
    return pid;
}

} // namespace

void install_reaper(asio::any_io_executor executor) { Reaper::of(executor); }

struct ChildProcess::Impl {
    Impl(asio::any_io_executor ex) : executor(ex), out(ex), err(ex), wait(std::make_shared<WaitState>(ex)) {}
    asio::any_io_executor executor;
    asio::posix::stream_descriptor out, err;
    std::shared_ptr<WaitState> wait;
    pid_t pid = -1;
    bool reaped = false;
};

ChildProcess::ChildProcess(std::unique_ptr<Impl> impl) : impl_(std::move(impl)), pid_(impl_->pid) {}

ChildProcess::~ChildProcess() {
    if (!impl_->reaped) {
        ::kill(-pid_, SIGKILL); // the reaper collects it; nobody waits for it any more
    }
}

std::unique_ptr<ChildProcess> ChildProcess::spawn(asio::any_io_executor executor, const SpawnOptions& o) {
    try {
        auto child = start(std::move(executor), o);
        metrics::count(metrics::family::process_spawns);
        return child;
    } catch (...) {
        metrics::count(metrics::family::spawn_failures);
        throw;
    }
}

asio::awaitable<std::unique_ptr<ChildProcess>> ChildProcess::async_spawn(asio::any_io_executor executor,
                                                                        SpawnOptions options) {
    static asio::thread_pool spawner(1);
    auto on_spawner = [&]() -> asio::awaitable<std::unique_ptr<ChildProcess>> { co_return spawn(executor, options); };
    auto work = on_spawner(); // named: GCC 12 and temporaries in co_await
    co_return co_await asio::co_spawn(spawner.get_executor(), std::move(work), asio::use_awaitable);
}

std::unique_ptr<ChildProcess> ChildProcess::start(asio::any_io_executor executor, const SpawnOptions& o) {
    std::vector<std::string> args = o.wrapper;
    args.insert(args.end(), {o.wrapper.empty() ? "sh" : "/bin/sh", "-c", o.command});
    std::string program = o.wrapper.empty() ? "/bin/sh" : o.wrapper.front();
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : o.environment) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    std::string cwd = o.cwd.empty() ? std::string(".") : o.cwd.string();

    int out[2], err[2];
    make_pipe(out);
    try {
        make_pipe(err);
    } catch (...) {
        ::close(out[0]);
        ::close(out[1]);
        throw;
    }
    int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) {
        int open_errno = errno;
        for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
        throw std::system_error(open_errno, std::generic_category(), "open /dev/null");
    }
    long open_max = ::sysconf(_SC_OPEN_MAX); // not async-signal-safe: asked before the clone
    if (open_max < 0) open_max = 1 << 20;
    auto impl = std::make_unique<Impl>(executor);
    ExecArgs exec_args{::getpid(),     devnull,     out[1],     err[1], open_max,
                       cwd.c_str(),    program.c_str(), argv.data(), envp.data()};
    pid_t pid;
    {
        auto& reaper = Reaper::of(executor);
        auto lock = reaper.lock();
        pid = clone_and_exec(exec_args);
        if (pid > 0) reaper.add(pid, impl->wait);
    }
    int clone_errno = errno;
    ::close(devnull);
    ::close(out[1]);
    ::close(err[1]);
    if (pid < 0) {
        ::close(out[0]);
        ::close(err[0]);
        throw std::system_error(clone_errno, std::generic_category(), "clone");
    }
    // CLONE_VFORK: the child's setsid() has run by now, so signals to the group reach it.
    impl->pid = pid;
    impl->out.assign(out[0]);
    impl->err.assign(err[0]);
    return std::unique_ptr<ChildProcess>(new ChildProcess(std::move(impl)));
}

namespace {

// Splits a byte stream into lines, cutting lines longer than `max`.
class LineSplitter {
public:
    LineSplitter(Stream s, ChildProcess::LineHandler& h, std::size_t max, std::uint64_t& cut)
        : stream_(s), handler_(h), max_(max), cut_(cut) {}
    void feed(std::string_view bytes) {
        while (!bytes.empty()) {
            auto nl = bytes.find('\n');
            auto part = bytes.substr(0, nl);
            take(part);
            if (nl == std::string_view::npos) return;
            flush();
            bytes.remove_prefix(nl + 1);
        }
    }
    void finish() {
        if (!line_.empty() || cutting_) flush();
    }

private:
    void take(std::string_view part) {
        auto room = max_ > line_.size() ? max_ - line_.size() : 0;
        line_.append(part.substr(0, room));
        if (part.size() > room) {
            cut_ += part.size() - room;
            cutting_ = true;
        }
    }
    void flush() {
        handler_(stream_, line_);
        line_.clear();
        cutting_ = false;
    }
    Stream stream_;
    ChildProcess::LineHandler& handler_;
    std::size_t max_;
    std::uint64_t& cut_;
    std::string line_;
    bool cutting_ = false;
};

asio::awaitable<void> pump(asio::posix::stream_descriptor& pipe, LineSplitter& lines) {
    std::string buffer(64 * 1024, '\0');
    for (;;) {
        auto [ec, n] = co_await pipe.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
        if (n > 0) lines.feed(std::string_view(buffer.data(), n));
        if (ec) break;
    }
    lines.finish();
}

} // namespace

asio::awaitable<void> ChildProcess::async_read_lines(LineHandler on_line, std::size_t max_line) {
    LineSplitter out(Stream::out, on_line, max_line, bytes_cut_);
    LineSplitter err(Stream::err, on_line, max_line, bytes_cut_);
    co_await (pump(impl_->out, out) && pump(impl_->err, err));
}

asio::awaitable<ExitStatus> ChildProcess::async_wait() {
    auto state = impl_->wait;
    for (;;) {
        {
            std::lock_guard lock(state->mutex);
            if (state->status) {
                impl_->reaped = true;
                co_return *state->status;
            }
        }
        co_await state->wakeup.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

void ChildProcess::signal_group(int sig) { ::kill(-pid_, sig); }

void ChildProcess::close_pipes() {
    boost::system::error_code ec;
    impl_->out.close(ec);
    impl_->err.close(ec);
}

bool ChildProcess::group_alive() const { return ::kill(-pid_, 0) == 0 || errno == EPERM; }

asio::awaitable<ExitStatus> ChildProcess::async_stop(std::chrono::milliseconds grace) {
    auto state = impl_->wait;
    auto leader_done = [&] {
        std::lock_guard lock(state->mutex);
        return state->status.has_value();
    };
    asio::steady_timer tick(impl_->executor);
    auto settle = [&](std::chrono::milliseconds within) -> asio::awaitable<bool> {
        auto deadline = std::chrono::steady_clock::now() + within;
        while (!(leader_done() && !group_alive())) {
            if (std::chrono::steady_clock::now() >= deadline) co_return false;
            Reaper::of(impl_->executor).reap_now();
            tick.expires_after(std::chrono::milliseconds(10));
            co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        co_return true;
    };
    signal_group(SIGTERM);
    if (!co_await settle(grace)) {
        signal_group(SIGKILL);
        co_await settle(std::chrono::seconds(5)); // SIGKILL cannot be ignored; this only waits for the reaping
    }
    co_return co_await async_wait();
}

} // namespace omx::process
