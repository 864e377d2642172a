// The decisions behind the API's commands on a job.
#include "team/core/decide.hpp"

#include "team/core/apply.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/json_codec.hpp"
#include "team/core/templates.hpp"

#include <algorithm>
#include <set>

namespace omx::team {
namespace {

json::value nullable(const std::optional<std::string>& s) {
    return s ? json::value(*s) : json::value(nullptr);
}

EventDraft phase_change(Phase from, Phase to, std::string_view reason) {
    return {std::string(event_type::phase_changed),
            "Phase " + std::string(to_string(from)) + " -> " + std::string(to_string(to)),
            {{"from", to_string(from)}, {"to", to_string(to)}, {"reason", reason}}};
}

// Simulates the events on a copy and announces a live status change (job.status
// is informational: the status itself is derived by apply).
Decision with_status_change(const Job& job, std::vector<EventDraft> events) {
    Job after = job;
    std::uint64_t seq = job.lastSeq;
    for (auto& d : events) apply(after, Event{++seq, "", job.id, d.type, d.message, d.payload, job.updatedAt});
    if (after.status != job.status && !is_terminal(after.status))
        events.push_back({std::string(event_type::job_status),
                          "Job is " + std::string(to_string(after.status)),
                          {{"from", to_string(job.status)}, {"to", to_string(after.status)}}});
    return Decision{std::move(events), std::nullopt};
}

// Cancels every unfinished task and ends the run with `terminal`.
std::vector<EventDraft> end_run(const Job& job, std::string_view task_reason, Phase phase,
                                EventDraft terminal) {
    std::vector<EventDraft> events;
    for (auto& t : job.team.tasks)
        if (!is_finished(t.status))
            events.push_back({std::string(event_type::task_canceled), "Task " + t.id + " canceled",
                              {{"taskId", t.id}, {"reason", task_reason}}});
    if (job.team.phase != phase)
        events.push_back(phase_change(job.team.phase, phase, phase == Phase::canceled ? "canceled" : "failed"));
    events.push_back(std::move(terminal));
    return events;
}

std::string phrase(JobStatus s) { return std::string(to_string(s)); }

Decision cancel(const Job& job, const std::optional<std::string>& comment) {
    if (is_terminal(job.status))
        return Decision::refuse(RefusalKind::conflict, "job is already " + phrase(job.status));
    return Decision{end_run(job, "job canceled", Phase::canceled,
                            {std::string(event_type::canceled), "Job canceled",
                             {{"comment", nullable(comment)}}}),
                    std::nullopt};
}

EventDraft approval_event(bool approve, std::string_view gate, const std::optional<std::string>& task_id,
                          const std::optional<std::string>& comment) {
    std::string what = gate == "job" ? "Job" : "Task " + task_id.value_or("");
    return {std::string(event_type::approval), what + (approve ? " approved" : " rejected"),
            {{"decision", approve ? "approved" : "rejected"},
             {"gate", gate},
             {"taskId", nullable(task_id)},
             {"comment", nullable(comment)}}};
}

std::vector<EventDraft> rejection_failure(const Job& job, std::vector<EventDraft> events,
                                          std::optional<std::string> task_id) {
    Job after = job;
    std::uint64_t seq = job.lastSeq;
    for (auto& d : events) apply(after, Event{++seq, "", job.id, d.type, d.message, d.payload, job.updatedAt});
    auto rest = end_run(after, "run rejected by approver", Phase::failed,
                        {std::string(event_type::failed), "Job failed: Rejected by approver",
                         {{"error", "Rejected by approver"},
                          {"errorClass", "rejected"},
                          {"taskId", nullable(task_id)}}});
    events.insert(events.end(), rest.begin(), rest.end());
    return events;
}

// Job-level approve/reject act on the job gate if pending, else the oldest task gate.
Decision decide_gate(const Job& job, bool approve, const std::optional<std::string>& comment) {
    if (job.approvalState != ApprovalState::required)
        return Decision::refuse(RefusalKind::conflict,
                                "nothing is waiting for approval (job is " + phrase(job.status) + ")");
    if (!job.jobGatePending) return decide_task_action(job, *approval_task_id(job.team), approve, comment);
    std::vector<EventDraft> events{approval_event(approve, "job", std::nullopt, comment)};
    if (!approve) return Decision{rejection_failure(job, std::move(events), std::nullopt), std::nullopt};
    return with_status_change(job, std::move(events));
}

Decision resume(const Job& job) {
    if (job.status != JobStatus::failed && job.status != JobStatus::canceled)
        return Decision::refuse(RefusalKind::conflict,
                                "only a failed or canceled job can be resumed (job is " + phrase(job.status) + ")");
    std::vector<EventDraft> events{
        {std::string(event_type::queued), "Job resumed", {{"reason", "resumed"}}}};
    Job after = job;
    apply(after, Event{job.lastSeq + 1, "", job.id, events[0].type, "", events[0].payload, job.updatedAt});
    Phase phase = natural_phase(after.team);
    if (phase != job.team.phase) events.push_back(phase_change(job.team.phase, phase, "resumed"));
    if (job.request.options.requireApproval && !job.jobGateApproved)
        events.push_back({std::string(event_type::approval_required), "Job waits for approval",
                          {{"gate", "job"}, {"taskId", nullptr}, {"reason", "options.requireApproval is set"}}});
    return with_status_change(job, std::move(events));
}

// The task and everything that depends on it, transitively, in graph order.
std::vector<std::string> downstream_of(const TeamState& team, const std::string& root) {
    std::set<std::string> reached{root};
    for (bool grew = true; grew;) {
        grew = false;
        for (auto& t : team.tasks)
            if (!reached.count(t.id) &&
                std::any_of(t.dependencies.begin(), t.dependencies.end(),
                            [&](const std::string& d) { return reached.count(d) > 0; }))
                grew = reached.insert(t.id).second;
    }
    std::vector<std::string> ordered;
    for (auto& t : team.tasks)
        if (reached.count(t.id)) ordered.push_back(t.id);
    return ordered;
}

Decision reassign(const Job& job, const Message& m, EventDraft received) {
    std::vector<EventDraft> events{std::move(received)};
    auto reset = downstream_of(job.team, *m.taskId);
    json::array ids(reset.begin(), reset.end());
    events.push_back({std::string(event_type::task_reassigned), "Task " + *m.taskId + " reassigned",
                      {{"taskId", *m.taskId}, {"resetTaskIds", std::move(ids)}, {"messageId", m.id}}});
    if (is_terminal(job.status))
        events.push_back({std::string(event_type::queued), "Job reopened", {{"reason", "reopened"}}});
    Job after = job;
    std::uint64_t seq = job.lastSeq;
    for (auto& d : events) apply(after, Event{++seq, "", job.id, d.type, d.message, d.payload, job.updatedAt});
    Phase phase = natural_phase(after.team);
    if (phase != job.team.phase) events.push_back(phase_change(job.team.phase, phase, "reassigned"));
    return with_status_change(job, std::move(events));
}

} // namespace

Decision decide_create(const JobRequest& r, const CreateInput& in) {
    json::array tasks;
    for (auto& t : effective_graph(r)) tasks.push_back(to_json(t));
    json::object spec{{"id", in.jobId},       {"provider", to_string(r.provider)},
                      {"mode", to_string(r.mode)}, {"repo", r.repo},
                      {"ref", r.ref},         {"task", r.task},
                      {"options", to_json(r.options)}, {"tasks", std::move(tasks)}};
    json::object payload{{"reason", "created"}, {"job", std::move(spec)}};
    if (in.idempotencyKey) payload["idempotencyKey"] = *in.idempotencyKey;
    if (in.requestHash) payload["requestHash"] = *in.requestHash;
    std::vector<EventDraft> events{{std::string(event_type::queued), "Job created", std::move(payload)}};
    if (r.options.requireApproval)
        events.push_back({std::string(event_type::approval_required), "Job waits for approval",
                          {{"gate", "job"}, {"taskId", nullptr}, {"reason", "options.requireApproval is set"}}});
    return Decision{std::move(events), std::nullopt};
}

std::optional<JobAction> parse_job_action(std::string_view s) {
    if (s == "approve") return JobAction::approve;
    if (s == "reject") return JobAction::reject;
    if (s == "cancel") return JobAction::cancel;
    if (s == "resume") return JobAction::resume;
    return std::nullopt;
}

Decision decide_job_action(const Job& job, JobAction action, const std::optional<std::string>& comment) {
    switch (action) {
    case JobAction::cancel: return cancel(job, comment);
    case JobAction::approve: return decide_gate(job, true, comment);
    case JobAction::reject: return decide_gate(job, false, comment);
    case JobAction::resume: return resume(job);
    }
    return Decision::refuse(RefusalKind::conflict, "unknown action");
}

Decision decide_task_action(const Job& job, std::string_view task_id, bool approve,
                            const std::optional<std::string>& comment) {
    const Task* t = find_task(job.team, task_id);
    if (!t) return Decision::refuse(RefusalKind::not_found, "unknown task '" + std::string(task_id) + "'");
    if (!t->approval)
        return Decision::refuse(RefusalKind::conflict,
                                "task " + t->id + " is not waiting for approval (it is " +
                                    std::string(to_string(t->status)) + ")");
    std::vector<EventDraft> events{approval_event(approve, t->approval->stage, t->id, comment)};
    if (!approve) return Decision{rejection_failure(job, std::move(events), t->id), std::nullopt};
    return with_status_change(job, std::move(events));
}

Decision decide_mailbox_post(const Job& job, const Message& m) {
    auto from_api = std::count_if(job.team.mailbox.begin(), job.team.mailbox.end(),
                                  [](const Message& x) { return x.from == "leader"; });
    if (from_api >= max_api_messages)
        return Decision::refuse(RefusalKind::conflict, "the mailbox of this job is full (" +
                                                           std::to_string(max_api_messages) +
                                                           " messages from the API)");
    EventDraft received{std::string(event_type::mailbox_received), "Message " + m.id + " received",
                        {{"message", to_json(m)}}};
    if (m.kind == "reassign") return reassign(job, m, std::move(received));
    return Decision{{std::move(received)}, std::nullopt};
}

} // namespace omx::team
