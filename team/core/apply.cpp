// The state transitions of a job, one function per event type.
#include "team/core/apply.hpp"

#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/graph.hpp"
#include "team/core/json_codec.hpp"
#include "team/core/json_fields.hpp"
#include "team/core/templates.hpp"

#include "runtime/clock.hpp"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <unordered_map>

namespace omx::team {
namespace {

std::string str(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (!v || !v->is_string())
        throw std::runtime_error("event payload lacks string '" + std::string(key) + "'");
    return std::string(v->get_string());
}

std::optional<std::string> opt_str(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (!v || !v->is_string()) return std::nullopt;
    return std::string(v->get_string());
}

Task& task_of(Job& job, const json::object& payload) {
    auto id = str(payload, "taskId");
    Task* t = find_task(job.team, id);
    if (!t) throw std::runtime_error("event names unknown task '" + id + "'");
    return *t;
}

void clear_gates(Job& job) {
    job.jobGatePending = false;
    job.jobGateSince.reset();
    for (auto& t : job.team.tasks) t.approval.reset();
}

void create(Job& job, const Event& e) {
    if (!job.id.empty()) throw std::runtime_error("job " + job.id + " is created twice");
    auto& spec = e.payload.at("job").as_object();
    job.id = str(spec, "id");
    JobRequest& r = job.request;
    r.provider = parse_provider(str(spec, "provider")).value();
    r.mode = parse_mode(str(spec, "mode")).value();
    r.repo = str(spec, "repo");
    r.ref = str(spec, "ref");
    r.task = str(spec, "task");
    r.options = options_from_json(spec.at("options").as_object());
    std::vector<TaskTemplate> graph;
    for (auto& t : spec.at("tasks").as_array()) graph.push_back(task_template_from_json(t.as_object()));
    job.team.tasks = initial_tasks(graph);
    job.team.phase = natural_phase(job.team);
    job.team.phaseHistory = {{job.team.phase, e.createdAt, "created"}};
    job.createdAt = e.createdAt;
    job.idempotencyKey = opt_str(e.payload, "idempotencyKey");
    job.requestHash = opt_str(e.payload, "requestHash");
}

void requeue(Job& job, const Event& e) {
    auto reason = str(e.payload, "reason");
    if (reason == "created") return create(job, e);
    job.status = JobStatus::queued;
    job.runStarted = false;
    job.error.reset();
    job.output = nullptr;
    job.finishedAt.reset();
    // resumed or reopened: a new run with fresh budgets and fix rounds.
    std::vector<std::string> again;
    for (auto& t : job.team.tasks)
        if (t.status != TaskStatus::succeeded && t.status != TaskStatus::running) again.push_back(t.id);
    reset_tasks(job.team, again);
    job.team.fixAttempts = 0;
    job.team.fixResetIds.clear();
    job.activeMs = 0;
    job.activeSince.reset();
    job.tokenBaseline = compute_metrics(job.team).usage.totalTokens;
}

void finish(Job& job, const Event& e, JobStatus outcome) {
    job.status = outcome;
    job.finishedAt = e.createdAt;
    clear_gates(job);
    if (outcome == JobStatus::failed) job.error = str(e.payload, "error");
    job.output = outcome == JobStatus::succeeded ? e.payload.at("output") : json::value(job_output(job));
}

void approval_required(Job& job, const Event& e) {
    if (str(e.payload, "gate") == "job") {
        job.jobGatePending = true;
        job.jobGateSince = e.createdAt;
    }
    // Task gates are set by team.task.approval_required; this event announces them.
}

void task_approval_required(Job& job, const Event& e) {
    Task& t = task_of(job, e.payload);
    auto stage = str(e.payload, "stage");
    if (stage == "after") ++t.afterRequests;
    int requests = stage == "after" ? t.afterRequests : 1;
    t.approval = TaskApproval{stage, str(e.payload, "reason"), e.createdAt, requests};
}

void approval(Job& job, const Event& e) {
    bool approved = str(e.payload, "decision") == "approved";
    job.lastDecision = approved ? ApprovalState::approved : ApprovalState::rejected;
    if (str(e.payload, "gate") == "job") {
        job.jobGatePending = false;
        job.jobGateSince.reset();
        job.jobGateApproved = job.jobGateApproved || approved;
        return;
    }
    Task& t = task_of(job, e.payload);
    auto gate = str(e.payload, "gate");
    t.approval.reset();
    if (approved && gate == "before") t.beforeApproved = true;
    // The approver's word reaches the task's next prompt (api.md: "shown to the agent's next run").
    t.feedback = json::object{{"error", approved ? json::value(nullptr) : json::value("rejected by approver")},
                              {"findings", nullptr},
                              {"approved", approved},
                              {"comment", e.payload.at("comment")}};
    if (!approved) {
        t.status = TaskStatus::failed;
        t.error = "rejected by approver";
        t.errorClass = "rejected";
    }
}

void phase_changed(Job& job, const Event& e) {
    Phase to = parse_phase(str(e.payload, "to")).value();
    if (job.team.phase == Phase::team_fix && to != Phase::team_fix) job.team.fixResetIds.clear();
    job.team.phase = to;
    job.team.phaseHistory.push_back({to, e.createdAt, str(e.payload, "reason")});
}

void task_canceled(Job& job, const Event& e) {
    Task& t = task_of(job, e.payload);
    t.status = TaskStatus::canceled;
    t.approval.reset();
    t.error = str(e.payload, "reason");
    t.errorClass = "canceled";
}

void mailbox_received(Job& job, const Event& e) {
    job.team.mailbox.push_back(message_from_json(e.payload.at("message").as_object()));
}

void task_reassigned(Job& job, const Event& e) {
    std::vector<std::string> ids;
    for (auto& id : e.payload.at("resetTaskIds").as_array()) ids.emplace_back(id.as_string());
    reset_tasks(job.team, ids);
}

void started(Job& job, const Event& e) {
    job.runStarted = true;
    job.startedAt = e.createdAt;
}

void release_claim(Task& t) {
    t.workerId.reset();
    t.claimToken.reset();
    t.claimExpiresAt.reset();
    t.pid.reset();
}

void task_started(Job& job, const Event& e) {
    Task& t = task_of(job, e.payload);
    t.status = TaskStatus::running;
    t.attempt = static_cast<int>(e.payload.at("attempt").to_number<std::int64_t>());
    t.startedAt = e.createdAt;
    t.finishedAt.reset();
    t.durationMs.reset();
    t.notBefore.reset();
    t.workerId = str(e.payload, "workerId");
    t.claimToken = str(e.payload, "claimToken");
    t.lastHeartbeatAt = e.createdAt;
    t.claimExpiresAt = e.createdAt + lease_ms;
    auto& pid = e.payload.at("pid");
    if (pid.is_number()) t.pid = static_cast<int>(pid.to_number<std::int64_t>());
    else t.pid.reset();
}

// Whether a failed run counts against maxAttempts (team.md "Task fields"):
// not a graceful stop (no class), nor one of the first three rate limits.
bool counts_as_failure(Task& t, const std::optional<std::string>& error_class) {
    if (!error_class) return false;
    if (*error_class == "rate_limit" && t.rateLimits < max_uncounted_rate_limits) {
        ++t.rateLimits;
        return false;
    }
    return true;
}

void task_completed(Job& job, const Event& e) {
    Task& t = task_of(job, e.payload);
    auto result = str(e.payload, "result");
    auto& output = e.payload.at("output");
    t.output = output;
    t.finishedAt = e.createdAt;
    if (auto* o = output.if_object()) {
        if (auto* d = o->if_contains("durationMs"); d && d->is_number()) t.durationMs = d->to_number<std::int64_t>();
        if (auto* u = o->if_contains("usage")) {
            Usage add = usage_from_json(*u);
            t.usageTotal.inputTokens += add.inputTokens;
            t.usageTotal.cachedInputTokens += add.cachedInputTokens;
            t.usageTotal.outputTokens += add.outputTokens;
            t.usageTotal.totalTokens += add.totalTokens;
            if (add.costUsd) t.usageTotal.costUsd = t.usageTotal.costUsd.value_or(0) + *add.costUsd;
        }
    }
    release_claim(t);
    t.error = opt_str(e.payload, "error");
    t.errorClass = opt_str(e.payload, "errorClass");
    if (result == "succeeded") {
        t.status = TaskStatus::succeeded;
        t.feedback = nullptr;
        unblock_ready(job.team);
    } else if (result == "approval") {
        t.status = TaskStatus::queued; // its gate is set by team.task.approval_required
    } else {
        bool counted = counts_as_failure(t, t.errorClass);
        if (counted) ++t.failures;
        t.status = result == "retry" ? TaskStatus::queued : TaskStatus::failed;
        t.notBefore = json_fields::optional_field(e.payload, "notBefore", json_fields::as_time);
        // A graceful stop or a rate limit says nothing about the work: no feedback for it.
        if (t.error && counted) t.feedback = json::object{{"error", *t.error}, {"findings", nullptr}, {"approved", false}, {"comment", nullptr}};
    }
}

std::vector<std::string> strings(const json::value& v) {
    std::vector<std::string> out;
    for (auto& s : v.as_array()) out.emplace_back(s.as_string());
    return out;
}

void plan_ready(Job& job, const Event& e) {
    auto removed = strings(e.payload.at("removedTaskIds"));
    auto& tasks = job.team.tasks;
    std::erase_if(tasks, [&](const Task& t) { return std::find(removed.begin(), removed.end(), t.id) != removed.end(); });
    std::vector<TaskTemplate> added;
    for (auto& a : e.payload.at("added").as_array()) added.push_back(task_template_from_json(a.as_object()));
    json::array ids;
    for (auto& a : added) ids.push_back(json::string(a.id));
    { // the graph is replaced: the verifier waits for every end of the plan
        std::vector<std::string> ends;
        for (auto& a : added)
            if (std::none_of(added.begin(), added.end(), [&](const TaskTemplate& b) {
                    return std::find(b.dependencies.begin(), b.dependencies.end(), a.id) != b.dependencies.end();
                }))
                ends.push_back(a.id);
        for (auto& t : tasks)
            if (t.role == Role::verifier) t.dependencies = ends;
    }
    auto at = std::find_if(tasks.begin(), tasks.end(), [](const Task& t) { return t.role == Role::verifier; });
    auto fresh = initial_tasks(added);
    tasks.insert(at, fresh.begin(), fresh.end());
    for (auto& t : tasks)
        if (t.status == TaskStatus::queued && !dependencies_succeeded(job.team, t) && t.attempt == 0) t.status = TaskStatus::blocked;
    unblock_ready(job.team);
    job.team.plan = json::object{{"summary", e.payload.at("summary")}, {"fromTaskId", str(e.payload, "fromTaskId")},
                                 {"taskIds", std::move(ids)}};
}

void fix_round(Job& job, const Event& e) {
    auto ids = strings(e.payload.at("resetTaskIds"));
    reset_tasks(job.team, ids);
    job.team.fixAttempts = static_cast<int>(e.payload.at("fixAttempt").to_number<std::int64_t>());
    job.team.fixResetIds = ids;
    auto& feedback = e.payload.at("feedback");
    for (auto& id : ids)
        find_task(job.team, id)->feedback = feedback;
}

void claim_recovered(Job& job, const Event& e) {
    if (str(e.payload, "reason") == workspace_lost_reason) { // the run starts over: no reclaim counted
        auto ids = strings(e.payload.at("taskIds"));
        for (auto& id : ids)
            if (Task* t = find_task(job.team, id)) release_claim(*t);
        reset_tasks(job.team, ids);
        job.team.fixAttempts = 0;
        job.team.fixResetIds.clear();
        return;
    }
    for (auto& id : strings(e.payload.at("taskIds"))) {
        Task* t = find_task(job.team, id);
        if (!t) throw std::runtime_error("event names unknown task '" + id + "'");
        t->status = TaskStatus::queued;
        ++t->reclaims;
        release_claim(*t);
    }
}

void mailbox_delivered(Job& job, const Event& e) {
    auto task_id = str(e.payload, "taskId");
    for (auto& id : strings(e.payload.at("messageIds")))
        for (auto& m : job.team.mailbox) {
            if (m.id != id) continue;
            if (!m.delivered) m.deliveredAt = e.createdAt;
            m.delivered = true;
            if (std::find(m.deliveredTo.begin(), m.deliveredTo.end(), task_id) == m.deliveredTo.end())
                m.deliveredTo.push_back(task_id);
        }
}

void changes_nothing(Job&, const Event&) {}

using Transition = std::function<void(Job&, const Event&)>;

const std::unordered_map<std::string_view, Transition>& transitions() {
    static const std::unordered_map<std::string_view, Transition> table{
        {event_type::queued, requeue},
        {event_type::started, started},
        {event_type::approval_required, approval_required},
        {event_type::task_approval_required, task_approval_required},
        {event_type::approval, approval},
        {event_type::canceled, [](Job& j, const Event& e) { finish(j, e, JobStatus::canceled); }},
        {event_type::failed, [](Job& j, const Event& e) { finish(j, e, JobStatus::failed); }},
        {event_type::completed, [](Job& j, const Event& e) { finish(j, e, JobStatus::succeeded); }},
        {event_type::phase_changed, phase_changed},
        {event_type::task_canceled, task_canceled},
        {event_type::mailbox_received, mailbox_received},
        {event_type::task_reassigned, task_reassigned},
        {event_type::task_started, task_started},
        {event_type::task_completed, task_completed},
        {event_type::plan_ready, plan_ready},
        {event_type::retry, fix_round},
        {event_type::claim_recovered, claim_recovered},
        {event_type::mailbox_delivered, mailbox_delivered},
        // Announcements of changes the events after them make:
        {event_type::budget_exceeded, changes_nothing},
        {event_type::workspace_ready, changes_nothing},
    };
    return table;
}

// Events that exist for people and clients and change nothing but lastSeq.
bool is_info_event(std::string_view type) {
    return type == event_type::job_status || type == event_type::task_output ||
           type == event_type::task_validation_failed || type == event_type::task_non_reporting ||
           type == event_type::team_completed || type.starts_with("tmux_session_");
}

} // namespace

void reset_tasks(TeamState& team, const std::vector<std::string>& ids) {
    for (auto& id : ids) {
        Task* t = find_task(team, id);
        if (!t) throw std::runtime_error("cannot reset unknown task '" + id + "'");
        t->status = TaskStatus::queued;
        t->failures = 0;
        t->notBefore.reset();
        t->approval.reset();
        t->error.reset();
        t->errorClass.reset();
        t->rateLimits = 0;
        t->afterRequests = 0;
        t->beforeApproved = false;
        // The claim stays until the next start: an agent of it may still be
        // stopping, and after a crash recovery fences it by this token.
    }
    for (auto& id : ids) {
        Task* t = find_task(team, id);
        if (!dependencies_succeeded(team, *t)) t->status = TaskStatus::blocked;
    }
}

void apply(Job& job, const Event& e) {
    if (!is_info_event(e.type)) {
        auto it = transitions().find(e.type);
        if (it == transitions().end()) throw std::runtime_error("unknown event type '" + e.type + "'");
        it->second(job, e);
        job.updatedAt = e.createdAt;
    }
    job.lastSeq = e.seq;
    refresh_derived(job);
    // The maxMinutes clock runs while the run is running, not while it waits for a person.
    if (job.status == JobStatus::running && !job.activeSince) {
        job.activeSince = e.createdAt;
    } else if (job.status != JobStatus::running && job.activeSince) {
        job.activeMs += std::max<std::int64_t>(0, e.createdAt - *job.activeSince);
        job.activeSince.reset();
    }
}

Job fold(const std::vector<Event>& events) {
    Job job;
    for (auto& e : events) apply(job, e);
    return job;
}

} // namespace omx::team
