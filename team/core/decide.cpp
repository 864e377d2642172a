// The decisions behind the API's commands on a job.
#include "team/core/decide.hpp"

#include "team/core/apply.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/event_batch.hpp"
#include "team/core/graph.hpp"
#include "team/core/json_codec.hpp"
#include "team/core/json_fields.hpp"
#include "team/core/templates.hpp"

#include <algorithm>
#include <functional>

namespace omx::team {
namespace {

using json_fields::nullable;

std::string phrase(JobStatus s) { return std::string(to_string(s)); }

std::function<std::string(const Task&)> always(std::string reason) {
    return [reason = std::move(reason)](const Task&) { return reason; };
}

Decision cancel(const Job& job, const std::optional<std::string>& comment) {
    if (is_terminal(job.status))
        return Decision::refuse(RefusalKind::conflict, "job is already " + phrase(job.status));
    EventBatch batch(job);
    end_run(batch, Phase::canceled, always("job canceled"),
            {std::string(event_type::canceled), "Job canceled", {{"comment", nullable(comment)}}});
    return batch.finish();
}

void emit_approval(EventBatch& batch, bool approve, std::string_view gate, const std::optional<std::string>& task_id,
                   const std::optional<std::string>& comment) {
    std::string what = gate == "job" ? "Job" : "Task " + task_id.value_or("");
    batch.emit(event_type::approval, what + (approve ? " approved" : " rejected"),
               {{"decision", approve ? "approved" : "rejected"},
                {"gate", gate},
                {"taskId", nullable(task_id)},
                {"comment", nullable(comment)}});
}

// A rejection is final for the run: no fix round follows it.
Decision rejected(EventBatch batch, const std::optional<std::string>& task_id) {
    end_run(batch, Phase::failed, always("run rejected by approver"),
            {std::string(event_type::failed), "Job failed: Rejected by approver",
             {{"error", "Rejected by approver"}, {"errorClass", "rejected"}, {"taskId", nullable(task_id)}}});
    return batch.finish();
}

// Job-level approve/reject act on the job gate if pending, else the oldest task gate.
Decision decide_gate(const Job& job, bool approve, const std::optional<std::string>& comment) {
    if (job.approvalState != ApprovalState::required)
        return Decision::refuse(RefusalKind::conflict,
                                "nothing is waiting for approval (job is " + phrase(job.status) + ")");
    if (!job.jobGatePending) return decide_task_action(job, *approval_task_id(job.team), approve, comment);
    EventBatch batch(job);
    emit_approval(batch, approve, "job", std::nullopt, comment);
    if (!approve) return rejected(std::move(batch), std::nullopt);
    return batch.finish();
}

void emit_job_gate(EventBatch& batch) {
    batch.emit(event_type::approval_required, "Job waits for approval",
               {{"gate", "job"}, {"taskId", nullptr}, {"reason", "options.requireApproval is set"}});
}

Decision resume(const Job& job) {
    if (job.status != JobStatus::failed && job.status != JobStatus::canceled)
        return Decision::refuse(RefusalKind::conflict,
                                "only a failed or canceled job can be resumed (job is " + phrase(job.status) + ")");
    EventBatch batch(job);
    batch.emit(event_type::queued, "Job resumed", {{"reason", "resumed"}});
    if (job.request.options.requireApproval && !job.jobGateApproved) emit_job_gate(batch);
    return batch.finish();
}

Decision reassign(const Job& job, const Message& m, EventDraft received) {
    EventBatch batch(job);
    batch.emit(received.type, std::move(received.message), std::move(received.payload));
    auto reset = downstream_of(job.team, {*m.taskId});
    json::array ids(reset.begin(), reset.end());
    batch.emit(event_type::task_reassigned, "Task " + *m.taskId + " reassigned",
               {{"taskId", *m.taskId}, {"resetTaskIds", std::move(ids)}, {"messageId", m.id}});
    if (is_terminal(job.status)) {
        batch.emit(event_type::queued, "Job reopened", {{"reason", "reopened"}});
        if (job.request.options.requireApproval && !job.jobGateApproved) emit_job_gate(batch);
    }
    return batch.finish();
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
    std::vector<EventDraft> events; // not an initializer list: that would copy the payload (every task)
    events.push_back({std::string(event_type::queued), "Job created", std::move(payload)});
    if (r.options.requireApproval)
        events.push_back({std::string(event_type::approval_required), "Job waits for approval",
                          {{"gate", "job"}, {"taskId", nullptr}, {"reason", "options.requireApproval is set"}}});
    return Decision{std::move(events), std::nullopt}; // no EventBatch: the job has no state to apply to yet
}

std::string_view to_string(JobAction a) {
    switch (a) {
    case JobAction::approve: return "approve";
    case JobAction::reject: return "reject";
    case JobAction::cancel: return "cancel";
    case JobAction::resume: return "resume";
    }
    return "approve";
}

std::optional<JobAction> parse_job_action(std::string_view s) {
    for (auto a : {JobAction::approve, JobAction::reject, JobAction::cancel, JobAction::resume})
        if (to_string(a) == s) return a;
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
    EventBatch batch(job);
    emit_approval(batch, approve, t->approval->stage, t->id, comment);
    if (!approve) return rejected(std::move(batch), t->id);
    return batch.finish();
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
    if (m.kind == "reassign") {
        if (!m.taskId || !find_task(job.team, *m.taskId))
            return Decision::refuse(RefusalKind::not_found,
                                    "reassign needs the id of a task of this job (got '" + m.taskId.value_or("") + "')");
        return reassign(job, m, std::move(received));
    }
    return Decision{{std::move(received)}, std::nullopt};
}

} // namespace omx::team
