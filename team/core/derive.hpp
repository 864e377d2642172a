// Values derived from a job's state, never stored on their own: status,
// approval state, phase, metrics, the job output summary.
#pragma once

#include "team/core/types.hpp"

#include <optional>
#include <string_view>

namespace omx::team {

Task* find_task(TeamState&, std::string_view id);
const Task* find_task(const TeamState&, std::string_view id);

bool has_pending_gate(const Job&);
// Live (non-terminal) status from the gates and tasks (schemas.md, Job).
JobStatus derive_live_status(const Job&);
ApprovalState derive_approval_state(const Job&);
// Recomputes status (unless terminal) and approvalState after a change.
void refresh_derived(Job&);

// The earliest stage that still has a task that has not succeeded; `complete` if none.
Phase natural_phase(const TeamState&);
Phase stage_of(Role);

Metrics compute_metrics(const TeamState&);
json::object job_output(const Job&); // JobOutput: {phase, fixAttempts, tasks, usage}

std::optional<std::string> current_task_id(const TeamState&);  // latest started running task
std::optional<std::string> approval_task_id(const TeamState&); // oldest pending task gate

} // namespace omx::team
