// JSON codec and RFC 3339 clock: shapes of schemas.md, exact record round trips, named parse
// errors.
#include "runtime/clock.hpp"
#include "team/core/events.hpp"
#include "team/core/json_codec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace omx::team;

namespace {

constexpr TimeMs t2026 = 1795269302123; // 2026-11-21T13:55:02.123Z

std::vector<std::string> keys_of(const json::object& o) {
    std::vector<std::string> keys;
    for (const auto& kv : o)
        keys.emplace_back(kv.key());
    return keys;
}

void check_keys(const json::object& o, const std::vector<std::string>& expected) {
    auto keys = keys_of(o);
    BOOST_TEST(keys == expected, boost::test_tools::per_element());
}

// Through text, as record.json is written and read back.
json::object reparse(const json::object& o) {
    return json::parse(json::serialize(o)).as_object();
}

// The message of the std::runtime_error that decode(o) throws ("" when none).
template <class F> std::string error_of(F decode, const json::object& o) {
    try {
        decode(o);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

// parse_rfc3339 with -1 for nullopt, so that BOOST_TEST can print it.
std::int64_t parsed(std::string_view text) {
    return omx::parse_rfc3339(text).value_or(-1);
}

Task full_task() {
    Task t;
    t.id = "team-developer";
    t.name = "Implement the change";
    t.role = Role::developer;
    t.dependencies = {"team-research", "team-designer"};
    t.maxAttempts = 2;
    t.timeoutSeconds = 3600;
    t.requiresApproval = true;
    t.status = TaskStatus::running;
    t.attempt = 3;
    t.failures = 1;
    t.reclaims = 2;
    t.notBefore = t2026 + 5000;
    t.approval = TaskApproval{"after", "check the diff", t2026 + 1, 2};
    t.startedAt = t2026 + 10;
    t.finishedAt = t2026 + 20;
    t.durationMs = 10;
    t.workerId = "worker-1";
    t.claimToken = "claim-abc";
    t.claimExpiresAt = t2026 + 30000;
    t.lastHeartbeatAt = t2026 + 15;
    t.pid = 4242;
    t.error = "exit code 2";
    t.errorClass = "exit";
    t.output = json::parse(R"({"status":"error","exitCode":2,"signal":null,"summary":"s",
        "structured":{"k":[1,2]},"usage":{"inputTokens":10,"cachedInputTokens":4,
        "outputTokens":5,"totalTokens":15,"costUsd":0.0125},"durationMs":10,
        "logPath":"logs/team-developer.3.log","stderrTail":"boom","threadId":"th-1"})");
    return t;
}

Message full_message() {
    Message m;
    m.id = "msg-1";
    m.kind = "instruction";
    m.from = "leader";
    m.to = json::array{"developer", "verifier"};
    m.taskId = "team-developer";
    m.message = "Use the new API";
    m.payload = json::object{{"files", json::array{"a.cpp"}}};
    m.meta = json::object{{"source", "test"}};
    m.createdAt = t2026;
    m.delivered = true;
    m.deliveredAt = t2026 + 100;
    m.deliveredTo = {"team-developer"};
    return m;
}

JobOptions full_options() {
    JobOptions o;
    o.workers = 3;
    o.maxMinutes = 120;
    o.requireApproval = true;
    o.keepTmuxSession = false;
    o.agentCommands = {{Role::verifier, "run-verifier {prompt}"}, {Role::planner, "plan {prompt}"}};
    o.maxTokens = 500000;
    o.team.maxFixAttempts = 4;
    o.team.parallelTasks = 2;
    o.team.tmuxVisualization = true;
    TaskTemplate a{"a", "First step", Role::planner, {}, 1, 900, false};
    TaskTemplate b{"b", "Second step", Role::executor, {"a"}, 3, 60, true};
    o.team.teamTasks = std::vector<TaskTemplate>{a, b};
    o.team.extras = json::object{{"ticket", "OMX-1"}, {"nested", json::object{{"x", 1}}}};
    return o;
}

Job full_job() {
    Job j;
    j.id = "job-1";
    j.request.provider = Provider::claude;
    j.request.mode = Mode::pipeline;
    j.request.repo = "owner/name";
    j.request.ref = "main";
    j.request.task = "Fix the bug";
    j.request.options = full_options();
    j.status = JobStatus::waiting_approval;
    j.approvalState = ApprovalState::required;
    j.jobGatePending = true;
    j.jobGateApproved = true;
    j.jobGateSince = t2026 + 5;
    j.lastDecision = ApprovalState::rejected;
    j.runStarted = true;
    j.output = json::parse(R"({"phase":"complete","fixAttempts":1,"tasks":[],
        "usage":{"inputTokens":1,"cachedInputTokens":0,"outputTokens":2,"totalTokens":3,"costUsd":null}})");
    j.error = "Rejected by approver";
    j.createdAt = t2026;
    j.updatedAt = t2026 + 999;
    j.startedAt = t2026 + 1;
    j.finishedAt = t2026 + 998;
    j.team.phase = Phase::team_fix;
    j.team.phaseHistory = {{Phase::team_plan, t2026, "created"},
                           {Phase::team_exec, t2026 + 5, "tasks_started"},
                           {Phase::team_fix, t2026 + 50, "fix_attempt"}};
    j.team.fixAttempts = 1;
    j.team.plan = json::parse(R"({"summary":"do it","fromTaskId":"a","taskIds":["b"]})");
    Task plain;
    plain.id = "team-verifier";
    plain.name = "Verify";
    plain.role = Role::verifier;
    j.team.tasks = {full_task(), plain};
    Message bare;
    bare.id = "msg-2";
    bare.kind = "question";
    bare.from = "team-developer";
    bare.message = "Which branch?";
    bare.createdAt = t2026 + 7;
    j.team.mailbox = {full_message(), bare};
    j.lastSeq = 77;
    j.idempotencyKey = "key-1";
    j.requestHash = "sha256:abc";
    return j;
}

void check_record_round_trip(const Job& job) {
    auto record = job_to_record_json(job);
    auto text = json::serialize(record);
    BOOST_TEST(json::serialize(job_to_record_json(job_from_record_json(record))) == text);
    BOOST_TEST(json::serialize(job_to_record_json(job_from_record_json(reparse(record)))) == text);
}

const std::vector<std::string> task_keys = {"id",
                                            "name",
                                            "role",
                                            "dependencies",
                                            "maxAttempts",
                                            "timeoutSeconds",
                                            "requiresApproval",
                                            "status",
                                            "attempt",
                                            "failures",
                                            "notBefore",
                                            "approval",
                                            "startedAt",
                                            "finishedAt",
                                            "durationMs",
                                            "workerId",
                                            "claimToken",
                                            "claimExpiresAt",
                                            "lastHeartbeatAt",
                                            "pid",
                                            "error",
                                            "errorClass",
                                            "output"};

} // namespace

BOOST_AUTO_TEST_SUITE(clock_rfc3339)

BOOST_AUTO_TEST_CASE(formats_utc_with_millis) {
    BOOST_TEST(omx::format_rfc3339(0) == "1970-01-01T00:00:00.000Z");
    BOOST_TEST(omx::format_rfc3339(1234) == "1970-01-01T00:00:01.234Z");
    BOOST_TEST(omx::format_rfc3339(t2026) == "2026-11-21T13:55:02.123Z");
    BOOST_TEST(omx::format_rfc3339(1709251199999) == "2024-02-29T23:59:59.999Z");
    BOOST_TEST(omx::format_rfc3339(951868800000) == "2000-03-01T00:00:00.000Z");
    BOOST_TEST(omx::format_rfc3339(-1) == "1969-12-31T23:59:59.999Z");
}

BOOST_AUTO_TEST_CASE(parses_with_and_without_millis) {
    BOOST_TEST(parsed("1970-01-01T00:00:00.000Z") == 0);
    BOOST_TEST(parsed("1970-01-01T00:00:00Z") == 0);
    BOOST_TEST(parsed("1970-01-01T00:00:01.234Z") == 1234);
    BOOST_TEST(parsed("2026-11-21T13:55:02.123Z") == t2026);
    BOOST_TEST(parsed("2026-11-21T13:55:02Z") == t2026 - 123);
    BOOST_TEST(parsed("2024-02-29T23:59:59.999Z") == 1709251199999);
    BOOST_TEST(parsed("2000-03-01T00:00:00Z") == 951868800000);
}

BOOST_AUTO_TEST_CASE(rejects_other_forms) {
    for (const char* bad : {"",
                            "2026-11-21",
                            "2026-11-21T13:55:02",
                            "2026-11-21T13:55:02.123",
                            "2026-11-21t13:55:02Z",
                            "2026-11-21 13:55:02Z",
                            "2026-11-21T13:55:02z",
                            "2026-11-21T13:55:02.12Z",
                            "2026-11-21T13:55:02.1234Z",
                            "2026-11-21T13:55:02.123+00:00",
                            "2026-11-21T13:55:02+01:00",
                            "2026-11-21T13:55:02.123Zx",
                            " 2026-11-21T13:55:02Z",
                            "2023-02-29T00:00:00Z",
                            "2026-02-30T00:00:00Z",
                            "2026-13-01T00:00:00Z",
                            "2026-00-10T00:00:00Z",
                            "2026-11-21T24:00:00Z",
                            "2026-11-21T13:60:00Z",
                            "2026-11-21T13:55:60Z",
                            "2026-1-21T13:55:02Z",
                            "2026-11-21T1a:55:02Z",
                            "+2026-11-21T13:55:02Z"})
        BOOST_TEST(!omx::parse_rfc3339(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(now_round_trips) {
    auto now = omx::now_ms();
    BOOST_TEST(now > t2026 - 400LL * 86'400'000); // a sane clock: after 2025
    BOOST_TEST(parsed(omx::format_rfc3339(now)) == now);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_codec)

BOOST_AUTO_TEST_CASE(full_job_record_round_trip_is_exact) {
    auto job = full_job();
    check_record_round_trip(job);
    auto back = job_from_record_json(reparse(job_to_record_json(job)));
    BOOST_TEST(back.team.tasks.at(0).reclaims == 2);
    BOOST_TEST(back.team.tasks.at(0).approval->requests == 2);
    BOOST_TEST(back.team.tasks.at(0).output == job.team.tasks.at(0).output);
    BOOST_TEST(back.request.options.agentCommands.at(Role::planner) == "plan {prompt}");
    BOOST_TEST(back.request.options.team.teamTasks->at(1).dependencies.at(0) == "a");
    BOOST_TEST(back.team.mailbox.at(0).to == job.team.mailbox.at(0).to);
    BOOST_TEST(back.lastSeq == 77u);
    BOOST_TEST(*back.idempotencyKey == "key-1");
    BOOST_TEST(back.jobGatePending);
    BOOST_TEST(back.jobGateApproved);
    BOOST_TEST(*back.jobGateSince == job.jobGateSince.value());
    BOOST_TEST((back.lastDecision == ApprovalState::rejected));
    BOOST_TEST(back.runStarted);
}

BOOST_AUTO_TEST_CASE(minimal_job_record_round_trip_is_exact) {
    Job job;
    job.id = "job-min";
    job.request.repo = "owner/name";
    job.request.ref = "main";
    job.request.task = "Do it";
    job.createdAt = job.updatedAt = 0;
    check_record_round_trip(job);
    auto record = job_to_record_json(job);
    BOOST_TEST(record.at("output").is_null());
    BOOST_TEST(record.at("error").is_null());
    BOOST_TEST(record.at("startedAt").is_null());
    BOOST_TEST(record.at("idempotencyKey").is_null());
    BOOST_TEST(record.at("team").at("plan").is_null());
    BOOST_TEST(record.at("createdAt").as_string() == "1970-01-01T00:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(record_shape) {
    auto record = job_to_record_json(full_job());
    check_keys(record, {"id",
                        "provider",
                        "mode",
                        "repo",
                        "ref",
                        "task",
                        "options",
                        "status",
                        "approvalState",
                        "output",
                        "error",
                        "createdAt",
                        "updatedAt",
                        "startedAt",
                        "finishedAt",
                        "jobGatePending",
                        "jobGateApproved",
                        "jobGateSince",
                        "lastDecision",
                        "runStarted",
                        "activeMs",
                        "activeSince",
                        "tokenBaseline",
                        "lastSeq",
                        "idempotencyKey",
                        "requestHash",
                        "team"});
    check_keys(record.at("team").as_object(),
               {"phase", "phaseHistory", "fixAttempts", "plan", "tasks", "mailbox", "fixResetIds"});
    BOOST_TEST(record.at("status").as_string() == "waiting_approval");
    BOOST_TEST(record.at("team").at("phase").as_string() == "team-fix");
    auto record_task = record.at("team").at("tasks").at(0).as_object();
    BOOST_TEST(record_task.at("reclaims").as_int64() == 2);
}

BOOST_AUTO_TEST_CASE(task_shape_has_every_key_in_order) {
    auto full = to_json(full_task());
    check_keys(full, task_keys);
    BOOST_TEST(full.at("role").as_string() == "developer");
    BOOST_TEST(full.at("status").as_string() == "running");
    BOOST_TEST(full.at("notBefore").as_string() == "2026-11-21T13:55:07.123Z");
    BOOST_TEST(full.at("startedAt").as_string() == "2026-11-21T13:55:02.133Z");
    BOOST_TEST(full.at("pid").as_int64() == 4242);
    check_keys(full.at("approval").as_object(), {"stage", "reason", "requestedAt", "requests"});
    BOOST_TEST(full.at("approval").at("requestedAt").as_string() == "2026-11-21T13:55:02.124Z");

    Task bare;
    bare.id = "x";
    auto empty = to_json(bare);
    check_keys(empty, task_keys);
    for (const char* key : {"notBefore", "approval", "startedAt", "finishedAt", "durationMs",
                            "workerId", "claimToken", "claimExpiresAt", "lastHeartbeatAt", "pid",
                            "error", "errorClass", "output"})
        BOOST_TEST(empty.at(key).is_null(), key);
    BOOST_TEST(empty.at("dependencies").as_array().empty());
}

BOOST_AUTO_TEST_CASE(task_record_form_adds_the_engine_counters) {
    auto task = full_task();
    task.afterRequests = 1;
    task.feedback = json::object{{"error", "boom"}, {"findings", nullptr}, {"approved", false}, {"comment", nullptr}};
    task.usageTotal.totalTokens = 12;
    auto record = task_to_record_json(task);
    auto expected = task_keys;
    for (const char* key : {"reclaims", "rateLimits", "afterRequests", "beforeApproved", "feedback", "usageTotal"})
        expected.push_back(key);
    check_keys(record, expected);
    BOOST_TEST(task_from_json(record).reclaims == 2);
    BOOST_TEST(task_from_json(record).afterRequests == 1);
    BOOST_TEST(task_from_json(record).usageTotal.totalTokens == 12);
    BOOST_TEST(task_from_json(to_json(task)).reclaims == 0); // the public form
    BOOST_TEST(json::serialize(task_to_record_json(task_from_json(reparse(record)))) ==
               json::serialize(record));
}

BOOST_AUTO_TEST_CASE(message_shape) {
    auto full = to_json(full_message());
    check_keys(full, {"id", "kind", "from", "to", "taskId", "message", "payload", "meta",
                      "createdAt", "delivered", "deliveredAt", "deliveredTo"});
    BOOST_TEST(full.at("deliveredAt").as_string() == "2026-11-21T13:55:02.223Z");
    Message bare;
    bare.id = "m";
    auto empty = to_json(bare);
    for (const char* key : {"to", "taskId", "payload", "meta", "deliveredAt"})
        BOOST_TEST(empty.at(key).is_null(), key);
    BOOST_TEST(empty.at("delivered").as_bool() == false);
    BOOST_TEST(empty.at("deliveredTo").as_array().empty());
    BOOST_TEST(json::serialize(to_json(message_from_json(reparse(full)))) == json::serialize(full));
    BOOST_TEST(message_from_json(json::object{{"id", "m"},
                                              {"kind", "notice"},
                                              {"from", "leader"},
                                              {"to", "verifier"},
                                              {"message", "hi"},
                                              {"createdAt", "2026-11-21T13:55:02Z"},
                                              {"delivered", false},
                                              {"deliveredTo", json::array{}}})
                   .to == json::value("verifier"));
}

BOOST_AUTO_TEST_CASE(options_shape) {
    auto full = to_json(full_options());
    check_keys(full, {"workers", "maxMinutes", "requireApproval", "keepTmuxSession",
                      "agentCommands", "maxTokens", "team"});
    check_keys(full.at("team").as_object(),
               {"maxFixAttempts", "parallelTasks", "tmuxVisualization", "teamTasks", "extras"});
    check_keys(full.at("agentCommands").as_object(), {"planner", "verifier"});
    check_keys(full.at("team").at("teamTasks").at(0).as_object(),
               {"id", "name", "role", "dependencies", "maxAttempts", "timeoutSeconds",
                "requiresApproval"});
    BOOST_TEST(full.at("maxTokens").as_int64() == 500000);

    auto defaults = to_json(JobOptions{});
    BOOST_TEST(defaults.at("agentCommands").as_object().empty());
    BOOST_TEST(defaults.at("maxTokens").is_null());
    BOOST_TEST(defaults.at("team").at("teamTasks").is_null());
    BOOST_TEST(defaults.at("team").at("extras").as_object().empty());
    BOOST_TEST(json::serialize(to_json(options_from_json(reparse(full)))) == json::serialize(full));
    BOOST_TEST(json::serialize(to_json(options_from_json(defaults))) == json::serialize(defaults));
}

BOOST_AUTO_TEST_CASE(usage_and_metrics_shape) {
    auto usage = to_json(Usage{10, 4, 5, 15, std::nullopt});
    check_keys(usage,
               {"inputTokens", "cachedInputTokens", "outputTokens", "totalTokens", "costUsd"});
    BOOST_TEST(usage.at("costUsd").is_null());
    BOOST_TEST(usage_from_json(json::value(nullptr)).totalTokens == 0);
    auto partial = usage_from_json(json::parse(R"({"inputTokens":7,"costUsd":0.5})"));
    BOOST_TEST(partial.inputTokens == 7);
    BOOST_TEST(partial.outputTokens == 0);
    BOOST_TEST(*partial.costUsd == 0.5);
    BOOST_TEST(!usage_from_json(json::object{}).costUsd.has_value());

    Metrics m;
    m.total = 6;
    m.usage.costUsd = 1.25;
    auto metrics = to_json(m);
    check_keys(metrics,
               {"total", "queued", "running", "blocked", "succeeded", "failed", "canceled",
                "waitingApproval", "terminal", "activeWorkers", "inputTokens", "cachedInputTokens",
                "outputTokens", "totalTokens", "costUsd", "averageDurationMs", "maxDurationMs"});
    BOOST_TEST(metrics.at("costUsd").as_double() == 1.25);
}

BOOST_AUTO_TEST_CASE(phase_entry_shape) {
    auto entry = phase_entry_to_json({Phase::team_verify, t2026, "verification_required"});
    check_keys(entry, {"phase", "enteredAt", "reason"});
    BOOST_TEST(entry.at("phase").as_string() == "team-verify");
    BOOST_TEST(phase_entry_from_json(entry).enteredAt == t2026);
}

BOOST_AUTO_TEST_CASE(parse_errors_name_the_field) {
    const json::value record = job_to_record_json(full_job());
    // The error of decoding the record with the value at a JSON pointer replaced.
    auto error_with = [&](const char* pointer, json::value replacement) {
        auto copy = record;
        copy.at_pointer(pointer) = std::move(replacement);
        return error_of(job_from_record_json, copy.as_object());
    };
    // The error of decoding the record with `key` erased from the object at `pointer`.
    auto error_without = [&](const char* pointer, const char* key) {
        auto copy = record;
        copy.at_pointer(pointer).as_object().erase(key);
        return error_of(job_from_record_json, copy.as_object());
    };

    BOOST_TEST(error_of(job_from_record_json, record.as_object()).empty());
    BOOST_TEST(error_without("", "lastSeq") == "field 'lastSeq': missing");
    BOOST_TEST(error_without("", "options") == "field 'options': missing");
    BOOST_TEST(error_without("/team/tasks/0", "name") == "field 'team.tasks[0].name': missing");
    BOOST_TEST(error_with("/createdAt", "yesterday") ==
               "field 'createdAt': expected an RFC 3339 UTC timestamp, got 'yesterday'");
    BOOST_TEST(error_with("/status", "paused") == "field 'status': unknown value 'paused'");
    BOOST_TEST(error_with("/runStarted", 1) ==
               "field 'runStarted': expected a boolean, got an integer");
    BOOST_TEST(error_with("/lastSeq", -1) == "field 'lastSeq': integer out of range");
    BOOST_TEST(error_with("/team", "none") == "field 'team': expected an object, got a string");
    BOOST_TEST(error_with("/team/tasks/1/status", 3) ==
               "field 'team.tasks[1].status': expected a string, got an integer");
    BOOST_TEST(error_with("/team/tasks/0/dependencies/1", nullptr) ==
               "field 'team.tasks[0].dependencies[1]': expected a string, got null");
    BOOST_TEST(error_with("/team/tasks/0/approval/stage", "during") ==
               "field 'team.tasks[0].approval.stage': unknown value 'during'");
    BOOST_TEST(error_with("/team/tasks/0/startedAt", "2026-11-21T13:55:02.123+01:00") ==
               "field 'team.tasks[0].startedAt': expected an RFC 3339 UTC timestamp, got "
               "'2026-11-21T13:55:02.123+01:00'");
    BOOST_TEST(error_with("/team/mailbox/0/to", 5) ==
               "field 'team.mailbox[0].to': expected null, a string or an array of strings, got "
               "an integer");
    BOOST_TEST(error_with("/team/plan", json::array{}) ==
               "field 'team.plan': expected an object or null, got an array");
    BOOST_TEST(error_with("/team/phaseHistory/2/phase", "team-nap") ==
               "field 'team.phaseHistory[2].phase': unknown value 'team-nap'");
    BOOST_TEST(error_with("/options/agentCommands/planner", 1) ==
               "field 'options.agentCommands.planner': expected a string, got an integer");
    BOOST_TEST(error_with("/options/team/teamTasks/1/role", "chef") ==
               "field 'options.team.teamTasks[1].role': unknown value 'chef'");
    BOOST_TEST(error_with("/options/team/extras", nullptr) ==
               "field 'options.team.extras': expected an object, got null");

    auto unknown_role = record;
    unknown_role.at_pointer("/options/agentCommands").as_object()["boss"] = "x";
    BOOST_TEST(error_of(job_from_record_json, unknown_role.as_object()) ==
               "field 'options.agentCommands.boss': not a role");
}

BOOST_AUTO_TEST_CASE(other_parsers_name_the_field) {
    auto usage_error = [](const json::object& o) { return usage_from_json(o); };
    BOOST_TEST(error_of(usage_error, json::object{{"inputTokens", "many"}}) ==
               "field 'inputTokens': expected an integer, got a string");
    BOOST_TEST(error_of(message_from_json, json::object{{"id", "m"}}) == "field 'kind': missing");
    BOOST_TEST(error_of(phase_entry_from_json, json::object{{"phase", "team-exec"}}) ==
               "field 'enteredAt': missing");
    BOOST_TEST(error_of(task_template_from_json, json::object{{"id", 7}}) ==
               "field 'id': expected a string, got an integer");
    BOOST_CHECK_THROW(usage_from_json(json::value("x")), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(event_lines)

// to_json_line writes the envelope itself: the same text as serializing the envelope object.
BOOST_AUTO_TEST_CASE(a_line_is_the_serialized_envelope_and_a_newline) {
    Event e;
    e.seq = 18446744073709551615ULL;
    e.id = "6f1c0c8e-0d8a-4d2e-9a65-3f3b7c1d2e4f";
    e.jobId = "job \"quoted\" \\ back\\slash";
    e.type = "team.task.output";
    e.message = "tab\there, newline\nthere, control \x01, non-ASCII \xc3\xa9\xe2\x82\xac, emoji \xf0\x9f\x98\x80";
    e.payload = json::parse(R"({"taskId":"planner","nested":{"list":[1,2.5,-3,true,null,"x\u0000y"],"empty":{}},
                               "big":")" + std::string(5000, 'z') + R"("})").as_object();
    e.createdAt = 1764547200123;
    BOOST_TEST(to_json_line(e) == json::serialize(to_json(e)) + "\n");

    Event minimal;
    minimal.seq = 1;
    BOOST_TEST(to_json_line(minimal) == json::serialize(to_json(minimal)) + "\n");
    BOOST_TEST(event_from_json(json::parse(to_json_line(e)).as_object()).payload == e.payload);
}

BOOST_AUTO_TEST_SUITE_END()
