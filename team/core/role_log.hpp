// The human-readable log of each role that the tmux view shows in its panes
// (operations.md, tmux view): task started, agent messages, commands and their
// exit codes, files changed, results. Pure: event in, lines out.
#pragma once

#include "team/core/events.hpp"
#include "team/core/types.hpp"

#include <string>
#include <vector>

namespace omx::team {

struct RoleLine {
    std::string role; // "developer"
    std::string text; // one line or more, ends without '\n'
};

// The lines `event` adds; `job` is the state after it was applied. A run's end
// adds a line to every role of the job.
std::vector<RoleLine> role_log_lines(const Job& job, const Event& event);

// The distinct roles of the job's tasks, in graph order.
std::vector<std::string> job_roles(const Job& job);

} // namespace omx::team
