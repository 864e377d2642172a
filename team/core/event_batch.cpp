// EventBatch: decisions built from events applied one by one.
#include "team/core/event_batch.hpp"

#include "team/core/apply.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"

#include <algorithm>

namespace omx::team {
namespace {

bool fix_round_pending(const TeamState& team) {
    if (team.fixResetIds.empty()) return false;
    bool only_verifiers = true;
    bool pending = false;
    for (auto& id : team.fixResetIds) {
        const Task* t = find_task(team, id);
        if (!t || t->role == Role::verifier) continue;
        only_verifiers = false;
        pending = pending || t->status != TaskStatus::succeeded;
    }
    if (!only_verifiers) return pending;
    return std::any_of(team.fixResetIds.begin(), team.fixResetIds.end(), [&](const std::string& id) {
        const Task* t = find_task(team, id);
        return t && (t->status == TaskStatus::queued || t->status == TaskStatus::blocked);
    });
}

std::string_view reason_for(Phase from, Phase to, bool plan_changed) {
    switch (to) {
    case Phase::team_fix: return "fix_attempt";
    case Phase::complete: return "complete";
    case Phase::failed: return "failed";
    case Phase::canceled: return "canceled";
    case Phase::team_verify: return from == Phase::team_fix ? "verification_resumed" : "verification_required";
    default: return plan_changed ? "plan_ready" : "tasks_started";
    }
}

} // namespace

EventDraft phase_change(Phase from, Phase to, std::string_view reason) {
    return {std::string(event_type::phase_changed),
            "Phase " + std::string(to_string(from)) + " -> " + std::string(to_string(to)),
            {{"from", to_string(from)}, {"to", to_string(to)}, {"reason", reason}}};
}

Phase target_phase(const Job& job) {
    switch (job.status) {
    case JobStatus::succeeded: return Phase::complete;
    case JobStatus::failed: return Phase::failed;
    case JobStatus::canceled: return Phase::canceled;
    default: break;
    }
    if (fix_round_pending(job.team)) return Phase::team_fix;
    Phase natural = natural_phase(job.team);
    // All tasks succeeded but the completion is not decided yet: stay where the run is.
    return natural == Phase::complete ? job.team.phase : natural;
}

void end_run(EventBatch& batch, Phase terminal_phase, const std::function<std::string(const Task&)>& why,
             EventDraft terminal) {
    std::vector<const Task*> unfinished;
    for (auto& t : batch.after().team.tasks)
        if (!is_finished(t.status)) unfinished.push_back(&t);
    std::vector<std::pair<std::string, std::string>> cancels;
    for (auto* t : unfinished) cancels.emplace_back(t->id, why(*t));
    for (auto& [id, reason] : cancels)
        batch.emit(event_type::task_canceled, "Task " + id + " canceled", {{"taskId", id}, {"reason", reason}});
    batch.emit(event_type::team_completed, "Team run ended", {{"status", terminal_phase == Phase::canceled ? "canceled" : "failed"}});
    Phase from = batch.after().team.phase;
    if (from != terminal_phase) {
        auto d = phase_change(from, terminal_phase, terminal_phase == Phase::canceled ? "canceled" : "failed");
        batch.emit(d.type, std::move(d.message), std::move(d.payload));
    }
    batch.emit(terminal.type, std::move(terminal.message), std::move(terminal.payload));
}

EventBatch::EventBatch(const Job& job, std::optional<TimeMs> now)
    : status_before_(job.status), after_(job), now_(now.value_or(job.updatedAt)) {}

void EventBatch::emit(std::string_view type, std::string message, json::object payload) {
    EventDraft d{std::string(type), std::move(message), std::move(payload)};
    apply(after_, Event{after_.lastSeq + 1, "", after_.id, d.type, d.message, d.payload, now_});
    if (type == event_type::plan_ready) plan_changed_ = true;
    events_.push_back(std::move(d));
}

Decision EventBatch::finish() {
    Phase from = after_.team.phase;
    Phase to = target_phase(after_);
    if (to != from) {
        auto d = phase_change(from, to, reason_for(from, to, plan_changed_));
        emit(d.type, std::move(d.message), std::move(d.payload));
    }
    if (after_.status != status_before_ && !is_terminal(after_.status))
        emit(event_type::job_status, "Job is " + std::string(to_string(after_.status)),
             {{"from", to_string(status_before_)}, {"to", to_string(after_.status)}});
    return Decision{std::move(events_), std::nullopt};
}

} // namespace omx::team
