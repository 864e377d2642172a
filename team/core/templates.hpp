// Mode presets (team.md "Modes"): default task graphs, initial tasks, loop defaults.
#pragma once

#include "team/core/types.hpp"

#include <string_view>
#include <vector>

namespace omx::team {

// The mode's default graph; `options.workers` sizes the ultrawork fan-out.
std::vector<TaskTemplate> default_graph(Mode mode, const JobOptions& options);

// The client's teamTasks if given, else the mode's default graph. In pipeline
// mode every task also depends on the one before it (strict order).
std::vector<TaskTemplate> effective_graph(const JobRequest& request);

// Fresh tasks: `queued` without dependencies, `blocked` with some; counters 0.
std::vector<Task> initial_tasks(const std::vector<TaskTemplate>& graph);

// options.team.maxFixAttempts when the client sets none.
int default_max_fix_attempts(Mode mode);

// A task id: [A-Za-z0-9._-]{1,64}, and not "." or "..".
bool is_valid_task_id(std::string_view id);

} // namespace omx::team
