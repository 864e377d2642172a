// The event envelope of a job's log (schemas.md, Events) and its JSON line form.
#pragma once

#include "team/core/types.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace omx::team {

// What a decision produces; the actor stamps seq, id and time when it appends.
struct EventDraft {
    std::string type;
    std::string message;
    json::object payload;
};

struct Event {
    std::uint64_t seq = 0;
    std::string id;
    std::string jobId;
    std::string type;
    std::string message;
    json::object payload;
    TimeMs createdAt = 0;
};

namespace event_type {
inline constexpr std::string_view queued = "queued";
inline constexpr std::string_view started = "started";
inline constexpr std::string_view job_status = "job.status";
inline constexpr std::string_view approval_required = "approval_required";
inline constexpr std::string_view approval = "approval";
inline constexpr std::string_view canceled = "canceled";
inline constexpr std::string_view budget_exceeded = "budget_exceeded";
inline constexpr std::string_view failed = "failed";
inline constexpr std::string_view completed = "completed";
inline constexpr std::string_view workspace_ready = "workspace_ready";
inline constexpr std::string_view phase_changed = "team.phase_changed";
inline constexpr std::string_view plan_ready = "team.plan_ready";
inline constexpr std::string_view task_started = "team.task.started";
inline constexpr std::string_view task_output = "team.task.output";
inline constexpr std::string_view task_validation_failed = "team.task.validation_failed";
inline constexpr std::string_view task_non_reporting = "team.task.non_reporting";
inline constexpr std::string_view task_completed = "team.task.completed";
inline constexpr std::string_view task_approval_required = "team.task.approval_required";
inline constexpr std::string_view task_canceled = "team.task.canceled";
inline constexpr std::string_view task_reassigned = "team.task.reassigned";
inline constexpr std::string_view claim_recovered = "team.claim_recovered";
inline constexpr std::string_view retry = "team.retry";
inline constexpr std::string_view mailbox_received = "team.mailbox.received";
inline constexpr std::string_view mailbox_delivered = "team.mailbox.delivered";
inline constexpr std::string_view team_completed = "team.completed";
inline constexpr std::string_view tmux_started = "tmux_session_started";
inline constexpr std::string_view tmux_retained = "tmux_session_retained";
inline constexpr std::string_view tmux_closed = "tmux_session_closed";
} // namespace event_type

// team.claim_recovered's reason when a run's workspace is gone (a takeover on
// a worker that does not share the work root): every task starts over.
inline constexpr std::string_view workspace_lost_reason = "workspace lost";

// The run-ending events: nothing of that run follows them in the log.
bool is_terminal_event(std::string_view type);

json::object to_json(const Event&);
Event event_from_json(const json::object&); // throws std::runtime_error on a bad envelope
std::string to_json_line(const Event&);       // serialized envelope + '\n'

} // namespace omx::team
