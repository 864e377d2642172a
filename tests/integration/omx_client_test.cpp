// The omx command-line client (operations.md, "Command-line client omx"): the
// real omx binary against the real omxd running the scripted agent. Covers
// submit / get / list in human and --json form (the JSON is the API's own),
// watch until the job's outcome (exit 0, 1, 2) and across a kill -9 and
// restart of the server (every event exactly once), approvals with comments on
// the job and on a task, cancel, resume, mail, logs, overview, and the exit
// codes of bad usage (64), HTTP errors and an unreachable server (3); the
// bearer token reaches a (fake) server on plain requests and on the stream.
#define BOOST_TEST_MODULE omx_client
#include <boost/test/unit_test.hpp>

#include "tests/integration/team_helpers.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/shell.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <regex>

using namespace omx::test;

namespace {

// ------------------------------------------------------------ running omx

struct OmxResult {
    int code = -1;
    std::string out; // stdout
    std::string err; // stderr
};

std::ostream& operator<<(std::ostream& os, const OmxResult& r) {
    return os << "exit " << r.code << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err;
}

TempDir& output_dir() {
    static TempDir dir("omx-cli-test");
    return dir;
}

// omx started in the background, stdout and stderr each into a file of its own.
class Omx {
  public:
    explicit Omx(const std::vector<std::string>& args, const Env& env = {}) {
        static int runs = 0;
        auto n = std::to_string(++runs);
        out_path_ = output_dir() / ("out-" + n);
        err_path_ = output_dir() / ("err-" + n);
        int fd = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        BOOST_TEST_REQUIRE(fd >= 0);
        // spawn_child puts stdout and stderr on one fd: the shell splits stderr off.
        std::vector<std::string> argv{
            "/bin/sh",          "-c",        "f=$1; shift; exec \"$@\" 2>\"$f\"", "sh",
            err_path_.string(), OMX_CLI_PATH};
        argv.insert(argv.end(), args.begin(), args.end());
        pid_ = spawn_child(argv, env, fd);
        ::close(fd);
    }
    ~Omx() {
        if (pid_ > 0) kill_and_reap(pid_);
    }
    Omx(const Omx&) = delete;
    Omx& operator=(const Omx&) = delete;

    std::string out() const { return read_file(out_path_); }
    std::string err() const { return read_file(err_path_); }

    OmxResult finish(std::chrono::milliseconds timeout = 30s) {
        auto status = wait_child(pid_, timeout);
        if (!status) {
            kill_and_reap(pid_);
            pid_ = -1;
            BOOST_FAIL("omx did not exit within " << timeout.count() << " ms; stdout:\n"
                                                  << out() << "stderr:\n"
                                                  << err());
        }
        pid_ = -1;
        int code = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
        return {code, out(), err()};
    }

  private:
    pid_t pid_ = -1;
    fs::path out_path_, err_path_;
};

OmxResult run_omx(const std::vector<std::string>& args, const Env& env = {}) {
    return Omx(args, env).finish();
}

// "--server URL" first, then args.
std::vector<std::string> on(const Engine& e, std::vector<std::string> args) {
    args.insert(args.begin(), {"--server", e.process.base_url()});
    return args;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

bool is_one_line(const std::string& text) {
    return !text.empty() && text.back() == '\n' && text.find('\n') == text.size() - 1;
}

std::string created_id(const OmxResult& r) {
    static const std::regex re("created job ([0-9a-f-]{36})");
    std::smatch m;
    BOOST_TEST_REQUIRE(std::regex_search(r.out, m, re), r);
    return m[1];
}

std::string task_text(const Engine& e, json::object script = {}) {
    return e.script(std::move(script));
}

// The id of the only job on the server, once it exists.
std::string only_job(HttpClient& c) {
    std::string id;
    BOOST_TEST_REQUIRE(eventually(
        [&] {
            auto items = at(get_json(c, "/v1/jobs"), "/items").as_array();
            if (items.empty()) return false;
            id = str(items[0], "/id");
            return true;
        },
        10s));
    return id;
}

// Every line of --json watch output, parsed.
std::vector<json::value> json_lines(const std::string& out) {
    std::vector<json::value> events;
    for (auto& line : lines_of(out))
        events.push_back(parse(line));
    return events;
}

void check_seqs_exactly_once(const std::vector<json::value>& seen, const json::array& all) {
    BOOST_TEST_REQUIRE(seen.size() == all.size(),
                       seen.size() << " events shown, the log has " << all.size());
    for (std::size_t i = 0; i < seen.size(); ++i) {
        BOOST_TEST_REQUIRE(num(seen[i], "/seq") == std::int64_t(i + 1),
                           "line " << i + 1 << ": " << dump(seen[i]));
        BOOST_TEST(seen[i] == all[i], dump(seen[i]) << " vs the log's " << dump(all[i]));
    }
}

// A loopback port nothing listens on (its listener is closed again).
std::uint16_t unused_port() { return LoopbackListener{}.port; }

// A raw HTTP answer: status line, headers and body.
std::string http_answer(std::string_view status, std::string_view content_type,
                        std::string_view body, bool sized = true) {
    std::string out = "HTTP/1.1 " + std::string(status) + "\r\n";
    if (!content_type.empty()) out += "Content-Type: " + std::string(content_type) + "\r\n";
    if (sized) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return out + "Connection: close\r\n\r\n" + std::string(body);
}

// A stand-in server, one connection at a time: it records each request head
// and sends what the responder makes of it (the n-th request, from 0), then
// closes the connection.
class FakeServer {
  public:
    using Responder = std::function<std::string(const std::string& head, std::size_t n)>;

    explicit FakeServer(Responder respond) : respond_(std::move(respond)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeServer() {
        stop_ = true;
        thread_.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(listener_.port); }
    std::vector<std::string> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }

  private:
    void serve() {
        while (!stop_) {
            pollfd p{listener_.fd, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            int c = ::accept4(listener_.fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) continue;
            std::string head;
            char buf[4096];
            while (head.find("\r\n\r\n") == std::string::npos) {
                pollfd q{c, POLLIN, 0};
                if (::poll(&q, 1, 5000) <= 0) break;
                auto n = ::read(c, buf, sizeof buf);
                if (n <= 0) break;
                head.append(buf, std::size_t(n));
            }
            std::size_t n;
            {
                std::lock_guard lock(mutex_);
                n = requests_.size();
                requests_.push_back(head);
            }
            auto answer = respond_(head, n);
            [[maybe_unused]] auto w = ::write(c, answer.data(), answer.size());
            ::close(c);
        }
    }

    Responder respond_;
    LoopbackListener listener_{8};
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<std::string> requests_;
    std::thread thread_;
};

const std::string unknown_id = "00000000-0000-4000-8000-000000000000";

} // namespace

// ------------------------------------------------ submit, get, list, logs

BOOST_AUTO_TEST_CASE(submit_get_list_logs_overview_in_human_and_json_form) {
    Engine e;
    auto c = e.client();
    auto first = run_omx(on(e, {"submit", "--repo", "acme/widget", task_text(e)}));
    BOOST_TEST_REQUIRE(first.code == 0, first);
    auto id1 = created_id(first);
    BOOST_TEST(first.out == "created job " + id1 + " (queued)\n", first);

    // --json: the creation answer as-is; an Idempotency-Key returns the same job.
    auto args = on(e, {"--json", "submit", "--repo", "acme/gadget", "--ref", "dev", "--mode",
                       "autopilot", "--idempotency-key", "k-1", task_text(e)});
    auto second = run_omx(args);
    BOOST_TEST_REQUIRE(second.code == 0, second);
    auto answer = parse(second.out);
    auto id2 = str(answer, "/jobId");
    BOOST_TEST(str(answer, "/status") == "queued");
    auto again = run_omx(args);
    BOOST_TEST_REQUIRE(again.code == 0, again);
    BOOST_TEST(str(parse(again.out), "/jobId") == id2);
    wait_terminal(c, id1);
    auto job2 = wait_terminal(c, id2);
    BOOST_TEST(str(job2, "/repo") == "acme/gadget");
    BOOST_TEST(str(job2, "/ref") == "dev");
    BOOST_TEST(str(job2, "/mode") == "autopilot");

    // get: the job with its tasks; --json is the API's own answer.
    auto got = run_omx(on(e, {"get", id1}));
    BOOST_TEST_REQUIRE(got.code == 0, got);
    BOOST_TEST(contains(got.out, "job " + id1 + "  succeeded  (team, codex)"), got);
    BOOST_TEST(contains(got.out, "acme/widget @ main"), got);
    for (auto task : {"team-planner", "team-research", "team-designer", "team-developer",
                      "team-executor", "team-verifier"})
        BOOST_TEST(
            std::regex_search(got.out, std::regex(std::string(task) + " +[a-z]+ +succeeded +1 ")),
            task << " row missing: " << got);
    auto got_json = run_omx({"get", id1, "--json", "--server", e.process.base_url()});
    BOOST_TEST_REQUIRE(got_json.code == 0, got_json);
    BOOST_TEST(parse(got_json.out) == get_json(c, job_url(id1)), got_json);

    // list: newest first, one line per job; --json is the API's page.
    auto list = run_omx(on(e, {"list"}));
    BOOST_TEST_REQUIRE(list.code == 0, list);
    auto rows = lines_of(list.out);
    BOOST_TEST_REQUIRE(rows.size() == 3u, list); // header + 2 jobs
    BOOST_TEST(rows[0].starts_with("ID "), list);
    BOOST_TEST(std::regex_search(rows[1], std::regex("^" + id2 + " +succeeded +autopilot +codex ")),
               list);
    BOOST_TEST(std::regex_search(rows[2], std::regex("^" + id1 + " +succeeded +team +codex ")),
               list);
    BOOST_TEST(list.err.empty(), list);
    auto list_json = run_omx(on(e, {"list", "--json"}));
    BOOST_TEST_REQUIRE(list_json.code == 0, list_json);
    BOOST_TEST(parse(list_json.out) == get_json(c, "/v1/jobs"), list_json);

    // Paging: the next page's command is on stderr; --cursor follows it.
    auto page1 = run_omx(on(e, {"list", "--limit", "1"}));
    BOOST_TEST_REQUIRE(page1.code == 0, page1);
    BOOST_TEST(lines_of(page1.out).size() == 2u, page1);
    BOOST_TEST(contains(page1.out, id2), page1);
    std::smatch m;
    BOOST_TEST_REQUIRE(
        std::regex_search(page1.err, m,
                          std::regex("more jobs: omx list --limit 1 --cursor (\\S+)")),
        page1);
    auto page2 = run_omx(on(e, {"list", "--limit", "1", "--cursor", m[1]}));
    BOOST_TEST_REQUIRE(page2.code == 0, page2);
    BOOST_TEST(contains(page2.out, id1), page2);
    BOOST_TEST(!contains(page2.out, id2), page2);
    BOOST_TEST(page2.err.empty(), page2);
    auto none = run_omx(on(e, {"list", "--status", "failed"}));
    BOOST_TEST(none.code == 0, none);
    BOOST_TEST(none.out == "no jobs\n", none);
    auto filtered = run_omx(on(e, {"--json", "list", "--mode", "autopilot"}));
    BOOST_TEST_REQUIRE(filtered.code == 0, filtered);
    BOOST_TEST(at(parse(filtered.out), "/items").as_array().size() == 1u, filtered);

    // logs: the raw output of an attempt.
    auto logs = run_omx(on(e, {"logs", id1, "team-planner"}));
    BOOST_TEST_REQUIRE(logs.code == 0, logs);
    BOOST_TEST(contains(logs.out, "planner team-planner attempt 1 done"), logs);
    auto attempt1 = run_omx(on(e, {"logs", id1, "team-planner", "--attempt", "1"}));
    BOOST_TEST(attempt1.code == 0, attempt1);
    BOOST_TEST(attempt1.out == logs.out);
    auto attempt2 = run_omx(on(e, {"logs", id1, "team-planner", "--attempt", "2"}));
    BOOST_TEST(attempt2.code == 3, attempt2);
    BOOST_TEST(attempt2.err == "omx: 404 task team-planner has 1 attempts\n", attempt2);

    // overview: counters and tables; --json as-is.
    auto overview = run_omx(on(e, {"overview"}));
    BOOST_TEST_REQUIRE(overview.code == 0, overview);
    BOOST_TEST(contains(overview.out, "2 total, 0 active"), overview);
    BOOST_TEST(contains(overview.out, "2 succeeded"), overview);
    auto tokens = at(get_json(c, "/v1/monitor/overview"), "/tokens");
    BOOST_TEST(contains(overview.out, "tokens  " + std::to_string(num(tokens, "/totalTokens")) +
                                          " total (" + std::to_string(num(tokens, "/inputTokens")) +
                                          " in, " + std::to_string(num(tokens, "/outputTokens")) +
                                          " out)"),
               overview);
    auto overview_json = run_omx(on(e, {"overview", "--json", "--limit", "5"}));
    BOOST_TEST_REQUIRE(overview_json.code == 0, overview_json);
    auto o = parse(overview_json.out);
    BOOST_TEST(num(o, "/jobs/total") == 2);
    BOOST_TEST(at(o, "/activeJobs").as_array().empty());

    // OMX_SERVER instead of --server.
    auto by_env = run_omx({"get", id2}, {{"OMX_SERVER", e.process.base_url()}});
    BOOST_TEST(by_env.code == 0, by_env);
    BOOST_TEST(contains(by_env.out, "job " + id2), by_env);
}

// ------------------------------------------------- watch: the job's outcome

BOOST_AUTO_TEST_CASE(submit_watch_prints_every_event_in_order_and_exits_0_on_success) {
    Engine e;
    auto c = e.client();
    auto r = run_omx(on(e, {"submit", "--repo", "acme/widget", "--watch", task_text(e)}));
    BOOST_TEST_REQUIRE(r.code == 0, r);
    auto id = created_id(r);
    auto events = job_events(c, id);
    auto lines = lines_of(r.out);
    BOOST_TEST_REQUIRE(lines.size() == events.size() + 2, r); // created + events + outcome
    BOOST_TEST(lines.front() == "created job " + id);
    for (std::size_t i = 0; i < events.size(); ++i) {
        auto type = str(events[i], "/type");
        BOOST_TEST(
            std::regex_search(lines[i + 1],
                              std::regex("^\\d\\d:\\d\\d:\\d\\d  " +
                                         std::regex_replace(type, std::regex("\\."), "\\.") + " ")),
            "line " << i + 1 << " is not " << type << ": " << lines[i + 1]);
    }
    BOOST_TEST(
        std::regex_search(r.out, std::regex("team\\.task\\.started +team-developer attempt 1")), r);
    BOOST_TEST(
        std::regex_search(r.out, std::regex("team\\.phase_changed +team-exec → team-verify")), r);
    BOOST_TEST(lines.back() == "job " + id + " succeeded");

    // --json: one event per line, exactly the log's events.
    auto j = run_omx(on(e, {"--json", "submit", "--repo", "acme/widget", "--watch", task_text(e)}));
    BOOST_TEST_REQUIRE(j.code == 0, j);
    auto seen = json_lines(j.out);
    BOOST_TEST_REQUIRE(!seen.empty(), j);
    check_seqs_exactly_once(seen, job_events(c, str(seen.front(), "/jobId")));
    BOOST_TEST(str(seen.back(), "/type") == "completed");

    // watch of a finished job replays it and exits with its outcome.
    auto w = run_omx(on(e, {"watch", id}));
    BOOST_TEST(w.code == 0, w);
    BOOST_TEST(w.out == r.out.substr(r.out.find('\n') + 1), w);
}

BOOST_AUTO_TEST_CASE(submit_watch_of_a_failing_job_exits_1) {
    Engine e;
    auto r = run_omx(on(e, {"submit", "--repo", "acme/widget", "--watch", "--options",
                            R"({"team":{"maxFixAttempts":0}})",
                            task_text(e, {{"roles", {{"developer", {{"exit", 1}}}}}})}));
    BOOST_TEST_REQUIRE(r.code == 1, r);
    auto id = created_id(r);
    BOOST_TEST(std::regex_search(
                   r.out, std::regex("team\\.task\\.completed +team-developer attempt 2 failed")),
               r);
    BOOST_TEST(std::regex_search(r.out, std::regex("\\d  failed +.*class exit")), r);
    BOOST_TEST(lines_of(r.out).back() == "job " + id + " failed", r);
}

BOOST_AUTO_TEST_CASE(submit_watch_of_a_job_canceled_through_the_api_exits_2) {
    Engine e;
    auto c = e.client();
    Omx watch(on(e, {"submit", "--repo", "acme/widget", "--watch",
                     task_text(e, {{"roles", {{"planner", {{"sleep", 30}}}}}})}));
    auto id = only_job(c);
    wait_recorded(e, id, "team-planner", 1);
    auto canceled = action(c, id, "cancel", comment_body("enough"));
    BOOST_TEST_REQUIRE(canceled.status == 200, canceled.body);
    auto r = watch.finish();
    BOOST_TEST_REQUIRE(r.code == 2, r);
    BOOST_TEST(std::regex_search(r.out, std::regex("\\d  canceled +\"enough\"")), r);
    BOOST_TEST(lines_of(r.out).back() == "job " + id + " canceled", r);
}

// --------------------------------- watch across a crash and restart of omxd

BOOST_AUTO_TEST_CASE(watch_resumes_after_the_server_is_killed_and_restarted) {
    Engine e;
    auto c = e.client();
    auto id = create_job(
        c, team_job(e, "team",
                    {{"roles",
                      {{"planner", json::array{json::object{{"sleep", 1.5}}, json::object{}}}}}}));
    Omx watch({"watch", id, "--json", "--server", e.process.base_url()});
    wait_recorded(e, id, "team-planner", 1);
    BOOST_TEST_REQUIRE(eventually([&] { return lines_of(watch.out()).size() >= 4; }, 10s),
                       watch.out());

    e.process.kill(SIGKILL);
    BOOST_TEST_REQUIRE(e.process.wait_exit(5s).has_value());
    std::this_thread::sleep_for(700ms); // omx meets a refused connection or two
    e.restart();
    auto r = watch.finish();
    BOOST_TEST_REQUIRE(r.code == 0, r);
    auto seen = json_lines(r.out);
    auto all = job_events(c, id);
    check_seqs_exactly_once(seen, all);
    BOOST_TEST(str(seen.back(), "/type") == "completed");
    BOOST_TEST(!of_type(all, "team.claim_recovered").empty(), types_text(all));
    BOOST_TEST(std::regex_search(r.err, std::regex("reconnecting after event \\d+")), r);
    BOOST_TEST(contains(r.err, "omx: reconnected"), r);
}

// ----------------------------------------------------------- approvals

BOOST_AUTO_TEST_CASE(approve_and_reject_job_and_task_gates_with_comments) {
    Engine e;
    auto c = e.client();
    auto gated = [&] {
        auto r = run_omx(on(e, {"submit", "--repo", "acme/widget", "--options",
                                R"({"requireApproval":true})", task_text(e)}));
        BOOST_TEST_REQUIRE(r.code == 0, r);
        BOOST_TEST(contains(r.out, "(waiting_approval)"), r);
        return created_id(r);
    };
    auto approved = gated();
    auto rejected = gated();
    json::array tasks{json::object{{"id", "build"}, {"name", "Build it"}, {"role", "developer"}},
                      json::object{{"id", "ship"},
                                   {"name", "Ship it"},
                                   {"role", "executor"},
                                   {"dependencies", json::array{"build"}},
                                   {"requiresApproval", true}}};
    auto task_ok = create_job(c, team_job(e, "team", {}, {{"team", {{"teamTasks", tasks}}}}));
    auto task_no = create_job(c, team_job(e, "team", {}, {{"team", {{"teamTasks", tasks}}}}));

    // Job gate.
    auto a = run_omx(on(e, {"approve", approved, "--comment", "looks fine"}));
    BOOST_TEST_REQUIRE(a.code == 0, a);
    BOOST_TEST(a.out.starts_with("approved job " + approved + ": "), a);
    auto rj = run_omx(on(e, {"reject", rejected, "--comment", "not now"}));
    BOOST_TEST_REQUIRE(rj.code == 0, rj);
    BOOST_TEST(rj.out == "rejected job " + rejected +
                             ": failed, approval rejected (Rejected by approver)\n",
               rj);
    BOOST_TEST(str(wait_terminal(c, approved), "/status") == "succeeded");
    auto decided = of_type(job_events(c, approved), "approval");
    BOOST_TEST_REQUIRE(decided.size() == 1u);
    BOOST_TEST(str(decided[0], "/payload/gate") == "job");
    BOOST_TEST(str(decided[0], "/payload/comment") == "looks fine");
    decided = of_type(job_events(c, rejected), "approval");
    BOOST_TEST_REQUIRE(decided.size() == 1u);
    BOOST_TEST(str(decided[0], "/payload/decision") == "rejected");
    BOOST_TEST(str(decided[0], "/payload/comment") == "not now");
    auto late = run_omx(on(e, {"approve", rejected}));
    BOOST_TEST(late.code == 3, late);
    BOOST_TEST(late.err.starts_with("omx: 409 "), late);
    BOOST_TEST(is_one_line(late.err), late);

    // Task gate (before): --task goes to the task's route.
    wait_status(c, task_ok, "waiting_approval");
    wait_status(c, task_no, "waiting_approval");
    auto ta = run_omx(on(e, {"--json", "approve", task_ok, "--task", "ship", "--comment",
                             "release window is open"}));
    BOOST_TEST_REQUIRE(ta.code == 0, ta);
    BOOST_TEST(str(parse(ta.out), "/id") == task_ok, ta);
    auto tr = run_omx(on(e, {"reject", task_no, "--task", "ship", "--comment", "frozen"}));
    BOOST_TEST_REQUIRE(tr.code == 0, tr);
    BOOST_TEST(tr.out.starts_with("rejected task ship of job " + task_no + ": "), tr);
    BOOST_TEST(str(wait_terminal(c, task_ok), "/status") == "succeeded");
    BOOST_TEST(str(wait_terminal(c, task_no), "/status") == "failed");
    decided = of_type(job_events(c, task_ok), "approval", "ship");
    BOOST_TEST_REQUIRE(decided.size() == 1u);
    BOOST_TEST(str(decided[0], "/payload/decision") == "approved");
    BOOST_TEST(str(decided[0], "/payload/comment") == "release window is open");
    decided = of_type(job_events(c, task_no), "approval", "ship");
    BOOST_TEST_REQUIRE(decided.size() == 1u);
    BOOST_TEST(str(decided[0], "/payload/decision") == "rejected");
    BOOST_TEST(str(decided[0], "/payload/comment") == "frozen");
}

// ------------------------------------------------- mail, cancel, resume

BOOST_AUTO_TEST_CASE(mail_cancel_and_resume) {
    Engine e;
    auto c = e.client();
    auto id = create_job(
        c, team_job(e, "team",
                    {{"roles",
                      {{"planner", json::array{json::object{{"sleep", 30}}, json::object{}}}}}}));
    wait_recorded(e, id, "team-planner", 1);

    auto m1 = run_omx(on(e, {"mail", id, "--kind", "instruction", "--to", "developer", "--message",
                             "use the new API"}));
    BOOST_TEST_REQUIRE(m1.code == 0, m1);
    BOOST_TEST(std::regex_match(m1.out, std::regex("message [0-9a-f-]{36} \\(instruction\\) to "
                                                   "developer: stored, not yet delivered\n")),
               m1);
    auto m2 = run_omx(on(e, {"--json", "mail", id, "--kind", "question", "--to",
                             "developer,verifier", "--message", "who owns the schema?"}));
    BOOST_TEST_REQUIRE(m2.code == 0, m2);
    BOOST_TEST(str(parse(m2.out), "/from") == "leader", m2);
    auto m3 = run_omx(
        on(e, {"mail", id, "--kind", "notice", "--task", "team-developer", "--message", "fyi"}));
    BOOST_TEST_REQUIRE(m3.code == 0, m3);
    auto mailbox = get_json(c, job_url(id) + "/team/mailbox").as_array();
    BOOST_TEST_REQUIRE(mailbox.size() == 3u, dump(mailbox));
    BOOST_TEST(str(mailbox[0], "/kind") == "instruction");
    BOOST_TEST(str(mailbox[0], "/to") == "developer");
    BOOST_TEST(str(mailbox[0], "/message") == "use the new API");
    BOOST_TEST(dump(at(mailbox[1], "/to")) == R"(["developer","verifier"])");
    BOOST_TEST(str(mailbox[2], "/taskId") == "team-developer");
    auto bad = run_omx(on(e, {"mail", id, "--kind", "gossip", "--message", "x"}));
    BOOST_TEST(bad.code == 3, bad);
    BOOST_TEST(bad.err.starts_with("omx: 400 kind must be one of"), bad);
    BOOST_TEST(is_one_line(bad.err), bad);

    auto cancel = run_omx(on(e, {"cancel", id, "--comment", "stop it"}));
    BOOST_TEST_REQUIRE(cancel.code == 0, cancel);
    BOOST_TEST(cancel.out == "canceled job " + id + ": canceled\n", cancel);
    auto canceled = of_type(job_events(c, id), "canceled");
    BOOST_TEST_REQUIRE(canceled.size() == 1u);
    BOOST_TEST(str(canceled[0], "/payload/comment") == "stop it");

    auto resume = run_omx(on(e, {"resume", id}));
    BOOST_TEST_REQUIRE(resume.code == 0, resume);
    BOOST_TEST(resume.out.starts_with("resumed job " + id + ": "), resume);
    BOOST_TEST(str(wait_terminal(c, id), "/status") == "succeeded");
    auto twice = run_omx(on(e, {"resume", id}));
    BOOST_TEST(twice.code == 3, twice);
    BOOST_TEST(twice.err.starts_with("omx: 409 "), twice);
    auto cancel_done = run_omx(on(e, {"cancel", id}));
    BOOST_TEST(cancel_done.code == 3, cancel_done);
}

// ---------------------------------------------------- usage and errors

BOOST_AUTO_TEST_CASE(bad_usage_exits_64_with_one_line_and_a_hint) {
    const std::vector<std::vector<std::string>> bad{
        {},
        {"frobnicate"},
        {"get"},
        {"get", "a", "b"},
        {"list", "--bogus"},
        {"list", "--limit", "x"},
        {"list", "--limit", "0"},
        {"list", "--cursor"},
        {"submit", "fix it"},
        {"submit", "--repo", "acme/widget"},
        {"submit", "--repo", "acme/widget", "--options", "{bad", "fix it"},
        {"submit", "--repo", "acme/widget", "--options", "[1]", "fix it"},
        {"submit", "--repo", "acme/widget", "--retry-timeout", "5", "fix it"},
        {"watch", "x", "--retry-timeout", "soon"},
        {"mail", "x", "--message", "hi"},
        {"mail", "x", "--kind", "notice"},
        {"logs", "x"},
        {"logs", "x", "t", "--attempt", "-1"},
        {"approve", "x", "--json=yes"},
        {"--server", "https://127.0.0.1:8080", "get", "x"},
        {"--server", "ftp://host", "get", "x"},
        {"--server", "http://host:99999", "get", "x"},
        {"help", "frobnicate"},
    };
    for (const auto& args : bad) {
        std::string shown;
        for (auto& a : args)
            shown += " " + a;
        BOOST_TEST_CONTEXT("omx" << shown) {
            auto r = run_omx(args);
            BOOST_TEST(r.code == 64, r);
            BOOST_TEST(r.out.empty(), r);
            BOOST_TEST(is_one_line(r.err), r);
            BOOST_TEST(r.err.starts_with("omx: "), r);
            BOOST_TEST(contains(r.err, "--help"), r);
        }
    }
    auto https = run_omx({"--server", "https://127.0.0.1:8080", "get", "x"});
    BOOST_TEST(contains(https.err, "https is not supported"), https);

    // Help: exit 0, the exit codes documented.
    for (auto args :
         std::vector<std::vector<std::string>>{{"--help"},
                                               {"help"},
                                               {"-h"},
                                               {"help", "watch"},
                                               {"watch", "--help"},
                                               {"submit", "--help"},
                                               {"--server", "http://x", "list", "-h"}}) {
        auto r = run_omx(args);
        BOOST_TEST(r.code == 0, r);
        BOOST_TEST(contains(r.out, "Exit codes:"), r);
        BOOST_TEST(contains(r.out, "64  bad usage"), r);
        BOOST_TEST(r.err.empty(), r);
    }
    BOOST_TEST(contains(run_omx({"watch", "--help"}).out, "Last-Event-ID"));
    BOOST_TEST(contains(run_omx({"help", "submit"}).out, "--idempotency-key K"));
}

BOOST_AUTO_TEST_CASE(http_errors_and_an_unreachable_server_exit_3) {
    Engine e;
    auto get = run_omx(on(e, {"get", unknown_id}));
    BOOST_TEST(get.code == 3, get);
    BOOST_TEST(get.out.empty(), get);
    BOOST_TEST(get.err == "omx: 404 job " + unknown_id + " not found\n", get);
    auto watch = run_omx(on(e, {"watch", unknown_id}));
    BOOST_TEST(watch.code == 3, watch);
    BOOST_TEST(watch.err == "omx: 404 job " + unknown_id + " not found\n", watch);
    auto weird = run_omx(on(e, {"get", "../../etc/passwd"}));
    BOOST_TEST(weird.code == 3, weird);
    BOOST_TEST(weird.err.starts_with("omx: 404 "), weird);
    auto invalid = run_omx(on(e, {"submit", "--repo", "-x", "--provider", "openai", "hi"}));
    BOOST_TEST(invalid.code == 3, invalid);
    BOOST_TEST(invalid.err.starts_with("omx: 400 "), invalid);
    BOOST_TEST(contains(invalid.err, "provider"), invalid);
    BOOST_TEST(contains(invalid.err, "; "), invalid); // several problems on one line
    BOOST_TEST(is_one_line(invalid.err), invalid);

    auto port = std::to_string(unused_port());
    auto down = run_omx({"--server", "http://127.0.0.1:" + port, "get", unknown_id});
    BOOST_TEST(down.code == 3, down);
    BOOST_TEST(down.err.starts_with("omx: cannot connect to http://127.0.0.1:" + port +
                                    ": Connection refused"),
               down);
    BOOST_TEST(is_one_line(down.err), down);
    auto start = std::chrono::steady_clock::now();
    auto gone = run_omx(
        {"--server", "http://127.0.0.1:" + port, "watch", unknown_id, "--retry-timeout", "1"});
    auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(gone.code == 3, gone);
    BOOST_TEST(contains(gone.err, "Connection refused"), gone);
    BOOST_TEST(contains(gone.err, "gave up after 1 s"), gone);
    BOOST_TEST((took >= 1s && took < 5s), gone);
}

BOOST_AUTO_TEST_CASE(the_token_is_sent_as_a_bearer_header_also_on_the_stream) {
    // /events answers 404 (so watch ends at once), everything else {}.
    FakeServer fake([](const std::string& head, std::size_t) {
        if (contains(head, "/events"))
            return http_answer(
                "404 Not Found", "application/json",
                R"({"message":"job x not found","error":"Not Found","statusCode":404})");
        return http_answer("200 OK", "application/json", "{}");
    });
    auto r = run_omx({"--token", "sekrit", "--server", fake.url(), "--json", "overview"});
    BOOST_TEST(r.code == 0, r);
    BOOST_TEST(r.out == "{}\n", r);
    auto w = run_omx({"watch", unknown_id, "--server", fake.url()}, {{"OMX_TOKEN", "from-env"}});
    BOOST_TEST(w.code == 3, w);
    auto plain = run_omx({"--server", fake.url(), "--json", "list"});
    BOOST_TEST(plain.code == 0, plain);
    auto seen = fake.requests();
    BOOST_TEST_REQUIRE(seen.size() == 3u);
    BOOST_TEST(seen[0].starts_with("GET /v1/monitor/overview HTTP/1.1\r\n"), seen[0]);
    BOOST_TEST(contains(seen[0], "\r\nAuthorization: Bearer sekrit\r\n"), seen[0]);
    BOOST_TEST(seen[1].starts_with("GET /v1/jobs/" + unknown_id + "/events HTTP/1.1\r\n"), seen[1]);
    BOOST_TEST(contains(seen[1], "\r\nAuthorization: Bearer from-env\r\n"), seen[1]);
    BOOST_TEST(contains(seen[1], "\r\nAccept: text/event-stream\r\n"), seen[1]);
    BOOST_TEST(!contains(seen[2], "Authorization"), seen[2]);
}

// A stream cut before its end, a server that repeats an event after a
// reconnect, and a 204 on the last reconnect (the job ended meanwhile): each
// event is shown once, Last-Event-ID is sent, and the job's status decides the
// exit code.
BOOST_AUTO_TEST_CASE(watch_resends_last_event_id_drops_repeats_and_ends_on_204) {
    auto event = [](int seq, std::string_view type) {
        auto data = dump(json::object{{"seq", seq},
                                      {"id", "e" + std::to_string(seq)},
                                      {"jobId", unknown_id},
                                      {"type", type},
                                      {"message", "m"},
                                      {"payload", json::object{}},
                                      {"createdAt", "2026-11-21T13:55:02.123Z"}});
        return "id: " + std::to_string(seq) + "\nevent: " + std::string(type) + "\ndata: " + data +
               "\n\n";
    };
    FakeServer fake([&](const std::string&, std::size_t n) -> std::string {
        switch (n) {
        case 0: // two events, then the connection drops without `event: end`
            return http_answer("200 OK", "text/event-stream",
                               "retry: 100\n\n" + event(1, "queued") + event(2, "started"), false);
        case 1: // repeats event 2 (must not be shown again), adds 3, drops
            return http_answer("200 OK", "text/event-stream",
                               ": keepalive\n\n" + event(2, "started") + event(3, "canceled"),
                               false);
        case 2: // the job is terminal and the client has everything
            return http_answer("204 No Content", "", "", false);
        default: // GET /v1/jobs/{id}
            return http_answer("200 OK", "application/json",
                               dump(json::object{{"id", unknown_id}, {"status", "canceled"}}));
        }
    });
    auto r = run_omx({"--server", fake.url(), "--json", "watch", unknown_id});
    BOOST_TEST_REQUIRE(r.code == 2, r);
    auto seen = json_lines(r.out);
    BOOST_TEST_REQUIRE(seen.size() == 3u, r);
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(num(seen[i], "/seq") == i + 1, r);
    auto heads = fake.requests();
    BOOST_TEST_REQUIRE(heads.size() == 4u, r);
    BOOST_TEST(!contains(heads[0], "Last-Event-ID"), heads[0]);
    BOOST_TEST(contains(heads[1], "\r\nLast-Event-ID: 2\r\n"), heads[1]);
    BOOST_TEST(contains(heads[2], "\r\nLast-Event-ID: 3\r\n"), heads[2]);
    BOOST_TEST(heads[3].starts_with("GET /v1/jobs/" + unknown_id + " HTTP/1.1\r\n"), heads[3]);

    BOOST_TEST(contains(r.err, "reconnecting after event 2"), r);
}
