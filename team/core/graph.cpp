// The task graph's reachability and readiness rules.
#include "team/core/graph.hpp"

#include "team/core/derive.hpp"

#include <algorithm>
#include <set>

namespace omx::team {
namespace {

bool depends_on_any(const Task& t, const std::set<std::string>& ids) {
    return std::any_of(t.dependencies.begin(), t.dependencies.end(),
                       [&](const std::string& d) { return ids.count(d) > 0; });
}

std::vector<std::string> in_graph_order(const TeamState& team, const std::set<std::string>& ids) {
    std::vector<std::string> ordered;
    for (auto& t : team.tasks)
        if (ids.count(t.id)) ordered.push_back(t.id);
    return ordered;
}

bool is_build_role(Role r) { return r == Role::developer || r == Role::executor; }

} // namespace

std::vector<std::string> downstream_of(const TeamState& team, const std::vector<std::string>& roots) {
    std::set<std::string> reached(roots.begin(), roots.end());
    for (bool grew = true; grew;) {
        grew = false;
        for (auto& t : team.tasks)
            if (!reached.count(t.id) && depends_on_any(t, reached)) grew = reached.insert(t.id).second || grew;
    }
    return in_graph_order(team, reached);
}

std::vector<std::string> fix_path(const TeamState& team, const Task& failed, bool verifier_verdict) {
    if (!verifier_verdict) return downstream_of(team, {failed.id});
    std::set<std::string> ancestors;
    std::vector<std::string> frontier = failed.dependencies;
    while (!frontier.empty()) {
        auto id = frontier.back();
        frontier.pop_back();
        if (!ancestors.insert(id).second) continue;
        if (const Task* t = find_task(team, id)) frontier.insert(frontier.end(), t->dependencies.begin(), t->dependencies.end());
    }
    std::vector<std::string> roots;
    for (auto& id : ancestors)
        if (const Task* t = find_task(team, id); t && is_build_role(t->role)) roots.push_back(id);
    if (roots.empty()) roots = failed.dependencies;
    roots.push_back(failed.id);
    return downstream_of(team, roots);
}

bool dependencies_succeeded(const TeamState& team, const Task& task) {
    return std::all_of(task.dependencies.begin(), task.dependencies.end(), [&](const std::string& dep) {
        const Task* d = find_task(team, dep);
        return d && d->status == TaskStatus::succeeded;
    });
}

void unblock_ready(TeamState& team) {
    for (auto& t : team.tasks)
        if (t.status == TaskStatus::blocked && dependencies_succeeded(team, t)) t.status = TaskStatus::queued;
}

bool is_startable(const TeamState& team, const Task& t, TimeMs now) {
    if (t.status != TaskStatus::queued || t.approval) return false;
    if (t.requiresApproval && !t.beforeApproved) return false;
    if (t.notBefore && *t.notBefore > now) return false;
    return dependencies_succeeded(team, t);
}

std::vector<std::string> startable_tasks(const TeamState& team, TimeMs now) {
    std::vector<const Task*> ready;
    for (auto& t : team.tasks)
        if (is_startable(team, t, now)) ready.push_back(&t);
    std::stable_sort(ready.begin(), ready.end(),
                     [](const Task* a, const Task* b) { return stage_of(a->role) < stage_of(b->role); });
    std::vector<std::string> ids;
    for (auto* t : ready) ids.push_back(t->id);
    return ids;
}

} // namespace omx::team
