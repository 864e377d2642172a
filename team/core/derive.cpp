// Derived views of a job's state.
#include "team/core/derive.hpp"

#include "team/core/enums.hpp"
#include "team/core/json_codec.hpp"

#include <algorithm>

namespace omx::team {

Task* find_task(TeamState& team, std::string_view id) {
    for (auto& t : team.tasks)
        if (t.id == id) return &t;
    return nullptr;
}

const Task* find_task(const TeamState& team, std::string_view id) {
    return find_task(const_cast<TeamState&>(team), id);
}

bool has_pending_gate(const Job& job) {
    return job.jobGatePending || std::any_of(job.team.tasks.begin(), job.team.tasks.end(),
                                             [](const Task& t) { return t.approval.has_value(); });
}

JobStatus derive_live_status(const Job& job) {
    bool busy = std::any_of(job.team.tasks.begin(), job.team.tasks.end(), [](const Task& t) {
        return t.status == TaskStatus::running || (t.status == TaskStatus::queued && !t.approval);
    });
    if (has_pending_gate(job) && (job.jobGatePending || !busy)) return JobStatus::waiting_approval;
    return job.runStarted ? JobStatus::running : JobStatus::queued;
}

ApprovalState derive_approval_state(const Job& job) {
    return has_pending_gate(job) ? ApprovalState::required : job.lastDecision;
}

void refresh_derived(Job& job) {
    if (!is_terminal(job.status)) job.status = derive_live_status(job);
    job.approvalState = derive_approval_state(job);
}

Phase stage_of(Role role) {
    switch (role) {
    case Role::planner: return Phase::team_plan;
    case Role::researcher:
    case Role::designer: return Phase::team_prd;
    case Role::developer:
    case Role::executor: return Phase::team_exec;
    case Role::verifier: return Phase::team_verify;
    }
    return Phase::team_exec;
}

Phase natural_phase(const TeamState& team) {
    std::optional<Phase> earliest;
    for (auto& t : team.tasks) {
        if (t.status == TaskStatus::succeeded) continue;
        Phase p = stage_of(t.role);
        if (!earliest || p < *earliest) earliest = p;
    }
    return earliest.value_or(Phase::complete);
}

Metrics compute_metrics(const TeamState& team) {
    Metrics m;
    std::int64_t duration_sum = 0;
    int finished_attempts = 0;
    bool any_cost = false;
    double cost = 0;
    for (auto& t : team.tasks) {
        ++m.total;
        switch (t.status) {
        case TaskStatus::queued: ++m.queued; break;
        case TaskStatus::blocked: ++m.blocked; break;
        case TaskStatus::running: ++m.running; break;
        case TaskStatus::succeeded: ++m.succeeded; break;
        case TaskStatus::failed: ++m.failed; break;
        case TaskStatus::canceled: ++m.canceled; break;
        }
        if (t.approval) ++m.waitingApproval;
        if (t.durationMs) {
            duration_sum += *t.durationMs;
            ++finished_attempts;
            m.maxDurationMs = std::max(m.maxDurationMs, *t.durationMs);
        }
        {
            const Usage& u = t.usageTotal;
            m.usage.inputTokens += u.inputTokens;
            m.usage.cachedInputTokens += u.cachedInputTokens;
            m.usage.outputTokens += u.outputTokens;
            m.usage.totalTokens += u.totalTokens;
            if (u.costUsd) {
                any_cost = true;
                cost += *u.costUsd;
            }
        }
    }
    m.terminal = m.succeeded + m.failed + m.canceled;
    m.activeWorkers = m.running;
    if (any_cost) m.usage.costUsd = cost;
    if (finished_attempts) m.averageDurationMs = duration_sum / finished_attempts;
    return m;
}

json::object job_output(const Job& job) {
    json::array tasks;
    for (auto& t : job.team.tasks) {
        json::value summary = nullptr;
        if (auto* out = t.output.if_object())
            if (auto* s = out->if_contains("summary")) summary = *s;
        tasks.push_back(json::object{{"id", t.id},
                                     {"role", to_string(t.role)},
                                     {"status", to_string(t.status)},
                                     {"attempt", t.attempt},
                                     {"summary", summary}});
    }
    return json::object{{"phase", to_string(job.team.phase)},
                        {"fixAttempts", job.team.fixAttempts},
                        {"tasks", std::move(tasks)},
                        {"usage", to_json(compute_metrics(job.team).usage)}};
}

std::optional<std::string> current_task_id(const TeamState& team) {
    const Task* latest = nullptr;
    for (auto& t : team.tasks)
        if (t.status == TaskStatus::running && (!latest || t.startedAt > latest->startedAt))
            latest = &t;
    if (!latest) return std::nullopt;
    return latest->id;
}

std::optional<std::string> approval_task_id(const TeamState& team) {
    const Task* oldest = nullptr;
    for (auto& t : team.tasks)
        if (t.approval && (!oldest || t.approval->requestedAt < oldest->approval->requestedAt))
            oldest = &t;
    if (!oldest) return std::nullopt;
    return oldest->id;
}

} // namespace omx::team
