// Plan reading and validation.
#include "team/core/plan.hpp"

#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/templates.hpp"

#include <functional>
#include <map>
#include <set>

namespace omx::team {
namespace {

const json::value* first_of(const json::object& o, std::initializer_list<std::string_view> keys) {
    for (auto k : keys)
        if (auto* v = o.if_contains(k); v && !v->is_null()) return v;
    return nullptr;
}

std::optional<int> int_in(const json::object& o, std::string_view key, int lo, int hi, const std::string& where,
                          std::vector<std::string>& problems) {
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_int64() || v->get_int64() < lo || v->get_int64() > hi) {
        problems.push_back(where + "." + std::string(key) + " must be an integer between " + std::to_string(lo) +
                           " and " + std::to_string(hi));
        return std::nullopt;
    }
    return static_cast<int>(v->get_int64());
}

TaskTemplate read_task(const json::value& v, std::size_t i, std::vector<std::string>& problems) {
    TaskTemplate t;
    const std::string where = "tasks[" + std::to_string(i) + "]";
    if (!v.is_object()) {
        problems.push_back(where + " must be an object");
        return t;
    }
    auto& o = v.get_object();
    if (auto* id = o.if_contains("id"); id && id->is_string() && is_valid_task_id(id->get_string()))
        t.id = std::string(id->get_string());
    else
        problems.push_back(where + ".id must be a task id ([A-Za-z0-9._-], 1-64 characters)");
    auto* role = o.if_contains("role");
    auto parsed = role && role->is_string() ? parse_role(role->get_string()) : std::nullopt;
    if (!parsed) problems.push_back(where + ".role must be one of planner, researcher, designer, developer, executor, verifier");
    else if (*parsed == Role::planner || *parsed == Role::verifier)
        problems.push_back(where + ".role: a plan may not add a " + std::string(to_string(*parsed)));
    else t.role = *parsed;
    if (auto* s = first_of(o, {"subject", "description", "name"}); s && s->is_string()) t.name = std::string(s->get_string());
    else problems.push_back(where + ".subject must be a string");
    if (auto* deps = first_of(o, {"depends_on", "dependsOn", "dependencies"})) {
        if (!deps->is_array()) problems.push_back(where + ".depends_on must be an array of task ids");
        else
            for (auto& d : deps->get_array()) {
                if (d.is_string()) t.dependencies.emplace_back(d.get_string());
                else problems.push_back(where + ".depends_on must be an array of task ids");
            }
    }
    t.maxAttempts = int_in(o, "maxAttempts", 1, 5, where, problems).value_or(t.role == Role::developer ? 2 : 1);
    t.timeoutSeconds = int_in(o, "timeoutSeconds", 60, 3600, where, problems).value_or(1200);
    if (auto* a = o.if_contains("requiresApproval"); a && !a->is_null()) {
        if (a->is_bool()) t.requiresApproval = a->get_bool();
        else problems.push_back(where + ".requiresApproval must be a boolean");
    }
    return t;
}

// Depth-first search for a cycle among the plan's own tasks.
bool has_cycle(const std::vector<TaskTemplate>& tasks) {
    std::map<std::string, const TaskTemplate*> by_id;
    for (auto& t : tasks) by_id[t.id] = &t;
    std::map<std::string, int> state; // 0 new, 1 on the path, 2 done
    std::function<bool(const std::string&)> visit = [&](const std::string& id) {
        auto it = by_id.find(id);
        if (it == by_id.end()) return false;
        int& s = state[id];
        if (s == 1) return true;
        if (s == 2) return false;
        s = 1;
        for (auto& d : it->second->dependencies)
            if (visit(d)) return true;
        state[id] = 2;
        return false;
    };
    for (auto& t : tasks)
        if (visit(t.id)) return true;
    return false;
}

} // namespace

PlanReading read_plan(const json::value& structured, const TeamState& team) {
    PlanReading plan;
    auto* o = structured.if_object();
    if (!o || !o->contains("tasks")) return plan;
    plan.present = true;
    if (auto* s = first_of(*o, {"plan_summary", "planSummary"}); s && s->is_string()) plan.summary = std::string(s->get_string());
    auto& list = o->at("tasks");
    if (!list.is_array()) {
        plan.problems.push_back("tasks must be an array");
        return plan;
    }
    auto& items = list.get_array();
    if (items.empty() || items.size() > max_plan_tasks)
        plan.problems.push_back("a plan must have between 1 and " + std::to_string(max_plan_tasks) + " tasks (it has " +
                                std::to_string(items.size()) + ")");
    for (std::size_t i = 0; i < items.size() && i < 2 * max_plan_tasks; ++i)
        plan.tasks.push_back(read_task(items[i], i, plan.problems));
    std::set<std::string> ids;
    for (auto& t : plan.tasks) {
        if (t.id.empty()) continue;
        if (!ids.insert(t.id).second) plan.problems.push_back("task id '" + t.id + "' is used twice");
        if (find_task(team, t.id)) plan.problems.push_back("task id '" + t.id + "' already exists in the job");
    }
    for (auto& t : plan.tasks)
        for (auto& d : t.dependencies)
            if (!ids.count(d))
                plan.problems.push_back("task '" + t.id + "' depends on '" + d + "', which is not a task of the plan");
    if (has_cycle(plan.tasks)) plan.problems.push_back("the plan's dependencies form a cycle");
    return plan;
}

bool plan_replaces_graph(const Job& job) {
    auto mode = job.request.mode;
    return (mode == Mode::team || mode == Mode::autopilot) && !job.request.options.team.teamTasks &&
           job.team.plan.is_null();
}

std::vector<std::string> replaceable_task_ids(const TeamState& team, const std::string& planner_id) {
    std::vector<std::string> ids;
    for (auto& t : team.tasks)
        if (t.id != planner_id && t.role != Role::verifier && t.role != Role::planner && t.attempt == 0 &&
            (t.status == TaskStatus::queued || t.status == TaskStatus::blocked))
            ids.push_back(t.id);
    return ids;
}

std::vector<TaskTemplate> plan_tasks_for_graph(const PlanReading& plan, const std::string& planner_id) {
    auto tasks = plan.tasks;
    for (auto& t : tasks)
        if (t.dependencies.empty()) t.dependencies.push_back(planner_id);
    return tasks;
}

} // namespace omx::team
