// Mode presets of team.md: which tasks a job runs when the client names none.
#include "team/core/templates.hpp"

#include "team/core/git_ref.hpp"

#include <algorithm>
#include <string>

namespace omx::team {
namespace {

constexpr int preset_timeout_seconds = 900;
constexpr int team_timeout_seconds = 1200;
constexpr int team_developer_timeout_seconds = 3600;

TaskTemplate make_task(std::string id, std::string name, Role role, int timeout_seconds,
                       std::vector<std::string> dependencies = {}) {
    TaskTemplate t;
    t.id = std::move(id);
    t.name = std::move(name);
    t.role = role;
    t.dependencies = std::move(dependencies);
    t.maxAttempts = 1;
    t.timeoutSeconds = timeout_seconds;
    return t;
}

// Makes every task depend on the one before it, without repeating a dependency.
void chain_in_order(std::vector<TaskTemplate>& graph) {
    for (std::size_t i = 1; i < graph.size(); ++i) {
        auto& deps = graph[i].dependencies;
        const auto& previous = graph[i - 1].id;
        if (std::find(deps.begin(), deps.end(), previous) == deps.end()) deps.push_back(previous);
    }
}

std::vector<TaskTemplate> chained(std::vector<TaskTemplate> graph) {
    chain_in_order(graph);
    return graph;
}

std::vector<TaskTemplate> team_graph() {
    const int t = team_timeout_seconds;
    auto developer = make_task("team-developer", "Implement the solution", Role::developer,
                               team_developer_timeout_seconds, {"team-research", "team-designer"});
    developer.maxAttempts = 2;
    return {
        make_task("team-planner", "Plan the work and break it into steps", Role::planner, t),
        make_task("team-research", "Research the codebase and the requirements", Role::researcher,
                  t, {"team-planner"}),
        make_task("team-designer", "Design the solution", Role::designer, t, {"team-planner"}),
        std::move(developer),
        make_task("team-executor", "Build, run and integrate the changes", Role::executor, t,
                  {"team-developer"}),
        make_task("team-verifier", "Verify the result", Role::verifier, t, {"team-executor"}),
    };
}

std::vector<TaskTemplate> autopilot_graph() {
    const int t = preset_timeout_seconds;
    return chained({make_task("planner", "Plan the work", Role::planner, t),
                    make_task("executor", "Carry out the plan", Role::executor, t),
                    make_task("verifier", "Verify the result", Role::verifier, t)});
}

std::vector<TaskTemplate> ralph_graph() {
    const int t = preset_timeout_seconds;
    return chained({make_task("executor", "Carry out the task", Role::executor, t),
                    make_task("verifier", "Verify the result", Role::verifier, t)});
}

std::vector<TaskTemplate> ultrawork_graph(int workers) {
    const int t = preset_timeout_seconds;
    const int n = std::max(workers, 1);
    std::vector<TaskTemplate> graph{
        make_task("planner", "Plan the work and split it into " + std::to_string(n) + " parts",
                  Role::planner, t)};
    std::vector<std::string> executor_ids;
    for (int i = 1; i <= n; ++i) {
        const auto part = std::to_string(i) + " of " + std::to_string(n);
        executor_ids.push_back("executor-" + std::to_string(i));
        graph.push_back(make_task(executor_ids.back(), "Carry out part " + part + " of the plan",
                                  Role::executor, t, {"planner"}));
    }
    graph.push_back(make_task("verifier", "Verify the result", Role::verifier, t, executor_ids));
    return graph;
}

} // namespace

std::vector<TaskTemplate> default_graph(Mode mode, const JobOptions& options) {
    switch (mode) {
    case Mode::team:
        return team_graph();
    case Mode::autopilot:
        return autopilot_graph();
    case Mode::ralph:
        return ralph_graph();
    case Mode::ultrawork:
        return ultrawork_graph(options.workers);
    case Mode::pipeline:
        return autopilot_graph();
    }
    return autopilot_graph();
}

std::vector<TaskTemplate> effective_graph(const JobRequest& request) {
    const auto& given = request.options.team.teamTasks;
    auto graph = given && !given->empty() ? *given : default_graph(request.mode, request.options);
    if (request.mode == Mode::pipeline) chain_in_order(graph);
    return graph;
}

std::vector<Task> initial_tasks(const std::vector<TaskTemplate>& graph) {
    std::vector<Task> tasks;
    tasks.reserve(graph.size());
    for (const auto& tpl : graph) {
        Task task;
        static_cast<TaskTemplate&>(task) = tpl;
        task.status = tpl.dependencies.empty() ? TaskStatus::queued : TaskStatus::blocked;
        tasks.push_back(std::move(task));
    }
    return tasks;
}

int default_max_fix_attempts(Mode mode) {
    switch (mode) {
    case Mode::ralph:
        return 5;
    case Mode::pipeline:
        return 0;
    case Mode::team:
    case Mode::autopilot:
    case Mode::ultrawork:
        return 2;
    }
    return 2;
}

bool is_valid_task_id(std::string_view id) {
    if (id.empty() || id.size() > 64 || id == "." || id == "..") return false;
    return std::all_of(id.begin(), id.end(), is_portable_filename_char);
}

} // namespace omx::team
