// The decisions of a running team (team.md): what the run does next with no
// agent involved (decide_step), a task starting (decide_task_start), and an
// attempt's result (decide_task_result). Pure: the job actor supplies the
// time, the worker's identity, random jitter and new ids, and runs the effects.
#pragma once

#include "team/core/decide.hpp"
#include "team/core/types.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace omx::team {

struct StepInput {
    TimeMs now = 0;
    std::string workerId;
    double timeScale = 1.0;      // maxMinutes is measured in scaled minutes
    std::int64_t liveTokens = 0; // tokens reported so far by attempts still running
    // Running tasks with no attempt alive in this process (the server restarted,
    // or an attempt's result could not be stored): queued again without
    // counting a failure, at most max_reclaims times, with this reason.
    std::vector<std::string> orphanedTaskIds;
    std::string orphanReason = "server restarted";
};

// The run's next moves: take the run, ask for `before` approvals, start a fix
// round or fail once nothing runs, complete, enforce the budgets.
Decision decide_step(const Job&, const StepInput&);

// The workspace of the run is ready (event workspace_ready), or could not be made (the run fails).
// A workspace made afresh (`fresh`: none was there to reuse) for a run whose
// tasks already ran elsewhere means their work is gone: every task runs again
// from the start (storage.md: team.claim_recovered, reason "workspace lost").
Decision decide_workspace_ready(const Job&, const std::string& commit, const std::string& path, bool fresh);
Decision decide_workspace_failed(const Job&, const std::string& error);
// Something the run needs besides the workspace could not be set up (the tmux
// view): the run fails with `error`.
Decision decide_setup_failed(const Job& job, const std::string& error);

// Whether a message is for this task (team.md "Mailbox"): addressed to its
// id, or to its role (alone or in a list); never leader mail or its own.
bool is_addressed_to(const Message&, const Task&);

// When decide_step may decide something new by the clock alone (a backoff
// ends, a budget runs out), or nullopt.
std::optional<TimeMs> next_wakeup(const Job&, const StepInput&);

// Whether the scheduler may start tasks of this job at all: the run is
// started, live, not at the job gate, and no fix round is pending.
bool may_start_tasks(const Job&);

// Mailbox messages for a task, oldest first (is_addressed_to).
std::vector<const Message*> messages_for(const TeamState&, const Task&);

struct TaskStart {
    std::string taskId;
    std::string workerId;
    std::string claimToken;
    std::optional<int> pid;
    std::vector<std::string> deliveredMessageIds; // messages this attempt's prompt delivers first
    TimeMs now = 0; // a task waiting for its backoff does not start before notBefore
};

Decision decide_task_start(const Job&, const TaskStart&);

struct AttemptReport {
    std::string taskId;
    std::string claimToken; // which attempt: a result of an attempt that no longer runs changes nothing
    bool ok = false;
    std::optional<std::string> errorClass, error;
    std::optional<int> exitCode;
    json::object output;       // TaskOutput
    json::value structured;    // null or the structured result
    std::optional<int> retryAfterSeconds;
    bool shutdown = false;     // stopped by a graceful shutdown: requeued, not counted
    std::optional<std::int64_t> idleSeconds; // a hang: no output for this long
    TimeMs now = 0;
    double jitter = 0.5;       // uniform in [0, 1)
    std::int64_t backoffBaseMs = 1000, backoffCapMs = 60'000;
    double timeScale = 1.0;    // applied to a provider's retry-after
    std::function<std::string()> newId; // ids of messages the agent sends
};

Decision decide_task_result(const Job&, const AttemptReport&);

// The verifier verdict of team.md: structured `status` when pass/fail, else the exit code.
bool verdict_fails(const AttemptReport&);

inline constexpr int max_agent_messages = 200;
inline constexpr int max_after_approvals = 3;

} // namespace omx::team
