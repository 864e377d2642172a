// Crash safety under load (storage.md, "Start-up and crash recovery"; team.md,
// "Leases and heartbeats"): omxd runs a mix of team jobs with slow scripted
// agents while a client keeps creating jobs, acting on them and posting mail,
// and omxd is killed with SIGKILL at random moments, then restarted on the
// same state directory and port. Afterwards nothing acknowledged is lost, every
// log is seq 1..N and folds to its record, every job reached an end that its
// log explains, and no agent of an old run is left alive.
//
// A second case puts 10 000 jobs on disk as files and checks that a server
// started on them serves every one.
//
// Random choices come from one seed, printed first (OMX_TORTURE_SEED=N replays
// the same choices; the moments of the kills still depend on timing).
#define BOOST_TEST_MODULE torture
#include <boost/test/unit_test.hpp>

#include "runtime/clock.hpp"
#include "team/core/apply.hpp"
#include "team/core/events.hpp"
#include "team/core/json_codec.hpp"
#include "tests/integration/team_helpers.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/journal_files.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <mutex>
#include <random>
#include <thread>

using namespace omx::test;
namespace team = omx::team;

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t torture_seed() {
    if (const char* s = std::getenv("OMX_TORTURE_SEED"); s && *s) return std::stoull(s);
    return 20260611;
}

struct Rng {
    explicit Rng(std::uint64_t seed) : gen(seed) {}
    std::mt19937_64 gen;
    double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(gen); }
    int between(int a, int b) { return std::uniform_int_distribution<int>(a, b)(gen); }
    bool chance(double p) { return uniform(0, 1) < p; }
    template <class T> const T& pick(const std::vector<T>& v) {
        return v[static_cast<std::size_t>(between(0, static_cast<int>(v.size()) - 1))];
    }
    // A lowercase UUID v4 from this generator (reproducible ids).
    std::string uuid() {
        std::uint64_t hi = gen(), lo = gen();
        hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
        lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
        char buf[37];
        std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", unsigned(hi >> 32),
                      unsigned((hi >> 16) & 0xffff), unsigned(hi & 0xffff), unsigned(lo >> 48),
                      static_cast<unsigned long long>(lo & 0xffffffffffffULL));
        return buf;
    }
};

double since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}


void write_text(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.good()) throw std::runtime_error("cannot write " + p.string());
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        if (nl == std::string::npos) {
            out.push_back(text.substr(pos)); // a torn last line: the caller sees it has no newline
            break;
        }
        out.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return out;
}

// ------------------------------------------------------------ agent processes

// One start of a scripted agent (RECORD/agents.log).
struct AgentStart {
    std::string job, task;
    std::int64_t attempt = 0;
    long pid = 0, pgid = 0;
    std::string token;
};

std::vector<AgentStart> agent_starts(const fs::path& record) {
    std::vector<AgentStart> out;
    std::istringstream in(omx::test::read_file(record / "agents.log"));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream l(line);
        double t;
        AgentStart a;
        if (l >> t >> a.job >> a.task >> a.attempt >> a.pid >> a.pgid >> a.token) out.push_back(a);
    }
    return out;
}

// Live (not zombie) processes of this test's agents (and their children): the
// ones whose environment carries an OMX_CLAIM_TOKEN and mentions `marker` (the
// record directory, part of every job's task text): pid -> claim token.
std::map<long, std::string> agent_processes(const std::string& marker) {
    std::map<long, std::string> found;
    std::error_code ec;
    // read_file, not an istreambuf_iterator: a /proc file of a process that
    // exits meanwhile fails with ESRCH, which must not escape and abort the test.
    for (auto& entry : fs::directory_iterator("/proc", ec)) {
        auto name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string env = omx::test::read_file(entry.path() / "environ");
        if (env.find(marker) == std::string::npos) continue;
        constexpr std::string_view var = "OMX_CLAIM_TOKEN=";
        for (std::size_t at = 0; at < env.size();) {
            auto end = env.find('\0', at);
            if (end == std::string::npos) end = env.size();
            std::string_view entry_text(env.data() + at, end - at);
            if (entry_text.starts_with(var)) {
                std::string stat = omx::test::read_file(entry.path() / "stat");
                auto close = stat.rfind(')');
                bool zombie = close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
                if (!zombie) found[std::stol(name)] = std::string(entry_text.substr(var.size()));
                break;
            }
            at = end + 1;
        }
    }
    return found;
}

std::string command_of(long pid) {
    std::string cmd = omx::test::read_file("/proc/" + std::to_string(pid) + "/cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    return cmd.substr(0, 160);
}

// --------------------------------------------------------------- log checks

// One job's log on disk: its events as JSON, whether it is whole, and what is wrong.
struct DiskLog {
    std::vector<json::object> events;
    std::vector<std::string> problems;
};

DiskLog read_disk_log(const fs::path& dir) {
    DiskLog out;
    auto text = omx::test::read_file(dir / "events.jsonl");
    if (text.empty()) {
        out.problems.push_back("empty or missing events.jsonl");
        return out;
    }
    if (text.back() != '\n') out.problems.push_back("the log does not end with a whole line");
    std::set<std::string> ids;
    std::string job_id = dir.filename().string();
    for (auto& line : lines_of(text)) {
        json::value v;
        try {
            v = parse(line);
        } catch (const std::exception& e) {
            out.problems.push_back("line " + std::to_string(out.events.size() + 1) +
                                   " is not JSON: " + line.substr(0, 200));
            break;
        }
        auto& o = v.as_object();
        auto seq = num(v, "/seq");
        if (seq != static_cast<std::int64_t>(out.events.size()) + 1)
            out.problems.push_back("line " + std::to_string(out.events.size() + 1) + " has seq " +
                                   std::to_string(seq) + " (gap or duplicate)");
        if (!ids.insert(str(v, "/id")).second)
            out.problems.push_back("event id " + str(v, "/id") + " appears twice");
        if (str(v, "/jobId") != job_id)
            out.problems.push_back("event of job " + str(v, "/jobId") + " in the log of " + job_id);
        out.events.push_back(o);
    }
    return out;
}

// The paths where two JSON values differ, with both values ("/a/b: 1 != 2").
void json_diff(const json::value& a, const json::value& b, const std::string& path,
               std::vector<std::string>& out) {
    if (out.size() >= 12) return;
    if (a.is_object() && b.is_object()) {
        std::set<std::string> keys;
        for (auto& kv : a.as_object())
            keys.insert(kv.key());
        for (auto& kv : b.as_object())
            keys.insert(kv.key());
        for (auto& k : keys) {
            auto* x = a.as_object().if_contains(k);
            auto* y = b.as_object().if_contains(k);
            if (!x || !y) out.push_back(path + "/" + k + ": " + (x ? dump(*x) : "(missing)") + " != " +
                                        (y ? dump(*y) : "(missing)"));
            else json_diff(*x, *y, path + "/" + k, out);
        }
        return;
    }
    if (a.is_array() && b.is_array() && a.as_array().size() == b.as_array().size()) {
        for (std::size_t i = 0; i < a.as_array().size(); ++i)
            json_diff(a.as_array()[i], b.as_array()[i], path + "/" + std::to_string(i), out);
        return;
    }
    if (a != b) out.push_back(path + ": " + dump(a).substr(0, 400) + " != " + dump(b).substr(0, 400));
}

// storage.md: folding a job's whole log reproduces its record.json (after a
// graceful stop), and lastSeq/logSize describe the log.
std::vector<std::string> fold_problems(const fs::path& dir, const std::vector<json::object>& events) {
    std::vector<std::string> problems;
    try {
        std::vector<team::Event> typed;
        for (auto& e : events)
            typed.push_back(team::event_from_json(e));
        auto record_text = omx::test::read_file(dir / "record.json");
        if (record_text.empty()) return {"no record.json"};
        auto record = parse(record_text);
        if (num(record, "/lastSeq") != static_cast<std::int64_t>(typed.size()))
            problems.push_back("record lastSeq " + std::to_string(num(record, "/lastSeq")) +
                               " but the log has " + std::to_string(typed.size()) + " events");
        auto size = static_cast<std::int64_t>(fs::file_size(dir / "events.jsonl"));
        if (num(record, "/logSize") != size)
            problems.push_back("record logSize " + std::to_string(num(record, "/logSize")) +
                               " but the log has " + std::to_string(size) + " bytes");
        json::value folded = team::job_to_record_json(team::fold(typed));
        json::value kept = at(record, "/job");
        // schemas.md: heartbeat fields live in the record only (not events); so
        // does the pid, known only after team.task.started is on disk (storage.md).
        for (auto* job : {&folded, &kept})
            for (auto& t : job->at_pointer("/team/tasks").as_array()) {
                t.as_object().erase("lastHeartbeatAt");
                t.as_object().erase("claimExpiresAt");
                t.as_object().erase("pid");
            }
        if (folded != kept) {
            std::vector<std::string> diff;
            json_diff(folded, kept, "", diff);
            problems.push_back("fold of the log != record.json (fold != record) at " + joined(diff));
        }
    } catch (const std::exception& e) {
        problems.push_back(std::string("cannot fold the log: ") + e.what());
    }
    return problems;
}

std::string type_of(const json::object& e) {
    return std::string(e.at("type").as_string());
}

std::string payload_str(const json::object& e, std::string_view key) {
    auto* p = e.at("payload").as_object().if_contains(key);
    return p && p->is_string() ? std::string(p->get_string()) : std::string();
}

std::int64_t seq_of(const json::object& e) {
    return e.at("seq").to_number<std::int64_t>();
}

std::string status_of_terminal(std::string_view type) {
    if (type == "completed") return "succeeded";
    if (type == "failed") return "failed";
    if (type == "canceled") return "canceled";
    return {};
}

// A short view of a log for failure messages: "seq:type(task)" per event.
std::string log_excerpt(const std::vector<json::object>& events, std::size_t last = 40) {
    std::string out;
    std::size_t from = events.size() > last ? events.size() - last : 0;
    if (from > 0) out += "... ";
    for (std::size_t i = from; i < events.size(); ++i) {
        auto& e = events[i];
        out += std::to_string(seq_of(e)) + ":" + type_of(e);
        auto task = payload_str(e, "taskId");
        if (!task.empty()) out += "(" + task + ")";
        auto reason = payload_str(e, "reason");
        if (type_of(e) == "queued") out += "{" + reason + "}";
        out += " ";
    }
    return out;
}

// Every event the API serves for a job (JSON pages), each checked against the
// schemas.md catalogue; seq problems are collected, not fatal.
json::array served_events(HttpClient& c, const std::string& id, std::vector<std::string>& problems) {
    json::array events;
    std::int64_t after = 0;
    for (int page = 0; page < 100; ++page) {
        auto r = c.get(job_url(id) + "/events?limit=1000&after=" + std::to_string(after),
                       {{"Accept", "application/json"}});
        if (r.status != 200) {
            problems.push_back("events page after " + std::to_string(after) + ": " + std::to_string(r.status));
            break;
        }
        auto body = r.json();
        const auto& items = at(body, "/items").as_array();
        if (items.empty()) break;
        for (auto& e : items) {
            if (num(e, "/seq") != after + 1)
                problems.push_back("served event after seq " + std::to_string(after) + " has seq " +
                                   std::to_string(num(e, "/seq")));
            after = num(e, "/seq");
            check_event_schema(e, id);
            events.push_back(e);
        }
    }
    return events;
}

// ------------------------------------------------------------- the workload

struct Tracked {
    std::string id;
    std::string kind, mode;
    json::object body;
    std::optional<std::string> key; // Idempotency-Key of its creation
    bool parked = false;            // job gate never approved: waits through every crash
    bool may_cancel = false;
    int resumes = 0;
};

struct AckedAction {
    std::string job, action, task; // task: for task-level approve/reject
    std::string status_after;
};

struct AckedMessage {
    std::string job, id;
};

json::object sleep_step(Rng& r, double lo = 0.2, double hi = 1.0) {
    return {{"sleep", std::round(r.uniform(lo, hi) * 100) / 100}};
}

json::object with(json::object step, std::initializer_list<std::pair<std::string_view, json::value>> more) {
    for (auto& [k, v] : more)
        step[k] = v;
    return step;
}

// A random job of the mix: its body, kind and whether the client may cancel it.
Tracked make_job(const Engine& e, Rng& r, int n) {
    static const std::vector<std::string> kinds{"plain", "plain",      "plain",      "flaky",
                                                "flaky", "verdict",    "after_gate", "after_gate",
                                                "before_gate", "job_gate", "job_gate", "slow_child"};
    Tracked t;
    t.kind = r.pick(kinds);
    json::object script{{"default", sleep_step(r)}};
    json::object options;
    if (t.kind == "plain") {
        t.mode = r.pick(std::vector<std::string>{"team", "autopilot", "ralph", "ultrawork", "pipeline"});
        if (t.mode == "ultrawork") options["workers"] = 2;
        if (r.chance(0.3))
            script["roles"] = json::object{{"executor", with(sleep_step(r, 0.5, 1.5), {{"child", true}})}};
    } else if (t.kind == "flaky") { // fails once, then passes (a retry, a fix round, or a failed pipeline)
        t.mode = r.pick(std::vector<std::string>{"autopilot", "ralph", "pipeline", "team"});
        script["roles"] = json::object{
            {"executor", json::array{with(sleep_step(r), {{"exit", 1}, {"stderr", "flaky failure"}}),
                                     sleep_step(r)}}};
    } else if (t.kind == "verdict") { // the verifier fails once: a fix round
        t.mode = r.pick(std::vector<std::string>{"autopilot", "ralph"});
        script["roles"] = json::object{
            {"verifier",
             json::array{with(sleep_step(r), {{"structured", json::object{{"status", "fail"},
                                                                           {"findings", json::array{"flag missing"}}}}}),
                         sleep_step(r)}}};
    } else if (t.kind == "after_gate") { // the agent asks for approval once
        t.mode = r.pick(std::vector<std::string>{"autopilot", "team", "ralph"});
        script["roles"] = json::object{
            {"executor",
             json::array{with(sleep_step(r), {{"structured", json::object{{"requiresApproval", true},
                                                                           {"reason", "touches the release"}}}}),
                         sleep_step(r)}}};
    } else if (t.kind == "before_gate") { // a template task that needs a person first
        t.mode = r.pick(std::vector<std::string>{"team", "pipeline"});
        json::array tasks{
            json::object{{"id", "plan"}, {"name", "Plan it"}, {"role", "planner"}},
            json::object{{"id", "build"},
                         {"name", "Build it"},
                         {"role", "executor"},
                         {"dependencies", json::array{"plan"}},
                         {"requiresApproval", true}},
            json::object{{"id", "check"}, {"name", "Check it"}, {"role", "verifier"}, {"dependencies", json::array{"build"}}},
        };
        options["team"] = json::object{{"teamTasks", tasks}};
    } else if (t.kind == "job_gate") {
        t.mode = r.pick(std::vector<std::string>{"team", "autopilot", "ralph", "pipeline"});
        options["requireApproval"] = true;
    } else { // slow_child: a long agent with a grandchild, deaf to SIGTERM
        t.mode = "autopilot";
        script["roles"] = json::object{
            {"executor", json::object{{"sleep", 1.5}, {"child", true}, {"ignore_term", true}}}};
        t.may_cancel = true;
    }
    script["n"] = n; // makes every body distinct
    t.may_cancel = t.may_cancel || r.chance(0.25);
    t.body = team_job(e, t.mode, std::move(script), std::move(options));
    return t;
}

} // namespace

// ============================================================== the torture

BOOST_AUTO_TEST_CASE(kill9_at_random_moments_loses_nothing_acknowledged) {
    const auto seed = torture_seed();
    std::cout << "torture seed " << seed << " (replay: OMX_TORTURE_SEED=" << seed << ")" << std::endl;
    Rng rng(seed);
    constexpr int target_kills = 22;
    constexpr std::size_t max_jobs = 40;
    const auto t0 = Clock::now();

    Engine engine({"--fsync", "always", "--kill-grace", "4", "--backoff-cap", "20"}, 0.05);
    engine.process.set_start_timeout(30s);
    const std::uint16_t port = engine.process.port();
    BOOST_TEST_MESSAGE("omxd on port " << port << ", state " << engine.process.state_dir());

    std::vector<Tracked> jobs;
    std::vector<AckedAction> actions;
    std::vector<AckedMessage> messages;
    std::vector<std::string> unexpected; // responses no correct server gives
    std::vector<std::pair<std::string, json::object>> unacked_keys; // keyed creates to retry
    int requests = 0, failed_requests = 0, replays = 0;

    HttpClient http(port);
    // One request; nullopt when the server did not answer (dead, restarting) or
    // answered 503: not acknowledged.
    auto call = [&](auto&& f) -> std::optional<HttpResponse> {
        ++requests;
        try {
            HttpResponse r = f(http);
            if (r.status == 503) {
                ++failed_requests;
                return std::nullopt;
            }
            return r;
        } catch (const std::exception&) {
            ++failed_requests;
            http = HttpClient(port); // drop the broken connection
            return std::nullopt;
        }
    };
    auto note_unexpected = [&](const std::string& what, const HttpResponse& r) {
        unexpected.push_back(what + " -> " + std::to_string(r.status) + " " + r.body.substr(0, 300));
    };
    auto post_create = [&](const json::object& body, const std::optional<std::string>& key) {
        Headers h;
        if (key) h["Idempotency-Key"] = *key;
        return call([&](HttpClient& c) { return c.post_json("/v1/jobs", body, h); });
    };
    auto create = [&](Tracked t) {
        auto r = post_create(t.body, t.key);
        if (!r) {
            if (t.key) unacked_keys.emplace_back(*t.key, t.body);
            return;
        }
        if (r->status != 201) return note_unexpected("create " + t.kind, *r);
        t.id = str(r->json(), "/jobId");
        auto status = str(r->json(), "/status");
        bool gated = has(json::value(t.body), "/options/requireApproval");
        if (status != (gated ? "waiting_approval" : "queued")) note_unexpected("create status", *r);
        jobs.push_back(std::move(t));
    };
    auto job_act = [&](Tracked& j, const std::string& name, const std::string& task = {}) {
        std::string target = task.empty()
                                 ? job_url(j.id) + "/actions/" + name
                                 : job_url(j.id) + "/team/tasks/" + task + "/actions/" + name;
        auto body = comment_body("torture " + name);
        auto r = call([&](HttpClient& c) { return post_text(c, target, body); });
        if (!r) return;
        if (r->status == 409) return; // the state moved on (or a crash reset it): not applied
        if (r->status != 200) return note_unexpected("POST " + target, *r);
        auto after = r->json();
        actions.push_back({j.id, name, task, str(after, "/status")});
        if (name == "resume") ++j.resumes;
        if (name == "cancel" && str(after, "/status") != "canceled") note_unexpected("cancel", *r);
        if (name == "reject" && str(after, "/status") != "failed") note_unexpected("reject", *r);
    };
    auto post_mail = [&](Tracked& j, int n) {
        json::object m{{"kind", rng.pick(std::vector<std::string>{"notice", "question", "instruction"})},
                       {"message", "torture message " + std::to_string(n)}};
        m["to"] = rng.chance(0.5) ? "leader" : "executor";
        auto r = call([&](HttpClient& c) { return c.post_json(job_url(j.id) + "/team/mailbox", m); });
        if (!r) return;
        if (r->status == 409) return;
        if (r->status != 201) return note_unexpected("POST mailbox", *r);
        messages.push_back({j.id, str(r->json(), "/id")});
    };

    // Two jobs whose job gate nobody approves: they keep waiting through every crash.
    for (int i = 0; i < 2; ++i) {
        Tracked t = make_job(engine, rng, 1000 + i);
        t.kind = "parked";
        t.parked = true;
        t.may_cancel = false;
        t.body["options"] = json::object{{"requireApproval", true}};
        create(std::move(t));
    }
    BOOST_TEST_REQUIRE(jobs.size() == 2u);

    // ---------------------------------------------------------------- chaos
    std::atomic<bool> chaos_done{false};
    std::atomic<int> kills{0};
    std::mutex shared;
    std::string killer_error;
    std::vector<std::string> kill_log;
    // Processes of the old runs still alive right after a restart: {restart, pid, token}.
    std::vector<std::tuple<int, long, std::string>> survivors;
    const std::string marker = engine.record.string(); // in every agent's environment (JOB_TASK)
    std::set<std::string> last_tokens; // agents' tokens before the last kill
    std::string last_kill;
    auto record_restart = [&](int k, const std::string& what, const std::set<std::string>& before) {
        std::map<long, std::string> alive;
        for (auto& [pid, token] : agent_processes(marker))
            if (before.count(token)) alive.emplace(pid, token);
        std::lock_guard lock(shared);
        kill_log.push_back(what + ", restarted at " + std::to_string(since(t0)) + "s, " +
                           std::to_string(alive.size()) + " old agents alive after it");
        for (auto& [pid, token] : alive)
            survivors.emplace_back(k, pid, token);
    };
    std::thread killer([&] {
        Rng krng(seed ^ 0x5eedf00dULL);
        while (kills < target_kills) {
            std::this_thread::sleep_for(std::chrono::milliseconds(krng.between(500, 2000)));
            std::set<std::string> before;
            for (auto& [pid, token] : agent_processes(marker))
                before.insert(token);
            engine.process.kill(SIGKILL);
            auto status = engine.process.wait_exit(10s);
            int k = ++kills;
            std::ostringstream what;
            what << std::fixed << std::setprecision(2) << since(t0) << "s kill #" << k
                 << " (log omxd-" << k << ".log)";
            if (!status || !WIFSIGNALED(*status)) {
                auto log = engine.process.stderr_text();
                std::lock_guard lock(shared);
                killer_error = "omxd did not die of SIGKILL: " + what.str() + ": " +
                               (status ? describe_wait_status(*status) : std::string("still running after 10 s")) +
                               "; the end of its log:\n" + log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
                break;
            }
            // The last restart is the main thread's: the test harness starts
            // omxd with PR_SET_PDEATHSIG, which fires when the *thread* that
            // started it ends.
            if (k == target_kills) {
                std::lock_guard lock(shared);
                last_kill = what.str();
                last_tokens = before;
                break;
            }
            try {
                engine.restart();
            } catch (const std::exception& e) {
                std::lock_guard lock(shared);
                killer_error = std::string("restart failed: ") + e.what();
                break;
            }
            record_restart(k, what.str(), before);
        }
        chaos_done = true;
    });

    int n = 0;
    while (!chaos_done) {
        if (jobs.size() < max_jobs && (jobs.size() < 8 || rng.chance(0.2))) {
            Tracked t = make_job(engine, rng, n);
            if (rng.chance(0.3)) t.key = "torture-" + std::to_string(seed) + "-" + std::to_string(n);
            ++n;
            create(std::move(t));
        }
        if (!unacked_keys.empty() && rng.chance(0.3)) { // a client retries what got no answer
            auto [key, body] = unacked_keys.back();
            auto r = post_create(body, key);
            if (r) {
                unacked_keys.pop_back();
                if (r->status == 201 || r->status == 200) {
                    Tracked t;
                    t.id = str(r->json(), "/jobId");
                    t.kind = "retried";
                    t.key = key;
                    t.body = body;
                    t.mode = std::string(body.at("mode").as_string());
                    bool known = std::any_of(jobs.begin(), jobs.end(), [&](auto& j) { return j.id == t.id; });
                    if (!known) jobs.push_back(std::move(t));
                } else {
                    note_unexpected("retry of key " + key, *r);
                }
            }
        }
        auto& j = jobs[static_cast<std::size_t>(rng.between(0, static_cast<int>(jobs.size()) - 1))];
        if (j.key && rng.chance(0.1)) { // a replay of an acknowledged keyed create
            auto r = post_create(j.body, j.key);
            if (r) {
                ++replays;
                if ((r->status != 201 && r->status != 200) || str(r->json(), "/jobId") != j.id)
                    note_unexpected("replay of Idempotency-Key " + *j.key + " (job " + j.id + ")", *r);
            }
        }
        auto got = call([&](HttpClient& c) { return c.get(job_url(j.id)); });
        if (got && got->status != 200) note_unexpected("GET " + j.id, *got); // ENGINE BUG if 404: lost job
        if (got && got->status == 200 && !j.parked) {
            auto job = got->json();
            auto status = str(job, "/status");
            if (str(job, "/approvalState") == "required") {
                if (rng.chance(0.5)) {
                    bool reject = rng.chance(0.2);
                    std::string task;
                    if (rng.chance(0.4)) {
                        auto team = call([&](HttpClient& c) { return c.get(job_url(j.id) + "/team"); });
                        if (team && team->status == 200 && at(team->json(), "/approvalTaskId").is_string())
                            task = str(team->json(), "/approvalTaskId");
                    }
                    job_act(j, reject ? "reject" : "approve", task);
                }
            } else if (status == "queued" || status == "running") {
                if (j.may_cancel && rng.chance(0.12)) job_act(j, "cancel");
                else if (rng.chance(0.35)) post_mail(j, n);
            } else if (status == "failed" || status == "canceled") {
                if (j.resumes < 2 && rng.chance(0.4)) job_act(j, "resume");
            } else if (rng.chance(0.1)) {
                post_mail(j, n);
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(rng.between(10, 60)));
    }
    killer.join();
    BOOST_TEST_REQUIRE(killer_error.empty(), killer_error);
    engine.restart(); // once more, after the last kill
    record_restart(target_kills, last_kill, last_tokens);
    for (auto& line : kill_log)
        std::cout << "  " << line << "\n";
    for (auto& [k, pid, token] : survivors)
        std::cout << "  after restart " << k << ": pid " << pid << " (" << command_of(pid)
                  << ") with a claim token of the killed server's run, " << token << ", still alive\n";
    std::cout << "chaos over after " << since(t0) << " s: " << kills << " kills, " << jobs.size()
              << " jobs, " << actions.size() << " actions and " << messages.size()
              << " messages acknowledged, " << requests << " requests (" << failed_requests
              << " unanswered), " << replays << " key replays" << std::endl;
    BOOST_TEST(kills.load() >= 20);

    // ---------------------------------------------------------------- drain
    // The server runs on (started after the last kill). Every job runs to an
    // end: pending gates are approved, and what is still not over after a
    // while is canceled.
    const auto drain_start = Clock::now();
    const auto cancel_after = drain_start + 25s, give_up = drain_start + 45s;
    std::vector<std::string> not_finished;
    for (;;) {
        not_finished.clear();
        for (auto& j : jobs) {
            if (j.parked) continue;
            auto got = call([&](HttpClient& c) { return c.get(job_url(j.id)); });
            if (!got || got->status != 200) {
                not_finished.push_back(j.id);
                continue;
            }
            auto job = got->json();
            if (is_terminal(str(job, "/status"))) continue;
            not_finished.push_back(j.id);
            if (str(job, "/approvalState") == "required") job_act(j, "approve");
            else if (Clock::now() > cancel_after) job_act(j, "cancel");
        }
        if (not_finished.empty() || Clock::now() > give_up) break;
        std::this_thread::sleep_for(200ms);
    }
    // ENGINE BUG if it fails: a job that neither ends nor waits for a person.
    BOOST_TEST(not_finished.empty(), "jobs stuck after " << since(drain_start) << " s of draining: "
                                                          << set_text({not_finished.begin(), not_finished.end()}));
    std::cout << "drained after " << since(drain_start) << " s" << std::endl;

    // ------------------------------------------------------ API-side checks
    // Every acknowledged job exists; keyed creates replay to their job; every
    // acknowledged message is in the mailbox.
    std::map<std::string, json::value> final_job;
    std::map<std::string, json::array> api_events;
    for (auto& j : jobs) {
        BOOST_TEST_CONTEXT("job " << j.id << " (" << j.kind << ", " << j.mode << ")") {
            auto r = http.get(job_url(j.id));
            // ENGINE BUG if it fails: an acknowledged job was lost.
            BOOST_TEST_REQUIRE(r.status == 200, "acknowledged job lost: " << r.status << " " << r.body);
            final_job[j.id] = r.json();
            std::vector<std::string> problems;
            api_events[j.id] = served_events(http, j.id, problems); // seq 1..N, every event's schema
            // ENGINE BUG if it fails: a seq gap or duplicate in what the API serves.
            BOOST_TEST(problems.empty(), joined(problems));
            if (j.key) {
                auto again = http.post_json("/v1/jobs", j.body, {{"Idempotency-Key", *j.key}});
                BOOST_TEST((again.status == 201 || again.status == 200), again.body);
                BOOST_TEST(str(again.json(), "/jobId") == j.id,
                           "ENGINE BUG? an Idempotency-Key replay after restarts made another job");
            }
        }
    }
    std::map<std::string, std::set<std::string>> mailbox;
    for (auto& j : jobs) {
        auto box = get_json(http, job_url(j.id) + "/team/mailbox");
        for (auto& m : box.as_array())
            mailbox[j.id].insert(str(m, "/id"));
    }
    for (auto& m : messages)
        BOOST_TEST(mailbox[m.job].count(m.id) == 1u,
                   "ENGINE BUG: acknowledged message " << m.id << " of job " << m.job << " lost");
    auto overview = get_json(http, "/v1/monitor/overview");

    // Graceful stop: every record written; then the disk is the truth.
    {
        engine.process.kill(SIGTERM);
        auto status = engine.process.wait_exit(30s);
        BOOST_TEST_REQUIRE(status.has_value(), "omxd did not stop on SIGTERM");
        BOOST_TEST((WIFEXITED(*status) && WEXITSTATUS(*status) == 0),
                   "omxd exit status " << *status << "\n" << engine.process.stderr_text());
    }

    // ---------------------------------------------------- disk-side checks
    auto starts = agent_starts(engine.record);
    std::map<std::string, std::vector<AgentStart>> starts_of;
    for (auto& a : starts)
        starts_of[a.job].push_back(a);
    std::map<std::string, std::size_t> action_count;
    for (auto& a : actions)
        ++action_count[a.job + " " + a.action + (a.task.empty() ? "" : " task")];

    std::size_t dirs = 0, total_events = 0, reclaims = 0, reclaimed_tasks = 0;
    std::map<std::string, int> statuses;
    std::map<std::string, int> type_counts; // over every log, for the coverage summary
    std::set<std::string> tracked_ids;
    for (auto& j : jobs)
        tracked_ids.insert(j.id);
    for (auto& entry : fs::directory_iterator(engine.process.state_dir())) {
        auto id = entry.path().filename().string();
        if (!entry.is_directory() || id.size() != 36) continue;
        ++dirs;
        BOOST_TEST_CONTEXT("job directory " << id) {
            auto log = read_disk_log(entry.path());
            // ENGINE BUG if any: a seq gap or duplicate, a torn line after a graceful stop.
            BOOST_TEST(log.problems.empty(), joined(log.problems) << "\n" << log_excerpt(log.events));
            auto folded = fold_problems(entry.path(), log.events);
            BOOST_TEST(folded.empty(), joined(folded));
            total_events += log.events.size();
            for (auto& e : log.events) {
                auto type = type_of(e);
                if (type == "queued" || type == "approval" || type == "approval_required" ||
                    type == "team.task.completed")
                    type += "{" + payload_str(e, type == "queued" ? "reason" : type == "approval" ? "decision" : type == "approval_required" ? "gate" : "result") + "}";
                ++type_counts[type];
            }
            if (!tracked_ids.count(id)) continue; // created by a request that got no answer
            const Tracked& j = *std::find_if(jobs.begin(), jobs.end(), [&](auto& t) { return t.id == id; });
            auto& view = final_job[id];
            auto status = str(view, "/status");
            ++statuses[status];

            // The API served exactly the log.
            auto& served = api_events[id];
            BOOST_TEST(served.size() == log.events.size());
            for (std::size_t i = 0; i < std::min(served.size(), log.events.size()); ++i) {
                json::object disk = log.events[i];
                disk.erase("v");
                if (json::value(disk) != served[i]) {
                    BOOST_TEST(false, "event " << i + 1 << " served differs from disk:\n"
                                               << dump(served[i]) << "\n" << dump(disk));
                    break;
                }
            }

            // Runs: `queued` starts one; its terminal event ends it and only mail may follow.
            bool ended = false;
            std::string last_terminal;
            std::int64_t terminal_seq = 0;
            std::map<std::string, std::int64_t> last_attempt; // per task: attempts only grow
            std::set<std::tuple<std::string, std::int64_t, std::string>> started; // task, attempt, token
            std::size_t approved = 0, rejected = 0, canceled = 0, resumed = 0;
            std::map<std::string, std::size_t> task_approved, task_rejected;
            std::set<std::string> received;
            for (auto& e : log.events) {
                auto type = type_of(e);
                auto seq = seq_of(e);
                auto& p = e.at("payload").as_object();
                if (type == "queued") {
                    auto reason = payload_str(e, "reason");
                    if (reason == "resumed") ++resumed;
                    if (reason != "created")
                        BOOST_TEST(ended, "a new run (queued{" << reason << "} at seq " << seq
                                                              << ") while the run was not over");
                    ended = false;
                    continue;
                }
                if (ended) {
                    // ENGINE BUG if it fails: the terminal event is not the last of its run.
                    BOOST_TEST((type == "team.mailbox.received" || type == "team.task.reassigned"),
                               type << " at seq " << seq << " after the run's terminal event at seq "
                                    << terminal_seq << ": " << log_excerpt(log.events));
                }
                if (team::is_terminal_event(type)) {
                    ended = true;
                    last_terminal = type;
                    terminal_seq = seq;
                    if (type == "canceled") ++canceled;
                }
                if (type == "approval") {
                    bool ok = payload_str(e, "decision") == "approved";
                    (ok ? approved : rejected)++;
                    auto task = payload_str(e, "taskId");
                    if (!task.empty()) (ok ? task_approved : task_rejected)[task]++;
                }
                if (type == "team.task.started") {
                    auto task = payload_str(e, "taskId");
                    auto attempt = p.at("attempt").to_number<std::int64_t>();
                    BOOST_TEST(attempt > last_attempt[task],
                               "attempt " << attempt << " of " << task << " started again at seq " << seq);
                    last_attempt[task] = attempt;
                    started.emplace(task, attempt, payload_str(e, "claimToken"));
                }
                if (type == "team.claim_recovered") {
                    ++reclaims;
                    reclaimed_tasks += p.at("taskIds").as_array().size();
                    BOOST_TEST(payload_str(e, "reason") == "server restarted", dump(e));
                }
                if (type == "team.mailbox.received")
                    received.insert(std::string(p.at("message").as_object().at("id").as_string()));
            }
            // The job's status agrees with its log.
            if (is_terminal(status)) {
                BOOST_TEST(ended, "status " << status << " but its run has no terminal event: "
                                            << log_excerpt(log.events));
                BOOST_TEST(status_of_terminal(last_terminal) == status,
                           "status " << status << ", last terminal event " << last_terminal);
            } else {
                BOOST_TEST(!ended, "status " << status << " after a terminal event");
                BOOST_TEST(j.parked, "a job left " << status << " that nobody parked: "
                                                   << log_excerpt(log.events));
                BOOST_TEST(status == "waiting_approval");
                BOOST_TEST(str(view, "/approvalState") == "required");
            }
            if (j.parked) { // nothing of it ran through 20 crashes
                BOOST_TEST(status == "waiting_approval");
                for (auto& e : log.events)
                    BOOST_TEST((type_of(e) == "queued" || type_of(e) == "approval_required" ||
                                type_of(e) == "job.status"),
                               "a parked job logged " << type_of(e));
            }
            // Every acknowledged action left its event (unacknowledged ones may have too).
            auto acked = [&](const std::string& what) { return action_count[id + " " + what]; };
            BOOST_TEST(approved >= acked("approve") + acked("approve task"),
                       "ENGINE BUG: acknowledged approvals lost: " << log_excerpt(log.events));
            BOOST_TEST(rejected >= acked("reject") + acked("reject task"),
                       "ENGINE BUG: acknowledged rejections lost: " << log_excerpt(log.events));
            BOOST_TEST(canceled >= acked("cancel"), "ENGINE BUG: acknowledged cancels lost: "
                                                        << log_excerpt(log.events));
            BOOST_TEST(resumed >= acked("resume"), "ENGINE BUG: acknowledged resumes lost: "
                                                       << log_excerpt(log.events));
            for (auto& a : actions)
                if (a.job == id && !a.task.empty())
                    BOOST_TEST((a.action == "approve" ? task_approved : task_rejected)[a.task] >= 1u,
                               "task " << a.action << " of " << a.task << " not in the log");
            for (auto& m : messages)
                if (m.job == id)
                    BOOST_TEST(received.count(m.id) == 1u, "ENGINE BUG: message " << m.id << " not in the log");
            // Every agent that ran was announced by a durable team.task.started
            // with its attempt and claim token (fsync always: before the spawn).
            std::set<std::pair<std::string, std::int64_t>> seen_attempts;
            for (auto& a : starts_of[id]) {
                BOOST_TEST(started.count({a.task, a.attempt, a.token}) == 1u,
                           "agent pid " << a.pid << " ran " << a.task << " attempt " << a.attempt
                                                    << " with token " << a.token
                                                    << " that no team.task.started announces");
                BOOST_TEST(seen_attempts.emplace(a.task, a.attempt).second,
                           "two agents ran attempt " << a.attempt << " of " << a.task);
            }
        }
    }
    // Jobs that never changed after their creation (still queued, or waiting for
    // approval) have no directory yet: their events are in the creation journal.
    for (auto& [id, text] : journal_only_jobs(engine.process.state_dir())) {
        ++dirs;
        auto lines = lines_of(text);
        for (std::size_t i = 0; i < lines.size(); ++i)
            BOOST_TEST(num(parse(lines[i]), "/seq") == static_cast<std::int64_t>(i + 1),
                       "journaled job " << id << ": line " << i + 1 << " out of sequence");
        total_events += lines.size();
        if (tracked_ids.count(id)) {
            ++statuses[str(final_job[id], "/status")];
            BOOST_TEST(api_events[id].size() == lines.size(), "journaled job " << id << ": the API served another log");
        }
    }
    BOOST_TEST(dirs >= jobs.size());
    BOOST_TEST(num(overview, "/jobs/total") == static_cast<std::int64_t>(dirs));
    std::string status_text;
    for (auto& [s, c] : statuses)
        status_text += " " + s + "=" + std::to_string(c);
    std::cout << "checked " << dirs << " job logs (" << total_events << " events; " << reclaims
              << " team.claim_recovered of " << reclaimed_tasks << " tasks; " << starts.size()
              << " agent starts); statuses:" << status_text << std::endl;
    std::string coverage, acked_kinds;
    for (auto& [t, count] : type_counts)
        if (t != "team.task.output" && t != "workspace_ready" && t != "job.status" && t != "team.phase_changed")
            coverage += " " + t + "=" + std::to_string(count);
    std::map<std::string, int> by_kind;
    for (auto& a : actions)
        ++by_kind[a.action + (a.task.empty() ? "" : "(task)")];
    for (auto& [k, count] : by_kind)
        acked_kinds += " " + k + "=" + std::to_string(count);
    std::cout << "acknowledged actions:" << acked_kinds << "\nevents:" << coverage << std::endl;
    BOOST_TEST(reclaims >= 1u, "no crash ever hit a running task: the torture tested little");

    // No agent of any run is left (leftovers finishing their own short sleep
    // are given time): not one process of this test carries a claim token.
    std::map<long, std::string> left;
    eventually([&] { return (left = agent_processes(marker)).empty(); }, 4s);
    for (auto& [pid, token] : left) {
        std::string owner = "no agent that recorded itself";
        for (auto& a : starts)
            if (a.token == token) owner = a.job + " " + a.task + " attempt " + std::to_string(a.attempt);
        // A leftover agent (or its child) of an old run that recovery did not fence.
        BOOST_TEST(false, "leftover process " << pid << " (" << command_of(pid) << ") with claim token "
                                                          << token << " of " << owner);
        ::kill(static_cast<pid_t>(pid), SIGKILL); // started through our omxd: clean up
    }
    BOOST_TEST(unexpected.empty(), "unexpected responses:\n" << joined(unexpected));
    std::cout << "torture done in " << since(t0) << " s" << std::endl;
}

// ======================================================== 10 000 on disk

namespace {

// A finished template job's log lines and the status it ended with.
struct Template {
    std::string id, status;
    std::vector<json::object> events;
};

Template template_of(const fs::path& state, const std::string& id, const std::string& status) {
    Template t{id, status, {}};
    for (auto& line : lines_of(job_log_text(state, id)))
        t.events.push_back(parse(line).as_object());
    BOOST_TEST_REQUIRE(!t.events.empty());
    return t;
}

// The template's log for a new job: the template's id replaced everywhere
// (also inside paths), fresh event ids, its task text and times shifted so
// that the job was created at `created`.
std::vector<json::object> generated_log(const Template& t, Rng& r, const std::string& id,
                                        const std::string& task, std::int64_t created) {
    auto first = omx::parse_rfc3339(std::string(t.events.front().at("createdAt").as_string())).value();
    std::vector<json::object> out;
    for (auto& e : t.events) {
        auto text = dump(e);
        for (auto pos = text.find(t.id); pos != std::string::npos; pos = text.find(t.id, pos + id.size()))
            text.replace(pos, t.id.size(), id);
        auto o = parse(text).as_object();
        o["id"] = r.uuid();
        auto at_ms = omx::parse_rfc3339(std::string(o["createdAt"].as_string())).value();
        o["createdAt"] = omx::format_rfc3339(created + (at_ms - first));
        if (type_of(o) == "queued" && payload_str(o, "reason") == "created")
            o["payload"].as_object()["job"].as_object()["task"] = task;
        out.push_back(std::move(o));
    }
    return out;
}

std::string log_text(const std::vector<json::object>& events) {
    std::string text;
    for (auto& e : events)
        text += dump(e) + "\n";
    return text;
}

std::string record_text(const std::vector<json::object>& events, std::size_t upto, std::uint64_t log_size) {
    std::vector<team::Event> typed;
    for (std::size_t i = 0; i < upto; ++i)
        typed.push_back(team::event_from_json(events[i]));
    auto job = team::fold(typed);
    return dump(json::object{{"lastSeq", job.lastSeq}, {"logSize", log_size}, {"job", team::job_to_record_json(job)}});
}

} // namespace

BOOST_AUTO_TEST_CASE(ten_thousand_jobs_on_disk_are_all_served) {
    const auto seed = torture_seed();
    std::cout << "10 000 jobs: seed " << seed << std::endl;
    Rng rng(seed + 1);
    constexpr std::size_t total = 10000;

    // Four real jobs, one per end state, made by the server: the templates.
    Engine engine({"--fsync", "off"}, 0.01);
    engine.process.set_start_timeout(120s);
    std::vector<Template> templates;
    {
        auto c = engine.client();
        auto succeeded = create_job(c, team_job(engine, "autopilot", {}));
        auto waiting = create_job(c, team_job(engine, "ralph", {}, {{"requireApproval", true}}));
        auto canceled = create_job(c, team_job(engine, "team", {}, {{"requireApproval", true}}));
        BOOST_TEST_REQUIRE(action(c, canceled, "cancel").status == 200);
        auto failed = create_job(c, team_job(engine, "pipeline", {}, {{"requireApproval", true}}));
        BOOST_TEST_REQUIRE(action(c, failed, "reject").status == 200);
        BOOST_TEST_REQUIRE(str(wait_terminal(c, succeeded), "/status") == "succeeded");
        engine.process.kill(SIGTERM);
        BOOST_TEST_REQUIRE(engine.process.wait_exit(20s).has_value());
        auto state = engine.process.state_dir();
        templates = {template_of(state, succeeded, "succeeded"), template_of(state, canceled, "canceled"),
                     template_of(state, failed, "failed"), template_of(state, waiting, "waiting_approval")};
    }

    // total - 4 generated jobs beside them: 40 % succeeded, 25 % canceled, 25 %
    // failed, 10 % waiting for approval; every other one has no record.json
    // (recovery builds it), every 50th a stale one; creation times one second
    // apart, with every 7th tied with the one before (cursors must not skip
    // or repeat ties).
    struct Made {
        std::string id, status, task;
        std::size_t events;
        std::int64_t created;
    };
    std::vector<Made> made;
    const std::int64_t base = omx::now_ms() - 30LL * 24 * 3600 * 1000;
    std::int64_t created = base;
    auto gen_start = Clock::now();
    for (std::size_t i = 0; made.size() + templates.size() < total; ++i) {
        int roll = rng.between(0, 99);
        const Template& t = templates[roll < 40 ? 0 : roll < 65 ? 1 : roll < 90 ? 2 : 3];
        if (i % 7 != 6) created += 1000;
        auto id = rng.uuid();
        auto task = "generated job " + std::to_string(i);
        auto events = generated_log(t, rng, id, task, created);
        auto dir = engine.process.state_dir() / id;
        fs::create_directory(dir);
        auto text = log_text(events);
        write_text(dir / "events.jsonl", text);
        if (i % 50 == 3)
            write_text(dir / "record.json", record_text(events, 1, dump(events[0]).size() + 1));
        else if (i % 2 == 0)
            write_text(dir / "record.json", record_text(events, events.size(), text.size()));
        made.push_back({id, t.status, task, events.size(), created});
    }
    std::cout << "generated " << made.size() << " job directories in " << since(gen_start) << " s"
              << std::endl;

    auto start = Clock::now();
    engine.restart();
    std::cout << "omxd listening on 10 000 jobs after " << since(start) << " s" << std::endl;
    auto c = engine.client();

    // The whole list through cursors: every job once, newest first.
    std::vector<std::string> listed;
    std::set<std::string> unique;
    std::int64_t previous = std::numeric_limits<std::int64_t>::max();
    std::optional<std::string> cursor;
    auto list_start = Clock::now();
    for (int page = 0; page < 100; ++page) {
        std::string target = "/v1/jobs?limit=500";
        if (cursor) target += "&cursor=" + *cursor;
        auto body = get_json(c, target);
        for (auto& item : at(body, "/items").as_array()) {
            auto id = str(item, "/id");
            listed.push_back(id);
            BOOST_TEST(unique.insert(id).second, "job " << id << " listed twice");
            auto t = ms_of(at(item, "/createdAt"));
            BOOST_TEST(t <= previous, "not newest first at " << id);
            previous = t;
        }
        if (at(body, "/nextCursor").is_null()) break;
        cursor = str(body, "/nextCursor");
    }
    std::cout << "listed " << listed.size() << " jobs in " << since(list_start) << " s" << std::endl;
    BOOST_TEST(listed.size() == total);
    BOOST_TEST(unique.size() == total);
    for (auto& m : made)
        if (!unique.count(m.id)) {
            BOOST_TEST(false, "generated job " << m.id << " not listed");
            break;
        }
    auto overview = get_json(c, "/v1/monitor/overview");
    BOOST_TEST(num(overview, "/jobs/total") == static_cast<std::int64_t>(total));
    std::size_t waiting = std::count_if(made.begin(), made.end(), [](auto& m) { return m.status == "waiting_approval"; }) + 1;
    BOOST_TEST(num(overview, "/jobs/waiting_approval") == static_cast<std::int64_t>(waiting));
    auto by_status = get_json(c, "/v1/jobs?status=waiting_approval&limit=500");
    BOOST_TEST(at(by_status, "/items").as_array().size() == std::min<std::size_t>(waiting, 500));

    // A sample read one by one: the job, its events, its team.
    for (int k = 0; k < 300; ++k) {
        auto& m = made[static_cast<std::size_t>(rng.between(0, static_cast<int>(made.size()) - 1))];
        BOOST_TEST_CONTEXT("generated job " << m.id) {
            auto job = get_json(c, job_url(m.id));
            BOOST_TEST(str(job, "/status") == m.status);
            BOOST_TEST(str(job, "/task") == m.task);
            BOOST_TEST(ms_of(at(job, "/createdAt")) == m.created);
            if (k % 6 == 0) {
                auto events = events_of(c, m.id);
                BOOST_TEST(events.size() == m.events);
                BOOST_TEST(str(team_of(c, m.id), "/status") == m.status);
            }
        }
    }
    // And one of them can still change: a canceled job resumes.
    auto canceled = std::find_if(made.begin(), made.end(), [](auto& m) { return m.status == "canceled"; });
    BOOST_TEST_REQUIRE((canceled != made.end()));
    auto resumed = action(c, canceled->id, "resume");
    BOOST_TEST_REQUIRE(resumed.status == 200, resumed.body);
    // Its job gate was never approved: pending again after the resume.
    BOOST_TEST(str(resumed.json(), "/approvalState") == "required", resumed.body);
    BOOST_TEST(action(c, canceled->id, "approve").status == 200);
    BOOST_TEST(num(events_of(c, canceled->id).back(), "/seq") > static_cast<std::int64_t>(canceled->events));
    auto waited = wait_terminal(c, canceled->id);
    BOOST_TEST(str(waited, "/status") == "succeeded", dump(waited));

    engine.process.kill(SIGTERM);
    BOOST_TEST_REQUIRE(engine.process.wait_exit(60s).has_value());
    // Every job directory now has the record its log folds to.
    std::size_t checked = 0, bad = 0;
    for (auto& entry : fs::directory_iterator(engine.process.state_dir())) {
        if (!entry.is_directory() || entry.path().filename().string().size() != 36) continue;
        ++checked;
        auto log = read_disk_log(entry.path());
        auto problems = log.problems;
        auto folded = fold_problems(entry.path(), log.events);
        problems.insert(problems.end(), folded.begin(), folded.end());
        if (!problems.empty() && ++bad <= 5)
            BOOST_TEST(false, entry.path().filename().string() << ": " << joined(problems));
    }
    // The template job still waiting for approval never changed: it is in the
    // creation journal, with no directory of its own.
    auto journaled = journal_only_jobs(engine.process.state_dir());
    BOOST_TEST(journaled.size() == 1u);
    BOOST_TEST(checked + journaled.size() == total);
    BOOST_TEST(bad == 0u);
}

// ================================================ the start event comes first

namespace {

std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char ch : text)
        out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return out + "'";
}

} // namespace

// storage.md, Durability (`--fsync always`): an event is on disk "before the
// process that it announces is started". The crash case above can only catch a
// violation when a kill falls between the spawn and the append; here every
// agent checks it itself, without any crash: a /bin/sh wrapper (no fork, about
// a millisecond after the spawn) looks for its own claim token in the job's
// events.jsonl, notes what it found, and then becomes the scripted agent.
BOOST_AUTO_TEST_CASE(every_agent_finds_its_start_event_on_disk_when_it_begins) {
    Engine engine({"--fsync", "always"}, 0.05);
    engine.process.kill(SIGTERM);
    BOOST_TEST_REQUIRE(engine.process.wait_exit(20s).has_value());
    auto wrapper = engine.process.log_dir() / "announced_agent.sh";
    auto announced = engine.record / "announced.log";
    write_text(wrapper, "#!/bin/sh\n"
                        "log=" + shell_quote(engine.process.state_dir().string()) + "/\"$JOB_ID\"/events.jsonl\n"
                        "found=no\n"
                        "if [ -n \"$OMX_CLAIM_TOKEN\" ] && [ -f \"$log\" ]; then\n"
                        "  while IFS= read -r line || [ -n \"$line\" ]; do\n"
                        "    case \"$line\" in *\"$OMX_CLAIM_TOKEN\"*) found=yes; break;; esac\n"
                        "  done < \"$log\"\n"
                        "fi\n"
                        "echo \"$JOB_ID $JOB_TASK_ID $JOB_ATTEMPT $found\" >> " + shell_quote(announced.string()) + "\n"
                        "exec " + shell_quote(scripted_agent) + " \"$@\"\n");
    fs::permissions(wrapper, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
    engine.env["JOB_CLI_BIN"] = wrapper.string();
    engine.restart();

    auto c = engine.client();
    std::vector<std::string> ids;
    for (int round = 0; round < 2; ++round)
        for (auto mode : {"autopilot", "ralph", "team", "ultrawork", "pipeline", "autopilot"})
            ids.push_back(create_job(c, team_job(engine, mode, {{"default", json::object{{"sleep", 0.05}}}})));
    for (auto& id : ids)
        BOOST_TEST(str(wait_terminal(c, id, 60s), "/status") == "succeeded");

    std::size_t starts = 0, missing = 0;
    std::istringstream in(omx::test::read_file(announced));
    std::string job, task, attempt, found;
    while (in >> job >> task >> attempt >> found) {
        ++starts;
        if (found == "yes") continue;
        ++missing;
        // storage.md: the start is durable before the agent exists; otherwise a
        // crash in between leaves an agent whose claim token no log names.
        if (missing <= 5)
            BOOST_TEST(false, "the agent of " << task << " attempt " << attempt << " of job " << job
                                                          << " began before its team.task.started was on disk");
    }
    std::cout << "start event on disk before the agent: " << starts - missing << " of " << starts << " agents"
              << std::endl;
    BOOST_TEST(starts >= 40u);
    BOOST_TEST(missing == 0u);
}

// ============================================ a cancel followed by a crash

// api.md: cancel is acknowledged "once the state change is durable, without
// waiting for the processes to exit" (SIGTERM, then SIGKILL after the grace).
// A crash inside the grace must not let the agents live on: agents.md says
// recovery finds every leftover process of the old run by its claim token.
// Here the agent ignores SIGTERM and the grace is long, so the server dies
// before its SIGKILL for certain.
BOOST_AUTO_TEST_CASE(agents_of_a_job_canceled_just_before_a_crash_do_not_outlive_it) {
    Engine engine({"--fsync", "always", "--kill-grace", "20"}, 1.0);
    const std::string marker = engine.record.string();
    auto c = engine.client();
    auto id = create_job(c, team_job(engine, "autopilot",
                                     {{"roles", json::object{{"planner", json::object{{"sleep", 20},
                                                                                      {"child", true},
                                                                                      {"ignore_term", true}}}}}}));
    auto first = wait_recorded(engine, id, "planner", 1);
    BOOST_TEST_REQUIRE(eventually([&] { return agent_processes(marker).size() >= 2; }, 5s)); // agent + child
    auto canceled = action(c, id, "cancel");
    BOOST_TEST_REQUIRE(canceled.status == 200, canceled.body);
    BOOST_TEST(str(canceled.json(), "/status") == "canceled");
    engine.process.kill(SIGKILL);
    BOOST_TEST_REQUIRE(engine.process.wait_exit(10s).has_value());
    engine.restart();

    std::map<long, std::string> left;
    eventually([&] { return (left = agent_processes(marker)).empty(); }, 3s);
    // Recovery fences every claim a result did not release, also of tasks a
    // cancel was still stopping when the server died.
    BOOST_TEST(left.empty(), "" << left.size() << " processes of the canceled job's planner (claim token "
                                            << str(first, "/OMX_CLAIM_TOKEN") << ") still run after the restart");
    for (auto& [pid, token] : left)
        ::kill(static_cast<pid_t>(pid), SIGKILL); // started through our omxd: clean up
    BOOST_TEST(str(get_json(c, job_url(id)), "/status") == "canceled");
}
