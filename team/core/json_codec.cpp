// Encoders and strict decoders of the domain types (schemas.md; storage.md's record.json).
#include "team/core/json_codec.hpp"

#include "team/core/enums.hpp"
#include "team/core/json_fields.hpp"

namespace omx::team {

using namespace json_fields;

namespace {

struct ToJson {
    template <class T> json::value operator()(const T& x) const { return to_json(x); }
};

// ---- options ----------------------------------------------------------------

json::object agent_commands_json(const std::map<Role, std::string>& commands) {
    json::object o;
    for (const auto& [role, command] : commands)
        o[to_string(role)] = command;
    return o;
}

std::map<Role, std::string> agent_commands_from_json(const json::object& o) {
    std::map<Role, std::string> commands;
    for (const auto& kv : o) {
        auto role = parse_role(kv.key());
        if (!role) fail(kv.key(), "not a role");
        commands[*role] = as<std::string>(kv.value(), kv.key());
    }
    return commands;
}

json::object team_options_json(const TeamOptions& t) {
    json::object o;
    o["maxFixAttempts"] = t.maxFixAttempts;
    o["parallelTasks"] = t.parallelTasks;
    o["tmuxVisualization"] = t.tmuxVisualization;
    o["teamTasks"] = nullable(t.teamTasks, [](const auto& v) { return array_of(v, ToJson{}); });
    o["extras"] = t.extras;
    return o;
}

TeamOptions team_options_from_json(const json::object& o) {
    TeamOptions t;
    t.maxFixAttempts = get_field<int>(o, "maxFixAttempts");
    t.parallelTasks = get_field<int>(o, "parallelTasks");
    t.tmuxVisualization = get_field<bool>(o, "tmuxVisualization");
    t.teamTasks = optional_field(o, "teamTasks", as_vector_of(as_decoded(task_template_from_json)));
    t.extras = get_field<json::object>(o, "extras");
    return t;
}

// ---- task parts ---------------------------------------------------------------

std::string as_stage(const json::value& v, std::string_view path) {
    auto stage = as<std::string>(v, path);
    if (stage != "before" && stage != "after") fail(path, "unknown value '" + stage + "'");
    return stage;
}

json::object approval_json(const TaskApproval& a) {
    json::object o;
    o["stage"] = a.stage;
    o["reason"] = a.reason;
    o["requestedAt"] = time_json(a.requestedAt);
    o["requests"] = a.requests;
    return o;
}

TaskApproval approval_from_json(const json::object& o) {
    TaskApproval a;
    a.stage = field(o, "stage", as_stage);
    a.reason = get_field<std::string>(o, "reason");
    a.requestedAt = field(o, "requestedAt", as_time);
    a.requests = get_field<int>(o, "requests");
    return a;
}

// ---- messages -------------------------------------------------------------------

// null, a string or an array of strings.
json::value as_recipients(const json::value& v, std::string_view path) {
    if (v.is_null() || v.is_string()) return v;
    if (!v.is_array()) wrong_type(path, "null, a string or an array of strings", v);
    as_vector_of(as<std::string>)(v, path);
    return v;
}

// ---- team state (record form) -----------------------------------------------------

json::object team_to_record_json(const TeamState& s) {
    json::object o;
    o["phase"] = to_string(s.phase);
    o["phaseHistory"] = array_of(s.phaseHistory, phase_entry_to_json);
    o["fixAttempts"] = s.fixAttempts;
    o["plan"] = s.plan;
    o["tasks"] = array_of(s.tasks, task_to_record_json);
    o["mailbox"] = array_of(s.mailbox, ToJson{});
    o["fixResetIds"] = json::value_from(s.fixResetIds);
    return o;
}

TeamState team_from_record_json(const json::object& o) {
    TeamState s;
    s.phase = field(o, "phase", as_enum(parse_phase));
    s.phaseHistory = field(o, "phaseHistory", as_vector_of(as_decoded(phase_entry_from_json)));
    s.fixAttempts = get_field<int>(o, "fixAttempts");
    s.plan = get_object_or_null(o, "plan");
    s.tasks = field(o, "tasks", as_vector_of(as_decoded(task_from_json)));
    s.mailbox = field(o, "mailbox", as_vector_of(as_decoded(message_from_json)));
    if (auto* ids = o.if_contains("fixResetIds"); ids && ids->is_array())
        for (auto& id : ids->get_array())
            if (id.is_string()) s.fixResetIds.emplace_back(id.get_string());
    return s;
}

} // namespace

// ---- task templates and options -------------------------------------------------------

json::object to_json(const TaskTemplate& t) {
    json::object o;
    o["id"] = t.id;
    o["name"] = t.name;
    o["role"] = to_string(t.role);
    o["dependencies"] = json::value_from(t.dependencies);
    o["maxAttempts"] = t.maxAttempts;
    o["timeoutSeconds"] = t.timeoutSeconds;
    o["requiresApproval"] = t.requiresApproval;
    return o;
}

TaskTemplate task_template_from_json(const json::object& o) {
    TaskTemplate t;
    t.id = get_field<std::string>(o, "id");
    t.name = get_field<std::string>(o, "name");
    t.role = field(o, "role", as_enum(parse_role));
    t.dependencies = field(o, "dependencies", as_vector_of(as<std::string>));
    t.maxAttempts = get_field<int>(o, "maxAttempts");
    t.timeoutSeconds = get_field<int>(o, "timeoutSeconds");
    t.requiresApproval = get_field<bool>(o, "requiresApproval");
    return t;
}

json::object to_json(const JobOptions& opt) {
    json::object o;
    o["workers"] = opt.workers;
    o["maxMinutes"] = opt.maxMinutes;
    o["requireApproval"] = opt.requireApproval;
    o["keepTmuxSession"] = opt.keepTmuxSession;
    o["agentCommands"] = agent_commands_json(opt.agentCommands);
    o["maxTokens"] = nullable(opt.maxTokens);
    o["team"] = team_options_json(opt.team);
    return o;
}

JobOptions options_from_json(const json::object& o) {
    JobOptions opt;
    opt.workers = get_field<int>(o, "workers");
    opt.maxMinutes = get_field<int>(o, "maxMinutes");
    opt.requireApproval = get_field<bool>(o, "requireApproval");
    opt.keepTmuxSession = get_field<bool>(o, "keepTmuxSession");
    opt.agentCommands = field(o, "agentCommands", as_decoded(agent_commands_from_json));
    opt.maxTokens = get_optional<std::int64_t>(o, "maxTokens");
    opt.team = field(o, "team", as_decoded(team_options_from_json));
    return opt;
}

json::object to_json(const JobRequest& r) {
    json::object o;
    o["provider"] = to_string(r.provider);
    o["mode"] = to_string(r.mode);
    o["repo"] = r.repo;
    o["ref"] = r.ref;
    o["task"] = r.task;
    o["options"] = to_json(r.options);
    return o;
}

JobRequest job_request_from_json(const json::object& o) {
    JobRequest r;
    r.provider = field(o, "provider", as_enum(parse_provider));
    r.mode = field(o, "mode", as_enum(parse_mode));
    r.repo = get_field<std::string>(o, "repo");
    r.ref = get_field<std::string>(o, "ref");
    r.task = get_field<std::string>(o, "task");
    r.options = field(o, "options", as_decoded(options_from_json));
    return r;
}

// ---- usage, metrics -----------------------------------------------------------------

json::object to_json(const Usage& u) {
    json::object o;
    o["inputTokens"] = u.inputTokens;
    o["cachedInputTokens"] = u.cachedInputTokens;
    o["outputTokens"] = u.outputTokens;
    o["totalTokens"] = u.totalTokens;
    o["costUsd"] = nullable(u.costUsd);
    return o;
}

Usage usage_from_json(const json::value& v) {
    if (v.is_null()) return {};
    if (!v.is_object()) wrong_type("", "a usage object or null", v);
    const auto& o = v.get_object();
    Usage u;
    u.inputTokens = get_optional<std::int64_t>(o, "inputTokens").value_or(0);
    u.cachedInputTokens = get_optional<std::int64_t>(o, "cachedInputTokens").value_or(0);
    u.outputTokens = get_optional<std::int64_t>(o, "outputTokens").value_or(0);
    u.totalTokens = get_optional<std::int64_t>(o, "totalTokens").value_or(0);
    u.costUsd = get_optional<double>(o, "costUsd");
    return u;
}

json::object to_json(const Metrics& m) {
    json::object o;
    o["total"] = m.total;
    o["queued"] = m.queued;
    o["running"] = m.running;
    o["blocked"] = m.blocked;
    o["succeeded"] = m.succeeded;
    o["failed"] = m.failed;
    o["canceled"] = m.canceled;
    o["waitingApproval"] = m.waitingApproval;
    o["terminal"] = m.terminal;
    o["activeWorkers"] = m.activeWorkers;
    append(o, to_json(m.usage));
    o["averageDurationMs"] = m.averageDurationMs;
    o["maxDurationMs"] = m.maxDurationMs;
    return o;
}

// ---- tasks ----------------------------------------------------------------------------

json::object to_json(const Task& t) {
    json::object o = to_json(static_cast<const TaskTemplate&>(t));
    o["status"] = to_string(t.status);
    o["attempt"] = t.attempt;
    o["failures"] = t.failures;
    o["notBefore"] = nullable(t.notBefore, time_json);
    o["approval"] = nullable(t.approval, approval_json);
    o["startedAt"] = nullable(t.startedAt, time_json);
    o["finishedAt"] = nullable(t.finishedAt, time_json);
    o["durationMs"] = nullable(t.durationMs);
    o["workerId"] = nullable(t.workerId);
    o["claimToken"] = nullable(t.claimToken);
    o["claimExpiresAt"] = nullable(t.claimExpiresAt, time_json);
    o["lastHeartbeatAt"] = nullable(t.lastHeartbeatAt, time_json);
    o["pid"] = nullable(t.pid);
    o["error"] = nullable(t.error);
    o["errorClass"] = nullable(t.errorClass);
    o["output"] = t.output;
    return o;
}

json::object task_to_record_json(const Task& t) {
    json::object o = to_json(t);
    o["reclaims"] = t.reclaims;
    o["rateLimits"] = t.rateLimits;
    o["afterRequests"] = t.afterRequests;
    o["beforeApproved"] = t.beforeApproved;
    o["feedback"] = t.feedback;
    o["usageTotal"] = to_json(t.usageTotal);
    return o;
}

Task task_from_json(const json::object& o) {
    Task t;
    static_cast<TaskTemplate&>(t) = task_template_from_json(o);
    t.status = field(o, "status", as_enum(parse_task_status));
    t.attempt = get_field<int>(o, "attempt");
    t.failures = get_field<int>(o, "failures");
    t.reclaims = get_optional<int>(o, "reclaims").value_or(0);
    t.rateLimits = get_optional<int>(o, "rateLimits").value_or(0);
    t.afterRequests = get_optional<int>(o, "afterRequests").value_or(0);
    t.beforeApproved = get_optional<bool>(o, "beforeApproved").value_or(false);
    if (auto* f = o.if_contains("feedback"); f && f->is_object()) t.feedback = *f;
    if (auto* u = o.if_contains("usageTotal"); u && u->is_object()) t.usageTotal = usage_from_json(*u);
    t.notBefore = optional_field(o, "notBefore", as_time);
    t.approval = optional_field(o, "approval", as_decoded(approval_from_json));
    t.startedAt = optional_field(o, "startedAt", as_time);
    t.finishedAt = optional_field(o, "finishedAt", as_time);
    t.durationMs = get_optional<std::int64_t>(o, "durationMs");
    t.workerId = get_optional<std::string>(o, "workerId");
    t.claimToken = get_optional<std::string>(o, "claimToken");
    t.claimExpiresAt = optional_field(o, "claimExpiresAt", as_time);
    t.lastHeartbeatAt = optional_field(o, "lastHeartbeatAt", as_time);
    t.pid = get_optional<int>(o, "pid");
    t.error = get_optional<std::string>(o, "error");
    t.errorClass = get_optional<std::string>(o, "errorClass");
    t.output = get_object_or_null(o, "output");
    return t;
}

// ---- messages, phases -------------------------------------------------------------------

json::object to_json(const Message& m) {
    json::object o;
    o["id"] = m.id;
    o["kind"] = m.kind;
    o["from"] = m.from;
    o["to"] = m.to;
    o["taskId"] = nullable(m.taskId);
    o["message"] = m.message;
    o["payload"] = m.payload;
    o["meta"] = m.meta;
    o["createdAt"] = time_json(m.createdAt);
    o["delivered"] = m.delivered;
    o["deliveredAt"] = nullable(m.deliveredAt, time_json);
    o["deliveredTo"] = json::value_from(m.deliveredTo);
    return o;
}

Message message_from_json(const json::object& o) {
    Message m;
    m.id = get_field<std::string>(o, "id");
    m.kind = get_field<std::string>(o, "kind");
    m.from = get_field<std::string>(o, "from");
    m.to = optional_field(o, "to", as_recipients).value_or(nullptr);
    m.taskId = get_optional<std::string>(o, "taskId");
    m.message = get_field<std::string>(o, "message");
    m.payload = get_object_or_null(o, "payload");
    m.meta = get_object_or_null(o, "meta");
    m.createdAt = field(o, "createdAt", as_time);
    m.delivered = get_field<bool>(o, "delivered");
    m.deliveredAt = optional_field(o, "deliveredAt", as_time);
    m.deliveredTo = field(o, "deliveredTo", as_vector_of(as<std::string>));
    return m;
}

json::object phase_entry_to_json(const PhaseEntry& e) {
    json::object o;
    o["phase"] = to_string(e.phase);
    o["enteredAt"] = time_json(e.enteredAt);
    o["reason"] = e.reason;
    return o;
}

PhaseEntry phase_entry_from_json(const json::object& o) {
    PhaseEntry e;
    e.phase = field(o, "phase", as_enum(parse_phase));
    e.enteredAt = field(o, "enteredAt", as_time);
    e.reason = get_field<std::string>(o, "reason");
    return e;
}

// ---- the job record -----------------------------------------------------------------------

json::object job_to_record_json(const Job& j) {
    json::object o;
    o["id"] = j.id;
    append(o, to_json(j.request));
    o["status"] = to_string(j.status);
    o["approvalState"] = to_string(j.approvalState);
    o["output"] = j.output;
    o["error"] = nullable(j.error);
    o["createdAt"] = time_json(j.createdAt);
    o["updatedAt"] = time_json(j.updatedAt);
    o["startedAt"] = nullable(j.startedAt, time_json);
    o["finishedAt"] = nullable(j.finishedAt, time_json);
    o["jobGatePending"] = j.jobGatePending;
    o["jobGateApproved"] = j.jobGateApproved;
    o["jobGateSince"] = nullable(j.jobGateSince, time_json);
    o["lastDecision"] = to_string(j.lastDecision);
    o["runStarted"] = j.runStarted;
    o["activeMs"] = j.activeMs;
    o["activeSince"] = nullable(j.activeSince, time_json);
    o["tokenBaseline"] = j.tokenBaseline;
    o["lastSeq"] = j.lastSeq;
    o["idempotencyKey"] = nullable(j.idempotencyKey);
    o["requestHash"] = nullable(j.requestHash);
    o["team"] = team_to_record_json(j.team);
    return o;
}

Job job_from_record_json(const json::object& o) {
    Job j;
    j.id = get_field<std::string>(o, "id");
    j.request = job_request_from_json(o);
    j.status = field(o, "status", as_enum(parse_job_status));
    j.approvalState = field(o, "approvalState", as_enum(parse_approval_state));
    j.output = get_object_or_null(o, "output");
    j.error = get_optional<std::string>(o, "error");
    j.createdAt = field(o, "createdAt", as_time);
    j.updatedAt = field(o, "updatedAt", as_time);
    j.startedAt = optional_field(o, "startedAt", as_time);
    j.finishedAt = optional_field(o, "finishedAt", as_time);
    j.jobGatePending = get_field<bool>(o, "jobGatePending");
    j.jobGateApproved = get_field<bool>(o, "jobGateApproved");
    j.jobGateSince = optional_field(o, "jobGateSince", as_time);
    j.lastDecision = field(o, "lastDecision", as_enum(parse_approval_state));
    j.runStarted = get_field<bool>(o, "runStarted");
    j.activeMs = get_optional<std::int64_t>(o, "activeMs").value_or(0);
    j.activeSince = optional_field(o, "activeSince", as_time);
    j.tokenBaseline = get_optional<std::int64_t>(o, "tokenBaseline").value_or(0);
    j.lastSeq = get_field<std::uint64_t>(o, "lastSeq");
    j.idempotencyKey = get_optional<std::string>(o, "idempotencyKey");
    j.requestHash = get_optional<std::string>(o, "requestHash");
    j.team = field(o, "team", as_decoded(team_from_record_json));
    return j;
}

} // namespace omx::team
