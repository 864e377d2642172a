// A planner's plan (team.md "Planner-driven graphs"): read from the
// structured result, validated, and the graph replacement it leads to.
#pragma once

#include "team/core/types.hpp"

#include <string>
#include <vector>

namespace omx::team {

inline constexpr int max_plan_tasks = 32;

struct PlanReading {
    bool present = false;              // the structured result carries a plan (`tasks`)
    std::string summary;               // plan_summary / planSummary
    std::vector<TaskTemplate> tasks;   // as given (ids, roles, dependencies within the plan)
    std::vector<std::string> problems; // every problem found; empty when the plan is valid
};

// Reads and validates the plan in `structured` against the job's current graph.
PlanReading read_plan(const json::value& structured, const TeamState& team);

// Whether a valid plan from a planner replaces the graph: team and autopilot
// jobs on their default template whose graph no plan has changed yet.
bool plan_replaces_graph(const Job&);

// The template tasks a plan replaces: not started yet, neither the planner nor a verifier.
std::vector<std::string> replaceable_task_ids(const TeamState&, const std::string& planner_id);

// The plan's tasks as they join the graph: those without dependencies depend on the planner.
std::vector<TaskTemplate> plan_tasks_for_graph(const PlanReading&, const std::string& planner_id);

} // namespace omx::team
