// ChildProcess with real processes: output, exit codes and signals, long lines,
// full pipes, group stop with a grandchild that ignores SIGTERM, and the event
// loop never stalling while many children start, print, get killed and exit.
#define BOOST_TEST_MODULE child_process
#include "process/child_process.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fcntl.h>
#include <sys/socket.h>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

namespace asio = boost::asio;
using namespace omx::process;
using namespace std::chrono_literals;

namespace {

struct Result {
    ExitStatus status;
    std::vector<std::string> out, err;
    std::uint64_t cut = 0;
};

std::vector<std::string> base_env() { return {"PATH=/usr/bin:/bin", "LANG=C"}; }

// Runs `command` to completion on a fresh io_context (bounded by `limit`).
Result run(const std::string& command, std::size_t max_line = 1 << 20, std::vector<std::string> env = base_env(),
           std::filesystem::path cwd = "/tmp", std::chrono::seconds limit = 20s) {
    asio::io_context io;
    install_reaper(io.get_executor());
    Result r;
    auto job = [&]() -> asio::awaitable<void> {
        auto child = ChildProcess::spawn(io.get_executor(), {command, cwd, env, {}});
        ChildProcess::LineHandler on_line = [&](Stream s, std::string_view line) {
            (s == Stream::out ? r.out : r.err).emplace_back(line);
        };
        co_await child->async_read_lines(on_line, max_line);
        r.status = co_await child->async_wait();
        r.cut = child->bytes_cut();
    };
    bool done = false;
    asio::co_spawn(io, job(), [&](std::exception_ptr e) {
        done = true;
        io.stop(); // the reaper's SIGCHLD wait would keep the context running
        if (e) std::rethrow_exception(e);
    });
    io.run_for(limit);
    BOOST_REQUIRE_MESSAGE(done, "command did not finish: " + command);
    return r;
}

bool process_group_gone(pid_t pgid) { return ::kill(-pgid, 0) != 0 && errno == ESRCH; }

} // namespace

BOOST_AUTO_TEST_CASE(reads_stdout_and_stderr_lines_and_the_exit_code) {
    auto r = run("echo one; echo two >&2; printf 'three'; exit 3");
    BOOST_TEST(r.out == (std::vector<std::string>{"one", "three"}));
    BOOST_TEST(r.err == (std::vector<std::string>{"two"}));
    BOOST_TEST(r.status.code.value() == 3);
    BOOST_TEST(!r.status.signal.has_value());
}

BOOST_AUTO_TEST_CASE(tells_a_signal_from_an_exit_code) {
    auto r = run("kill -KILL $$");
    BOOST_TEST(!r.status.code.has_value());
    BOOST_TEST(r.status.signal.value() == SIGKILL);
    auto nine = run("exit 9");
    BOOST_TEST(nine.status.code.value() == 9);
    BOOST_TEST(!nine.status.signal.has_value());
}

BOOST_AUTO_TEST_CASE(a_missing_binary_is_exit_127_not_a_crash) {
    auto r = run("definitely-not-an-agent-binary --json");
    BOOST_TEST(r.status.code.value() == 127);
    BOOST_REQUIRE(!r.err.empty());
    BOOST_TEST(r.err.front().find("not found") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(stdin_is_dev_null_and_the_environment_is_exactly_the_given_one) {
    auto r = run("cat; env | sort", 1 << 20, {"PATH=/usr/bin:/bin", "ONLY_THIS=1"});
    BOOST_TEST(r.status.code.value() == 0);
    std::vector<std::string> names;
    for (auto& l : r.out) names.push_back(l.substr(0, l.find('=')));
    BOOST_TEST(std::count(names.begin(), names.end(), "ONLY_THIS") == 1);
    BOOST_TEST(std::count(names.begin(), names.end(), "HOME") == 0);
}

BOOST_AUTO_TEST_CASE(runs_in_the_given_directory) {
    auto dir = std::filesystem::temp_directory_path() / ("omx-cwd-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto r = run("pwd", 1 << 20, base_env(), dir);
    BOOST_TEST(r.out.at(0) == dir.string());
    std::filesystem::remove_all(dir);
}

// Asio opens its sockets without CLOEXEC: nothing of ours (a listening socket,
// a client's connection, a store file) may reach a child. `ls` shows 0-2 and
// the one descriptor it opens for the directory it lists.
BOOST_AUTO_TEST_CASE(a_child_gets_no_descriptor_beyond_stdio) {
    int file = ::open("/dev/null", O_RDONLY); // no O_CLOEXEC, on purpose
    int sock = ::socket(AF_INET, SOCK_STREAM, 0);
    BOOST_REQUIRE(file >= 0);
    BOOST_REQUIRE(sock >= 0);
    auto r = run("ls /proc/self/fd");
    ::close(file);
    ::close(sock);
    BOOST_TEST(r.status.code.value() == 0);
    BOOST_TEST(r.out == (std::vector<std::string>{"0", "1", "2", "3"}));
}

BOOST_AUTO_TEST_CASE(long_lines_are_cut_and_counted) {
    auto r = run("head -c 5000 /dev/zero | tr '\\0' x; echo; echo after", 1000);
    BOOST_REQUIRE(r.out.size() == 2u);
    BOOST_TEST(r.out[0].size() == 1000u);
    BOOST_TEST(r.out[1] == "after");
    BOOST_TEST(r.cut == 4000u);
}

BOOST_AUTO_TEST_CASE(a_child_filling_both_pipes_is_never_blocked) {
    // 8 MiB on each stream, written alternately: a reader of one pipe only would deadlock.
    auto r = run("for i in $(seq 64); do head -c 131072 /dev/zero | tr '\\0' o; echo; "
                 "head -c 131072 /dev/zero | tr '\\0' e >&2; echo >&2; done; echo done",
                 1 << 20);
    BOOST_TEST(r.status.code.value() == 0);
    BOOST_TEST(r.out.size() == 65u);
    BOOST_TEST(r.err.size() == 64u);
    BOOST_TEST(r.out.back() == "done");
}

BOOST_AUTO_TEST_CASE(stop_leaves_no_process_of_the_group_even_one_ignoring_sigterm) {
    asio::io_context io;
    install_reaper(io.get_executor());
    pid_t pgid = 0;
    ExitStatus status;
    std::string grandchild;
    auto job = [&]() -> asio::awaitable<void> {
        auto child = ChildProcess::spawn(
            io.get_executor(),
            {"sh -c 'trap \"\" TERM; echo grandchild $$; while true; do sleep 0.05; done' & wait", "/tmp", base_env(), {}});
        pgid = child->pid();
        ChildProcess::LineHandler on_line = [&](Stream, std::string_view line) {
            if (line.starts_with("grandchild")) grandchild = line;
        };
        auto reader = [&]() -> asio::awaitable<void> { co_await child->async_read_lines(on_line, 4096); };
        asio::co_spawn(io, reader(), asio::detached);
        asio::steady_timer t(io, 300ms); // let the grandchild start and install its trap
        co_await t.async_wait(asio::use_awaitable);
        BOOST_TEST(child->group_alive());
        status = co_await child->async_stop(300ms);
        BOOST_TEST(!child->group_alive());
    };
    bool done = false;
    asio::co_spawn(io, job(), [&](std::exception_ptr e) {
        done = true;
        io.stop();
        if (e) std::rethrow_exception(e);
    });
    io.run_for(15s);
    BOOST_REQUIRE(done);
    BOOST_TEST(!grandchild.empty());
    BOOST_TEST(process_group_gone(pgid));
    BOOST_TEST((status.signal.has_value() || status.code.has_value()));
}

// The stall test: 200 children, 64 at a time, each prints and is then
// killed; a 5 ms repeating timer on the same io_context is never late by more
// than 250 ms, in each of 3 runs.
BOOST_AUTO_TEST_CASE(the_event_loop_never_stalls_while_children_come_and_go) {
    for (int run_no = 1; run_no <= 3; ++run_no) {
        asio::io_context io;
        install_reaper(io.get_executor());
        bool finished = false;
        std::chrono::steady_clock::duration worst{};
        int completed = 0;

        auto ticker = [&]() -> asio::awaitable<void> {
            asio::steady_timer t(io);
            auto next = std::chrono::steady_clock::now() + 5ms;
            while (!finished) {
                t.expires_at(next);
                co_await t.async_wait(asio::use_awaitable);
                worst = std::max(worst, std::chrono::steady_clock::now() - next);
                next = std::chrono::steady_clock::now() + 5ms;
            }
        };
        auto one_child = [&]() -> asio::awaitable<void> {
            // As the agent runner spawns: off the loop's thread.
            SpawnOptions options{"echo ready; exec sleep 10", "/tmp", base_env(), {}}; // named: GCC 12 and co_await
            auto child = co_await ChildProcess::async_spawn(io.get_executor(), std::move(options));
            bool ready = false;
            ChildProcess::LineHandler on_line = [&](Stream, std::string_view) { ready = true; };
            auto reader = [&]() -> asio::awaitable<void> { co_await child->async_read_lines(on_line, 4096); };
            asio::co_spawn(io, reader(), asio::detached);
            asio::steady_timer poll(io);
            while (!ready) {
                poll.expires_after(1ms);
                co_await poll.async_wait(asio::use_awaitable);
            }
            co_await child->async_stop(2s);
            ++completed;
        };
        auto spawner = [&]() -> asio::awaitable<void> {
            int started = 0, running = 0;
            asio::steady_timer poll(io);
            while (completed < 200) {
                while (started < 200 && running < 64) {
                    ++started;
                    ++running;
                    asio::co_spawn(io, one_child(), [&](std::exception_ptr e) {
                        --running;
                        if (e) std::rethrow_exception(e);
                    });
                }
                poll.expires_after(1ms);
                co_await poll.async_wait(asio::use_awaitable);
            }
            finished = true;
            io.stop();
        };
        asio::co_spawn(io, ticker(), asio::detached);
        asio::co_spawn(io, spawner(), asio::detached);
        io.run_for(120s);
        BOOST_REQUIRE_MESSAGE(finished, "run " << run_no << ": only " << completed << " of 200 children completed");
        auto worst_ms = std::chrono::duration_cast<std::chrono::milliseconds>(worst).count();
        BOOST_TEST_MESSAGE("run " << run_no << ": worst timer lateness " << worst_ms << " ms");
        BOOST_TEST(worst_ms < 250);
    }
}
