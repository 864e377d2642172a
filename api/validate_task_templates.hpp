// Validation of client task templates (options.team.teamTasks) and their graph.
#pragma once

#include "api/validate_common.hpp"
#include "team/core/types.hpp"

#include <vector>

namespace omx::api {

// Reads every item under `path` ("options.team.teamTasks"), fills default ids
// (<role>-<n>) and checks the graph: unique ids, known dependencies, no
// self-dependency, no cycle; with `strict_order` (pipeline) a task may depend
// only on tasks listed before it. Problems are appended; the result is only
// meaningful when none were added.
std::vector<team::TaskTemplate> validate_task_templates(const json::array& items,
                                                        std::string_view path, bool strict_order,
                                                        Problems& problems);

} // namespace omx::api
