// The state transitions of a job, one function per event type.
#include "team/core/apply.hpp"

#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/json_codec.hpp"
#include "team/core/templates.hpp"

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

bool dependencies_succeeded(const TeamState& team, const Task& task) {
    for (auto& dep : task.dependencies) {
        const Task* d = find_task(team, dep);
        if (!d || d->status != TaskStatus::succeeded) return false;
    }
    return true;
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
    if (reason == "resumed") {
        std::vector<std::string> again;
        for (auto& t : job.team.tasks)
            if (t.status != TaskStatus::succeeded && t.status != TaskStatus::running) again.push_back(t.id);
        reset_tasks(job.team, again);
    }
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
    int requests = t.approval ? t.approval->requests + 1 : 1;
    t.approval = TaskApproval{str(e.payload, "stage"), str(e.payload, "reason"), e.createdAt, requests};
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
    t.approval.reset();
    if (!approved) {
        t.status = TaskStatus::failed;
        t.error = "rejected by approver";
        t.errorClass = "rejected";
    }
}

void phase_changed(Job& job, const Event& e) {
    Phase to = parse_phase(str(e.payload, "to")).value();
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
}

Job fold(const std::vector<Event>& events) {
    Job job;
    for (auto& e : events) apply(job, e);
    return job;
}

} // namespace omx::team
