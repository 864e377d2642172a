// Helpers of the team-engine integration tests: omxd with --role all running the
// scripted agent (tests/agents/scripted_agent.py) for every role, scripts as job
// tasks, waits, events checked against the schemas.md catalogue, and what the
// agent recorded (its environment, prompt, process group, timeline).
// Include after <boost/test/unit_test.hpp> (the test file defines the module).
#pragma once

#include "tests/integration/api_helpers.hpp"
#include "tests/support/temp_dir.hpp"

#include <cerrno>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <map>
#include <optional>
#include <signal.h>
#include <sstream>
#include <unistd.h>

namespace omx::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline const std::string scripted_agent =
    std::string(OMX_SOURCE_DIR) + "/tests/agents/scripted_agent.py";

// omxd running jobs (--role all) with the scripted agent as every role's CLI, an
// empty workspace per job and every duration scaled by `time_scale`. The agents
// record into `record`.
struct Engine {
    explicit Engine(std::vector<std::string> extra = {}, double time_scale = 0.01) {
        record = process.log_dir() / "record";
        fs::create_directories(record);
        std::ostringstream scale;
        scale << time_scale;
        args = {
            "--role",    "all",         "--skip-clone",
            "--fsync",   "off",         "--time-scale",
            scale.str(), "--work-root", (process.log_dir() / "runs").string()};
        args.insert(args.end(), extra.begin(), extra.end()); // later flags win
        process.start(args, env);
    }
    HttpClient client() const { return HttpClient(process.port()); }

    // Starts omxd again (after a crash or a stop) with the same arguments and
    // environment, on the same state directory and port.
    void restart() {
        process.set_listen_port(process.port());
        process.start(args, env);
    }

    // The job task text: the agent's script, recording into `record`.
    std::string script(json::object s = {}) const {
        s["record"] = record.string();
        return dump(s);
    }

    OmxdProcess process;
    fs::path record;
    std::vector<std::string> args;
    OmxdProcess::Env env{{"JOB_CLI_BIN", scripted_agent}};
};

inline json::object team_job(const Engine& e, std::string_view mode, json::object script,
                             json::object options = {}) {
    auto body = job_body(mode);
    body["task"] = e.script(std::move(script));
    if (!options.empty()) body["options"] = std::move(options);
    return body;
}

inline bool is_terminal(std::string_view status) {
    return status == "succeeded" || status == "failed" || status == "canceled";
}

// Polls the job until pred(job) holds; fails the test case after timeout.
template <class Pred>
json::value wait_job(HttpClient& c, const std::string& id, Pred pred, std::string_view what,
                     std::chrono::milliseconds timeout = 30s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto job = get_json(c, job_url(id));
        if (pred(job)) return job;
        if (std::chrono::steady_clock::now() > deadline)
            BOOST_FAIL("job " << id << " not " << what << " in time: " << dump(job));
        std::this_thread::sleep_for(25ms);
    }
}

inline json::value wait_terminal(HttpClient& c, const std::string& id,
                                 std::chrono::milliseconds timeout = 30s) {
    return wait_job(
        c, id, [](const json::value& j) { return is_terminal(str(j, "/status")); }, "terminal",
        timeout);
}

inline json::value wait_status(HttpClient& c, const std::string& id, std::string_view status,
                               std::chrono::milliseconds timeout = 30s) {
    return wait_job(
        c, id, [&](const json::value& j) { return str(j, "/status") == status; }, status, timeout);
}

// ------------------------------------------------------------ event schemas

// schemas.md, Events: the payload keys of every event type (required, optional).
struct PayloadKeys {
    std::set<std::string> required;
    std::set<std::string> optional;
};

// clang-format off
inline const std::map<std::string, PayloadKeys>& event_catalogue() {
    static const std::map<std::string, PayloadKeys> m{
        // api.md: "the key and a hash of the body are part of the job's creation
        // event" -- beyond the table's {reason, job?}, on `created` only.
        {"queued", {{"reason"}, {"job", "idempotencyKey", "requestHash"}}},
        {"started", {{"workerId"}, {}}},
        {"job.status", {{"from", "to"}, {}}},
        {"approval_required", {{"gate", "taskId", "reason"}, {}}},
        {"approval", {{"decision", "gate", "taskId", "comment"}, {}}},
        {"canceled", {{"comment"}, {}}},
        {"budget_exceeded", {{"budget", "limit", "used"}, {}}},
        {"failed", {{"error", "errorClass", "taskId"}, {}}},
        {"completed", {{"output"}, {}}},
        {"workspace_ready", {{"repo", "ref", "commit", "path"}, {}}},
        {"team.phase_changed", {{"from", "to", "reason"}, {}}},
        {"team.plan_ready", {{"fromTaskId", "summary", "added", "removedTaskIds"}, {}}},
        {"team.task.started", {{"taskId", "role", "attempt", "workerId", "claimToken", "pid"}, {}}},
        {"team.task.output", {{"taskId", "attempt", "kind", "text", "exitCode"}, {}}},
        {"team.task.validation_failed", {{"taskId", "attempt", "problems"}, {}}},
        {"team.task.non_reporting", {{"taskId", "attempt", "idleSeconds"}, {}}},
        {"team.task.completed", {{"taskId", "attempt", "result", "errorClass", "error", "output", "notBefore"}, {}}},
        {"team.task.approval_required", {{"taskId", "stage", "reason"}, {}}},
        {"team.task.canceled", {{"taskId", "reason"}, {}}},
        {"team.task.reassigned", {{"taskId", "resetTaskIds", "messageId"}, {}}},
        {"team.claim_recovered", {{"taskIds", "reason"}, {}}},
        {"team.retry", {{"fixAttempt", "maxFixAttempts", "resetTaskIds", "reason", "feedback"}, {}}},
        {"team.mailbox.received", {{"message"}, {}}},
        {"team.mailbox.delivered", {{"messageIds", "taskId", "attempt"}, {}}},
        {"team.completed", {{"status"}, {}}},
        {"tmux_session_started", {{"sessionName", "socket", "attachCommand", "panes"}, {}}},
        {"tmux_session_retained", {{"sessionName", "socket", "attachCommand", "panes"}, {}}},
        {"tmux_session_closed", {{"sessionName", "socket", "attachCommand", "panes"}, {}}},
    };
    return m;
}

inline const std::set<std::string> task_output_keys{
    "status", "exitCode", "signal", "summary", "structured", "usage", "durationMs", "logPath",
    "stderrTail", "threadId"};
inline const std::set<std::string> usage_keys{
    "inputTokens", "cachedInputTokens", "outputTokens", "totalTokens", "costUsd"};
inline const std::set<std::string> job_output_keys{"phase", "fixAttempts", "tasks", "usage"};
inline const std::set<std::string> job_output_task_keys{"id", "role", "status", "attempt", "summary"};
inline const std::set<std::string> message_keys{
    "id", "kind", "from", "to", "taskId", "message", "payload", "meta", "createdAt", "delivered",
    "deliveredAt", "deliveredTo"};
inline const std::set<std::string> envelope_keys{
    "seq", "id", "jobId", "type", "message", "payload", "createdAt"};
// clang-format on

inline std::string joined_keys(const std::set<std::string>& keys) {
    std::string out;
    for (auto& k : keys)
        out += (out.empty() ? "" : ",") + k;
    return out;
}

inline void check_keys(const json::value& v, const std::set<std::string>& wanted,
                       const std::string& what) {
    BOOST_TEST_REQUIRE(v.is_object(), what << " is not an object: " << dump(v));
    BOOST_TEST(joined_keys(keys_of(v)) == joined_keys(wanted), what << ": " << dump(v));
}

inline void check_job_output(const json::value& out, const std::string& what) {
    check_keys(out, job_output_keys, what);
    if (!has(out, "/tasks") || !at(out, "/tasks").is_array()) return;
    for (auto& t : at(out, "/tasks").as_array())
        check_keys(t, job_output_task_keys, what + " task");
    if (has(out, "/usage")) check_keys(at(out, "/usage"), usage_keys, what + " usage");
}

// One event: the envelope, a known type, exactly the payload keys of
// schemas.md (optional ones may be absent), and the nested objects' keys.
inline void check_event_schema(const json::value& e, const std::string& job_id) {
    check_keys(e, envelope_keys, "event envelope");
    if (!e.is_object() || !has(e, "/type") || !has(e, "/payload")) return;
    auto type = str(e, "/type");
    BOOST_TEST(str(e, "/jobId") == job_id);
    BOOST_TEST(is_timestamp(at(e, "/createdAt")), dump(e));
    auto it = event_catalogue().find(type);
    BOOST_TEST_REQUIRE((it != event_catalogue().end()),
                       "event type not in schemas.md: " << dump(e));
    const auto& payload = at(e, "/payload");
    BOOST_TEST_REQUIRE(payload.is_object(), dump(e));
    auto keys = keys_of(payload);
    std::set<std::string> allowed = it->second.required;
    allowed.insert(it->second.optional.begin(), it->second.optional.end());
    bool ok = std::includes(keys.begin(), keys.end(), it->second.required.begin(),
                            it->second.required.end()) &&
              std::includes(allowed.begin(), allowed.end(), keys.begin(), keys.end());
    BOOST_TEST(ok, "payload keys of " << type << " are {" << joined_keys(keys)
                                      << "}, schemas.md says {" << joined_keys(it->second.required)
                                      << "} + optional {" << joined_keys(it->second.optional)
                                      << "}: " << dump(e));
    // The values schemas.md enumerates.
    auto one_of = [&](std::string_view pointer, std::set<std::string> allowed,
                      bool nullable = false) {
        if (!has(payload, pointer)) return;
        const auto& v = at(payload, pointer);
        if (nullable && v.is_null()) return;
        BOOST_TEST((v.is_string() && allowed.count(std::string(v.get_string()))),
                   type << pointer << " is not one of {" << joined_keys(allowed)
                        << "}: " << dump(e));
    };
    static const std::set<std::string> phases{"team-plan", "team-prd", "team-exec", "team-verify",
                                              "team-fix",  "complete", "failed",    "canceled"};
    static const std::set<std::string> error_classes{
        "rate_limit",  "auth",       "timeout",  "hang",     "killed",     "exit",
        "agent_error", "validation", "rejected", "canceled", "dependency", "budget"};
    if (type == "queued") one_of("/reason", {"created", "resumed", "reopened"});
    if (type == "team.phase_changed") {
        one_of("/from", phases);
        one_of("/to", phases);
        one_of("/reason", {"plan_ready", "tasks_started", "verification_required", "fix_attempt",
                           "verification_resumed", "complete", "failed", "canceled"});
    }
    if (type == "team.task.completed") {
        one_of("/result", {"succeeded", "failed", "retry", "approval"});
        one_of("/errorClass", error_classes, true);
    }
    if (type == "failed") one_of("/errorClass", error_classes, true);
    if (type == "team.task.output")
        one_of("/kind", {"message", "command", "file_change", "tool", "plan", "error"});
    if (type == "approval_required" || type == "approval")
        one_of("/gate", {"job", "before", "after"});
    if (type == "approval") one_of("/decision", {"approved", "rejected"});
    if (type == "team.task.approval_required") one_of("/stage", {"before", "after"});
    if (type == "budget_exceeded") one_of("/budget", {"maxMinutes", "maxTokens"});
    if (type == "team.completed") one_of("/status", {"succeeded", "failed", "canceled"});
    if (type == "queued" && str(payload, "/reason") != "created")
        BOOST_TEST(joined_keys(keys) == "reason", dump(e));
    if (type == "team.task.completed" && has(payload, "/output") &&
        !at(payload, "/output").is_null()) {
        check_keys(at(payload, "/output"), task_output_keys, type + " output");
        if (has(payload, "/output/usage"))
            check_keys(at(payload, "/output/usage"), usage_keys, type + " output usage");
    }
    if (type == "completed" && has(payload, "/output"))
        check_job_output(at(payload, "/output"), type);
    if (type == "team.mailbox.received" && has(payload, "/message"))
        check_keys(at(payload, "/message"), message_keys, type + " message");
}

// Every event type seen by any test case of this executable, for the summary.
inline std::set<std::string>& seen_event_types() {
    static std::set<std::string> seen;
    return seen;
}

// Every event of a job (paged with `after`), each checked against schemas.md;
// seqs run 1..N.
inline json::array job_events(HttpClient& c, const std::string& id) {
    json::array events;
    std::int64_t after = 0;
    for (int page = 0; page < 50; ++page) {
        auto r = c.get(job_url(id) + "/events?limit=1000&after=" + std::to_string(after),
                       {{"Accept", "application/json"}});
        BOOST_TEST_REQUIRE(r.status == 200, r.body);
        auto body = r.json();
        const auto& items = at(body, "/items").as_array();
        if (items.empty()) break;
        for (auto& e : items) {
            BOOST_TEST_REQUIRE(num(e, "/seq") == after + 1, "seq gap in " << dump(e));
            ++after;
            check_event_schema(e, id);
            seen_event_types().insert(str(e, "/type"));
            events.push_back(e);
        }
    }
    return events;
}

// The events of one type (and, if given, of one task: payload.taskId).
inline std::vector<json::value> of_type(const json::array& events, std::string_view type,
                                        std::string_view task = {}) {
    std::vector<json::value> out;
    for (auto& e : events) {
        if (str(e, "/type") != type) continue;
        if (!task.empty() && !(has(e, "/payload/taskId") && at(e, "/payload/taskId").is_string() &&
                               str(e, "/payload/taskId") == task))
            continue;
        out.push_back(e);
    }
    return out;
}

inline std::string types_text(const json::array& events) {
    std::string out;
    for (auto& e : events) {
        out += (out.empty() ? "" : " ") + str(e, "/type");
        if (has(e, "/payload/taskId") && at(e, "/payload/taskId").is_string())
            out += "(" + str(e, "/payload/taskId") + ")";
    }
    return out;
}

inline std::vector<std::string> strings_of(const json::value& array) {
    std::vector<std::string> out;
    for (auto& v : array.as_array())
        out.emplace_back(v.as_string());
    return out;
}

inline std::set<std::string> string_set(const json::value& array) {
    auto v = strings_of(array);
    return {v.begin(), v.end()};
}

inline std::string set_text(const std::set<std::string>& s) {
    return joined_keys(s);
}

// --------------------------------------------------------- team state views

inline json::value team_of(HttpClient& c, const std::string& id) {
    return get_json(c, job_url(id) + "/team");
}

inline json::value task_of(const json::value& team, std::string_view task_id) {
    for (auto& t : at(team, "/tasks").as_array())
        if (str(t, "/id") == task_id) return t;
    BOOST_FAIL("no task " << task_id << " in " << dump(team));
    return nullptr;
}

inline std::vector<std::string> task_ids(const json::value& team) {
    std::vector<std::string> out;
    for (auto& t : at(team, "/tasks").as_array())
        out.push_back(str(t, "/id"));
    return out;
}

// ------------------------------------------------------ what agents recorded

// RECORD/<job>-<task>-<attempt>.json, or null if that attempt did not record.
inline json::value recorded(const Engine& e, const std::string& job, std::string_view task,
                            int attempt) {
    auto text = read_file(
        e.record / (job + "-" + std::string(task) + "-" + std::to_string(attempt) + ".json"));
    if (text.empty()) return nullptr;
    return parse(text);
}

// The prompt that attempt got, without the job's task text (the agent's script,
// which the prompt quotes): what is left is the engine's own text, feedback
// and messages.
inline std::string recorded_prompt(const Engine& e, const std::string& job, std::string_view task,
                                   int attempt) {
    auto r = recorded(e, job, task, attempt);
    BOOST_TEST_REQUIRE(!r.is_null(), "attempt " << attempt << " of " << task << " did not run");
    auto prompt = str(r, "/JOB_PROMPT");
    auto script = str(r, "/JOB_TASK");
    BOOST_TEST_REQUIRE(prompt.find(script) != std::string::npos,
                       "the prompt lacks the task: " << prompt);
    for (auto pos = prompt.find(script); pos != std::string::npos; pos = prompt.find(script, pos))
        prompt.erase(pos, script.size());
    return prompt;
}

// Waits until the agent of that attempt has recorded itself (it is running).
inline json::value wait_recorded(const Engine& e, const std::string& job, std::string_view task,
                                 int attempt, std::chrono::milliseconds timeout = 15s) {
    json::value r;
    BOOST_TEST_REQUIRE(
        eventually([&] { return !(r = recorded(e, job, task, attempt)).is_null(); }, timeout),
        "attempt " << attempt << " of " << task << " never started");
    return r;
}

struct Span {
    double start = -1, end = -1;
};

// start/end times per "task#attempt" of one job from RECORD/timeline.log.
inline std::map<std::string, Span> timeline(const Engine& e, const std::string& job) {
    std::map<std::string, Span> out;
    std::istringstream in(read_file(e.record / "timeline.log"));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream l(line);
        double t;
        std::string what, jid, task;
        int attempt;
        if (!(l >> t >> what >> jid >> task >> attempt) || jid != job) continue;
        auto& span = out[task + "#" + std::to_string(attempt)];
        (what == "start" ? span.start : span.end) = t;
    }
    return out;
}

inline bool overlap(const Span& a, const Span& b) {
    return a.start >= 0 && b.start >= 0 && a.end >= 0 && b.end >= 0 && a.start < b.end &&
           b.start < a.end;
}

// Milliseconds since the epoch of an RFC 3339 UTC timestamp with milliseconds.
inline std::int64_t ms_of(const json::value& timestamp) {
    std::tm tm{};
    std::istringstream in(std::string(timestamp.as_string()));
    int ms = 0;
    char dot = 0;
    in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S") >> dot >> ms;
    BOOST_TEST_REQUIRE((!in.fail() && dot == '.'), "not a timestamp: " << dump(timestamp));
    return std::int64_t(timegm(&tm)) * 1000 + ms;
}

inline bool group_gone(pid_t pgid) {
    return ::kill(-pgid, 0) == -1 && errno == ESRCH;
}

inline HttpResponse task_action(HttpClient& c, const std::string& id, std::string_view task,
                                std::string_view name, std::string body = "") {
    auto target =
        job_url(id) + "/team/tasks/" + std::string(task) + "/actions/" + std::string(name);
    return body.empty() ? c.request("POST", target) : post_text(c, target, std::move(body));
}

inline std::string comment_body(std::string_view comment) {
    return dump(json::object{{"comment", comment}});
}

inline bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

} // namespace omx::test
