// Proves the order that --fsync always promises (storage.md, Durability): the
// event's bytes are written to the job's events.jsonl (a new job's to the
// creation journal), the fdatasync of that file returns, and only then does the
// server start writing "HTTP/1.1 201".
// A kill -9 cannot show this (the page cache survives a process crash), so
// omxd runs under `strace -f` and the test reads the order of the syscalls.
#define BOOST_TEST_MODULE fsync_order
#include <boost/test/unit_test.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json_util.hpp"
#include "tests/support/omxd_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string_view>
#include <thread>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace omx::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* strace_path = "/usr/bin/strace";

// ---------------------------------------------------------------- strace output

// One traced syscall, possibly reported in two pieces (`<unfinished ...>` and
// `<... name resumed>`) when other threads interleave. Positions are line
// numbers of the trace, which strace writes in the order it sees the events.
struct Syscall {
    int pid = 0;
    std::string name;
    std::string args;      // the text of the call as first printed (with -y paths, -s strings)
    std::string result;    // after " = ", e.g. "0" or "-1 EIO (...)"; "" if never completed
    std::size_t start = 0; // line where it was entered
    std::size_t end = 0;   // line where it returned
    bool completed() const { return !result.empty(); }
};

// Splits `s` at its first run of spaces: the token before, the rest after.
std::pair<std::string_view, std::string_view> first_token(std::string_view s) {
    auto end = s.find(' ');
    if (end == std::string_view::npos) return {s, {}};
    auto rest = s.substr(end);
    return {s.substr(0, end), rest.substr(std::min(rest.find_first_not_of(' '), rest.size()))};
}

bool is_word(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// Parses `strace -f -tt` output: "<pid> <hh:mm:ss.us> <event>". Lines hold
// whole written buffers (up to 64 KiB): read by hand, since std::regex
// recurses per character and overflowed the stack on them under ASan.
std::vector<Syscall> parse_trace(const std::string& text) {
    std::vector<Syscall> calls;
    std::map<int, Syscall> open; // per pid: entered, not yet returned
    std::istringstream in(text);
    std::string line;
    for (std::size_t n = 0; std::getline(in, line); ++n) {
        auto [pid_text, after_pid] = first_token(line);
        auto [time, event_view] = first_token(after_pid);
        if (pid_text.empty() || !std::all_of(pid_text.begin(), pid_text.end(), [](char c) { return c >= '0' && c <= '9'; }) || time.size() < 9 ||
            time[2] != ':' || time[5] != ':' || time[8] != '.')
            continue;
        int pid = std::stoi(std::string(pid_text));
        std::string event(event_view);
        auto finish = [&](Syscall call, const std::string& tail) {
            auto eq = tail.rfind(") = ");
            call.end = n;
            call.result = eq == std::string::npos ? "?" : tail.substr(eq + 4);
            calls.push_back(std::move(call));
        };
        constexpr std::string_view resumed_open = "<... ", resumed_close = " resumed>";
        auto paren = event.find('(');
        if (event.starts_with(resumed_open)) {
            auto close = event.find(resumed_close);
            if (close == std::string::npos) continue;
            auto name = event.substr(resumed_open.size(), close - resumed_open.size());
            auto it = open.find(pid);
            if (!is_word(name) || it == open.end() || it->second.name != name) continue; // started before tracing
            Syscall call = std::move(it->second);
            open.erase(it);
            finish(std::move(call), event.substr(close + resumed_close.size()));
        } else if (paren != std::string::npos && is_word(std::string_view(event).substr(0, paren))) {
            Syscall call{pid, event.substr(0, paren), event.substr(paren + 1), "", n, n};
            constexpr std::string_view unfinished = " <unfinished ...>";
            if (call.args.ends_with(unfinished)) {
                call.args.resize(call.args.size() - unfinished.size());
                open[pid] = std::move(call);
            } else {
                std::string whole = call.args;
                finish(std::move(call), whole);
            }
        }
    }
    for (auto& [pid, call] : open)
        calls.push_back(std::move(call)); // never returned
    std::sort(calls.begin(), calls.end(),
              [](const Syscall& a, const Syscall& b) { return a.start < b.start; });
    return calls;
}

// strace prints strings C-escaped ("{\"v\":1,..."): undo the quote escapes.
std::string unescaped(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '"') continue;
        out += s[i];
    }
    return out;
}

bool is_socket_write(const Syscall& c) {
    return c.name == "write" || c.name == "writev" || c.name == "sendmsg" || c.name == "sendto";
}

bool is_pwrite(const Syscall& c) {
    return c.name == "pwrite64" || c.name == "pwrite" || c.name == "pwritev";
}

// The syscalls that start writing a "HTTP/1.1 201" response, in order.
std::vector<const Syscall*> created_responses(const std::vector<Syscall>& calls) {
    std::vector<const Syscall*> out;
    for (const auto& c : calls)
        if (is_socket_write(c) && c.args.find("HTTP/1.1 201") != std::string::npos)
            out.push_back(&c);
    return out;
}

// Explains, or returns "" when it holds, that the append starting with event
// `seq` of the job's log was written, then fdatasync'ed with success, before
// `response` started.
std::string check_order(const std::vector<Syscall>& calls, const std::string& log_path,
                        std::uint64_t seq, const Syscall& response) {
    std::string fd_of_log = "<" + log_path + ">";
    std::string first_line = "{\"v\":1,\"seq\":" + std::to_string(seq) + ",";
    const Syscall* write = nullptr;
    for (const auto& c : calls)
        if (is_pwrite(c) && c.args.find(fd_of_log) != std::string::npos &&
            unescaped(c.args).find(first_line) != std::string::npos)
            write = &c;
    if (!write)
        return "no write of the line of seq " + std::to_string(seq) + " to " + log_path +
               " was traced";
    if (!write->completed() || write->end > response.start)
        return "the write of seq " + std::to_string(seq) + " (lines " +
               std::to_string(write->start) + "-" + std::to_string(write->end) +
               ") did not return before the 201 (line " + std::to_string(response.start) + ")";
    for (const auto& c : calls)
        if (c.name == "fdatasync" && c.args.find(fd_of_log) != std::string::npos &&
            c.start > write->end && c.completed() && c.end < response.start) {
            if (c.result != "0") return "the fdatasync of " + log_path + " failed: " + c.result;
            return "";
        }
    return "no fdatasync of " + log_path + " ran between the write of seq " + std::to_string(seq) +
           " (line " + std::to_string(write->end) + ") and the 201 (line " +
           std::to_string(response.start) + ")";
}

// ---------------------------------------------------------------- omxd under strace

// omxd started as `strace -f ... -o <trace> omxd serve ...`.
class TracedOmxd {
  public:
    // `extra`: more omxd flags; `env`: its extra environment; `string_limit`:
    // how much of each written buffer the trace shows.
    explicit TracedOmxd(const std::string& fsync, std::vector<std::string> extra = {}, const Env& env = {},
                        int string_limit = 80) {
        BOOST_REQUIRE_MESSAGE(
            ::access(strace_path, X_OK) == 0,
            strace_path << " is missing: this test needs strace (apt-get install strace) to "
                           "prove that events are synced before responses");
        state_ = dir_.path() / "state";
        trace_ = dir_.path() / "strace.txt";
        log_ = dir_.path() / "omxd.log";
        std::vector<std::string> argv{strace_path,
                                      "-f",
                                      "-tt",
                                      "-e",
                                      "trace=fdatasync,fsync,write,writev,sendmsg,sendto,pwrite64,"
                                      "clone,clone3,vfork,execve",
                                      "-y",
                                      "-s",
                                      std::to_string(string_limit),
                                      "-o",
                                      trace_.string(),
                                      OmxdProcess::binary_path(),
                                      "serve",
                                      "--listen",
                                      "127.0.0.1:0",
                                      "--state-dir",
                                      state_.string(),
                                      "--fsync",
                                      fsync,
                                      "--work-root",
                                      (dir_.path() / "runs").string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        BOOST_REQUIRE(fd >= 0);
        strace_pid_ = spawn_child(argv, env, fd);
        ::close(fd);
        await_listening();
    }

    ~TracedOmxd() {
        if (strace_pid_ > 0 && !status_)
            kill_and_reap(strace_pid_); // its whole group: strace and omxd
    }

    std::uint16_t port() const { return port_; }
    const fs::path& state_dir() const { return state_; }
    std::string log_text() const { return read_file(log_); }

    // SIGTERM to omxd; strace exits with it. Returns the trace.
    std::string stop() {
        auto owner = read_file(state_ / ".lock"); // omxd's own pid
        pid_t pid = static_cast<pid_t>(std::stol(owner));
        BOOST_REQUIRE(pid > 0 && pid != strace_pid_);
        ::kill(pid, SIGTERM);
        status_ = wait_child(strace_pid_, 30s);
        BOOST_REQUIRE_MESSAGE(status_, "omxd under strace did not stop within 30 s; log:\n"
                                           << log_text());
        BOOST_CHECK_MESSAGE(WIFEXITED(*status_) && WEXITSTATUS(*status_) == 0,
                            "omxd under strace: " << describe_wait_status(*status_) << "; log:\n"
                                                  << log_text());
        return read_file(trace_);
    }

  private:
    void await_listening() {
        static const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
        auto deadline = Clock::now() + 30s;
        for (;;) {
            std::smatch m;
            auto text = log_text();
            if (std::regex_search(text, m, listening)) {
                port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
                return;
            }
            if (auto status = wait_child(strace_pid_, 0ms)) {
                status_ = status;
                BOOST_FAIL("strace/omxd " << describe_wait_status(*status)
                                          << " before listening (is ptrace "
                                          << "allowed here?); output:\n"
                                          << text);
            }
            if (Clock::now() > deadline)
                BOOST_FAIL("omxd under strace did not listen within 30 s:\n" << text);
            std::this_thread::sleep_for(20ms);
        }
    }

    TempDir dir_{"omx-fsync"};
    fs::path state_, trace_, log_;
    pid_t strace_pid_ = -1;
    std::optional<int> status_;
    std::uint16_t port_ = 0;
};

// ---------------------------------------------------------------- the scenario

json::object job_body() {
    return {{"provider", "codex"},
            {"mode", "team"},
            {"repo", "acme/widgets"},
            {"ref", "main"},
            {"task", "prove the fsync order"},
            {"options", {{"requireApproval", true}}}};
}

struct Scenario {
    std::string job_id;
    std::string log_path;     // the job's events.jsonl
    std::string journal_path; // the creation journal segment its first events went to
    // For each 201, in order: the file its events were appended to, and the seq
    // of the first event of that append. The creation goes to the creation
    // journal (storage: DECISIONS.md); the first change after it writes the
    // job's own log from seq 1 (the journaled lines, then the new event).
    std::vector<std::string> paths;
    std::vector<std::uint64_t> first_seqs;
    std::string trace;
};

// Creates a job and posts three mailbox messages, then stops the server.
Scenario run_scenario(const std::string& fsync) {
    TracedOmxd server(fsync);
    Scenario s;
    HttpClient http(server.port());
    auto created = http.post_json("/v1/jobs", job_body());
    BOOST_REQUIRE_MESSAGE(created.status == 201, created.status << " " << created.body);
    s.job_id = str(created.json(), "/jobId");
    std::vector<std::string> messages;
    for (int i = 0; i < 3; ++i) {
        json::object body{
            {"kind", "notice"}, {"to", "leader"}, {"message", "message " + std::to_string(i)}};
        auto r = http.post_json("/v1/jobs/" + s.job_id + "/team/mailbox", body);
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.status << " " << r.body);
        messages.push_back(str(r.json(), "/id"));
    }
    auto page =
        http.get("/v1/jobs/" + s.job_id + "/events", {{"Accept", "application/json"}}).json();
    for (const auto& id : messages)
        for (const auto& e : at(page, "/items").as_array())
            if (str(e, "/type") == "team.mailbox.received" && str(e, "/payload/message/id") == id)
                s.first_seqs.push_back(static_cast<std::uint64_t>(num(e, "/seq")));
    BOOST_REQUIRE_EQUAL(s.first_seqs.size(), 3u);
    auto state = fs::canonical(server.state_dir());
    s.log_path = (state / s.job_id / "events.jsonl").string();
    for (const auto& e : fs::directory_iterator(state / ".journal")) s.journal_path = e.path().string();
    BOOST_REQUIRE_MESSAGE(!s.journal_path.empty(), "no creation journal segment in " << state);
    s.paths = {s.journal_path, s.log_path, s.log_path, s.log_path};
    s.first_seqs = {1, 1, s.first_seqs[1], s.first_seqs[2]};
    s.trace = server.stop();
    return s;
}

// A team job of six instant tasks (the scripted agent, one task at a time) run to its end.
struct TeamRun {
    std::string job_id;
    std::string log_path;
    json::array events;
    std::string trace;
};

TeamRun run_team_job() {
    const std::string agent = std::string(OMX_SOURCE_DIR) + "/tests/agents/scripted_agent.py";
    TracedOmxd server("always", {"--role", "all", "--skip-clone"}, {{"JOB_CLI_BIN", agent}}, 1 << 16);
    TeamRun run;
    HttpClient http(server.port());
    json::object body = job_body();
    body.erase("options");
    auto created = http.post_json("/v1/jobs", body);
    BOOST_REQUIRE_MESSAGE(created.status == 201, created.status << " " << created.body);
    run.job_id = str(created.json(), "/jobId");
    auto deadline = Clock::now() + 120s;
    for (std::string status;;) {
        status = str(http.get("/v1/jobs/" + run.job_id).json(), "/status");
        if (status == "succeeded") break;
        BOOST_REQUIRE_MESSAGE(status != "failed" && status != "canceled" && Clock::now() < deadline,
                              "the job is " << status << "; log:\n" << server.log_text());
        std::this_thread::sleep_for(50ms);
    }
    auto page = http.get("/v1/jobs/" + run.job_id + "/events?limit=500", {{"Accept", "application/json"}}).json();
    run.events = at(page, "/items").as_array();
    run.log_path = (fs::canonical(server.state_dir()) / run.job_id / "events.jsonl").string();
    run.trace = server.stop();
    return run;
}

// The processes omxd spawned for agents, in order: clones whose child's first
// program is /bin/sh (an agent command runs as `sh -c`).
std::vector<const Syscall*> agent_spawns(const std::vector<Syscall>& calls) {
    std::vector<const Syscall*> spawns;
    for (const auto& c : calls) {
        if ((c.name != "clone" && c.name != "clone3" && c.name != "vfork") || !c.completed()) continue;
        int child = std::atoi(c.result.c_str());
        auto exec = std::find_if(calls.begin(), calls.end(),
                                 [&](const Syscall& e) { return e.name == "execve" && e.pid == child; });
        if (child > 0 && exec != calls.end() && exec->args.starts_with("\"/bin/sh\"")) spawns.push_back(&c);
    }
    return spawns;
}

// The write to `log_path` that holds the line of event `seq`, or null.
const Syscall* write_of(const std::vector<Syscall>& calls, const std::string& log_path, std::uint64_t seq) {
    std::string line = "{\"v\":1,\"seq\":" + std::to_string(seq) + ",";
    for (const auto& c : calls)
        if (is_pwrite(c) && c.args.find("<" + log_path + ">") != std::string::npos &&
            unescaped(c.args).find(line) != std::string::npos)
            return &c;
    return nullptr;
}

std::string excerpt(const std::string& trace, const std::string& job_id) {
    std::istringstream in(trace);
    std::string line, out;
    while (std::getline(in, line))
        if (line.find(job_id) != std::string::npos || line.find("HTTP/1.1") != std::string::npos ||
            line.find("resumed>") != std::string::npos)
            out += line + "\n";
    return out.size() > 20000 ? out.substr(0, 20000) + "...\n" : out;
}

} // namespace

// The trace reader itself, on a hand-written trace in which the sync is split
// across threads (`<unfinished ...>` / `<... fdatasync resumed>`): the order
// is judged by when the sync returns, not when it started.
BOOST_AUTO_TEST_CASE(trace_reader_pairs_split_syscalls_by_pid) {
    const std::string log = "/s/j/events.jsonl";
    const std::string write_line =
        R"(100 10:00:00.000001 pwrite64(9</s/j/events.jsonl>, "{\"v\":1,\"seq\":3,\"id\":\"x\""..., 500, 0) = 500)";
    const std::string sync_start =
        "101 10:00:00.000002 fdatasync(9</s/j/events.jsonl> <unfinished ...>";
    const std::string other = "100 10:00:00.000003 write(2</log>, \"info\", 4) = 4";
    const std::string sync_end = "101 10:00:00.000004 <... fdatasync resumed>) = 0";
    const std::string response_start =
        "100 10:00:00.000005 sendmsg(11<socket:[1]>, {msg_iov=[{iov_base=\"HTTP/1.1 "
        "201 \", iov_len=13}]} <unfinished ...>";
    const std::string response_end = "100 10:00:00.000006 <... sendmsg resumed>, 0) = 300";

    auto good = parse_trace(write_line + "\n" + sync_start + "\n" + other + "\n" + sync_end + "\n" +
                            response_start + "\n" + response_end + "\n");
    BOOST_REQUIRE_EQUAL(good.size(), 4u);
    auto responses = created_responses(good);
    BOOST_REQUIRE_EQUAL(responses.size(), 1u);
    BOOST_CHECK_EQUAL(responses[0]->start, 4u);
    BOOST_CHECK_EQUAL(responses[0]->end, 5u);
    BOOST_CHECK_EQUAL(check_order(good, log, 3, *responses[0]), "");
    BOOST_CHECK(check_order(good, log, 4, *responses[0]).starts_with("no write"));

    // The response starts while the sync is still running: not durable first.
    auto bad = parse_trace(write_line + "\n" + sync_start + "\n" + response_start + "\n" +
                           sync_end + "\n" + response_end + "\n");
    BOOST_REQUIRE_EQUAL(bad.size(), 3u);
    auto early = created_responses(bad);
    BOOST_REQUIRE_EQUAL(early.size(), 1u);
    BOOST_CHECK(check_order(bad, log, 3, *early[0]).starts_with("no fdatasync"));

    // A failed sync does not count as durable.
    auto failed = parse_trace(write_line +
                              "\n101 10:00:00.000002 fdatasync(9</s/j/events.jsonl>) = -1 EIO "
                              "(Input/output error)\n" +
                              response_start + "\n" + response_end + "\n");
    BOOST_CHECK(check_order(failed, log, 3, *created_responses(failed)[0]).find("failed") !=
                std::string::npos);
}

// --fsync always: for the job creation and for each mailbox POST, the event's
// write and the fdatasync of the job's log both return before "HTTP/1.1 201"
// starts to be written.
BOOST_AUTO_TEST_CASE(fsync_always_syncs_the_log_before_the_201) {
    auto s = run_scenario("always");
    auto calls = parse_trace(s.trace);
    auto responses = created_responses(calls);
    BOOST_REQUIRE_MESSAGE(responses.size() == 4, "expected 4 traced '201' responses, found "
                                                     << responses.size() << "; trace:\n"
                                                     << excerpt(s.trace, s.job_id));
    std::size_t syncs = std::count_if(calls.begin(), calls.end(), [&](const Syscall& c) {
        return c.name == "fdatasync" && c.args.find(s.log_path) != std::string::npos;
    });
    BOOST_TEST_MESSAGE("traced " << calls.size() << " syscalls, " << syncs << " fdatasync of "
                                 << s.log_path);
    const char* what[] = {"job creation", "mailbox POST 1", "mailbox POST 2", "mailbox POST 3"};
    for (std::size_t i = 0; i < responses.size(); ++i) {
        auto problem = check_order(calls, s.paths[i], s.first_seqs[i], *responses[i]);
        BOOST_CHECK_MESSAGE(problem.empty(), what[i] << ": " << problem << "; trace:\n"
                                                     << excerpt(s.trace, s.job_id));
    }
}

// New files' directory entries must be durable too: a new journal segment's
// directory and the state root are fsynced (and succeed) before the 201 of the
// creation starts; the job's own directory and the root before the 201 of the
// first change, which makes its log.
BOOST_AUTO_TEST_CASE(fsync_always_syncs_new_directories_before_the_201) {
    auto s = run_scenario("always");
    auto calls = parse_trace(s.trace);
    auto responses = created_responses(calls);
    BOOST_REQUIRE_EQUAL(responses.size(), 4u);
    auto job_dir = fs::path(s.log_path).parent_path();
    auto journal_dir = fs::path(s.journal_path).parent_path();
    struct Expectation {
        fs::path dir;
        const Syscall* response;
    };
    for (const auto& [dir, response] : {Expectation{journal_dir, responses[0]}, Expectation{journal_dir.parent_path(), responses[0]},
                                        Expectation{job_dir, responses[1]}, Expectation{job_dir.parent_path(), responses[1]}}) {
        auto synced = std::any_of(calls.begin(), calls.end(), [&](const Syscall& c) {
            return c.name == "fsync" && c.args.find("<" + dir.string() + ">") != std::string::npos &&
                   c.result == "0" && c.end < response->start;
        });
        BOOST_CHECK_MESSAGE(synced, "no successful fsync of " << dir << " before the 201; trace:\n"
                                                              << excerpt(s.trace, s.job_id));
    }
}

// The same check against --fsync off must find no sync before the 201: the
// test can tell the two apart (it does not pass by construction).
BOOST_AUTO_TEST_CASE(fsync_off_has_no_sync_before_the_201) {
    auto s = run_scenario("off");
    auto calls = parse_trace(s.trace);
    auto responses = created_responses(calls);
    BOOST_REQUIRE_MESSAGE(responses.size() == 4, "expected 4 traced '201' responses, found "
                                                     << responses.size() << "; trace:\n"
                                                     << excerpt(s.trace, s.job_id));
    for (std::size_t i = 0; i < responses.size(); ++i) {
        auto problem = check_order(calls, s.paths[i], s.first_seqs[i], *responses[i]);
        BOOST_CHECK_MESSAGE(problem.starts_with("no fdatasync"),
                            "response " << i << ": expected no sync before it, got: "
                                        << (problem.empty() ? "a sync" : problem));
    }
}

// storage.md: a task's start is on disk before the process it announces
// exists. And an instant task's result and its successor's start are one
// append and one sync (docs/PERFORMANCE.md): each team.task.started after the
// first is written together with the team.task.completed before it.
BOOST_AUTO_TEST_CASE(an_agent_is_spawned_after_its_start_is_synced_which_is_one_write_with_the_result_before) {
    auto run = run_team_job();
    auto calls = parse_trace(run.trace);
    auto spawns = agent_spawns(calls);
    std::vector<std::uint64_t> started, completed;
    for (const auto& e : run.events) {
        if (str(e, "/type") == "team.task.started") started.push_back(static_cast<std::uint64_t>(num(e, "/seq")));
        if (str(e, "/type") == "team.task.completed") completed.push_back(static_cast<std::uint64_t>(num(e, "/seq")));
    }
    BOOST_REQUIRE_EQUAL(started.size(), 6u);
    BOOST_REQUIRE_EQUAL(completed.size(), 6u);
    BOOST_REQUIRE_MESSAGE(spawns.size() == started.size(),
                          "expected 6 agent spawns, traced " << spawns.size() << "; trace:\n" << excerpt(run.trace, run.job_id));
    for (std::size_t k = 0; k < started.size(); ++k) {
        auto problem = check_order(calls, run.log_path, started[k], *spawns[k]);
        BOOST_CHECK_MESSAGE(problem.empty(), "agent " << k + 1 << ": " << problem);
        if (k == 0) continue;
        const Syscall* write = write_of(calls, run.log_path, started[k]);
        BOOST_REQUIRE(write);
        BOOST_CHECK_MESSAGE(write == write_of(calls, run.log_path, completed[k - 1]),
                            "the start of task " << k + 1 << " (seq " << started[k]
                                                 << ") was not written together with the result before it (seq "
                                                 << completed[k - 1] << ")");
    }
}
