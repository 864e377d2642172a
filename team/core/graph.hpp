// Questions about a team's task graph: what depends on what, what a fix
// round resets, which tasks may start now. Pure.
#pragma once

#include "team/core/types.hpp"

#include <string>
#include <vector>

namespace omx::team {

// The task and everything that depends on it, transitively, in graph order.
std::vector<std::string> downstream_of(const TeamState&, const std::vector<std::string>& roots);

// The fix path of team.md "Fix loop": for a failed task, itself and its
// downstream; for a failing verifier, its developer/executor ancestors (or,
// without any, its direct dependencies), their downstream, and the verifier.
std::vector<std::string> fix_path(const TeamState&, const Task& failed, bool verifier_verdict);

bool dependencies_succeeded(const TeamState&, const Task&);

// Blocked tasks whose dependencies all succeeded become queued.
void unblock_ready(TeamState&);

// A task the scheduler may start at `now`: queued, dependencies succeeded,
// no approval pending or due first, not waiting for a backoff.
bool is_startable(const TeamState&, const Task&, TimeMs now);

// Startable tasks in stage order, then template order (team.md "Scheduling").
std::vector<std::string> startable_tasks(const TeamState&, TimeMs now);

} // namespace omx::team
