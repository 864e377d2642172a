// Mode presets: default graphs, the effective graph of a request, fresh tasks, loop defaults.
#include "team/core/enums.hpp"
#include "team/core/templates.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace omx::team;

namespace {

std::vector<std::string> ids_of(const std::vector<TaskTemplate>& graph) {
    std::vector<std::string> ids;
    for (const auto& t : graph)
        ids.push_back(t.id);
    return ids;
}

const TaskTemplate& by_id(const std::vector<TaskTemplate>& graph, const std::string& id) {
    for (const auto& t : graph)
        if (t.id == id) return t;
    BOOST_FAIL("no task " + id);
    return graph.front();
}

using Deps = std::vector<std::string>;

TaskTemplate tpl(std::string id, Role role, Deps deps = {}) {
    TaskTemplate t;
    t.id = std::move(id);
    t.name = "Task " + t.id;
    t.role = role;
    t.dependencies = std::move(deps);
    return t;
}

JobRequest request_with(Mode mode, std::optional<std::vector<TaskTemplate>> team_tasks) {
    JobRequest r;
    r.mode = mode;
    r.options.team.teamTasks = std::move(team_tasks);
    return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(templates)

BOOST_AUTO_TEST_CASE(team_preset_is_the_six_role_graph) {
    const auto g = default_graph(Mode::team, JobOptions{});
    BOOST_TEST(ids_of(g) == (Deps{"team-planner", "team-research", "team-designer",
                                  "team-developer", "team-executor", "team-verifier"}),
               boost::test_tools::per_element());
    BOOST_TEST(by_id(g, "team-planner").dependencies.empty());
    BOOST_TEST(by_id(g, "team-research").dependencies == Deps{"team-planner"});
    BOOST_TEST(to_string(by_id(g, "team-research").role) == "researcher");
    BOOST_TEST(by_id(g, "team-designer").dependencies == Deps{"team-planner"});
    BOOST_TEST(to_string(by_id(g, "team-designer").role) == "designer");
    BOOST_TEST((by_id(g, "team-developer").dependencies == Deps{"team-research", "team-designer"}));
    BOOST_TEST(by_id(g, "team-executor").dependencies == Deps{"team-developer"});
    BOOST_TEST(by_id(g, "team-verifier").dependencies == Deps{"team-executor"});
    BOOST_TEST(to_string(by_id(g, "team-verifier").role) == "verifier");
    for (const auto& t : g) {
        BOOST_TEST_CONTEXT(t.id) {
            const bool developer = t.id == "team-developer";
            BOOST_TEST(t.maxAttempts == (developer ? 2 : 1));
            BOOST_TEST(t.timeoutSeconds == (developer ? 3600 : 1200));
            BOOST_TEST(!t.requiresApproval);
        }
    }
}

BOOST_AUTO_TEST_CASE(autopilot_ralph_and_pipeline_presets_are_chains) {
    struct Case {
        Mode mode;
        Deps ids;
        std::vector<Role> roles;
    };
    const std::vector<Case> cases = {
        {Mode::autopilot,
         {"planner", "executor", "verifier"},
         {Role::planner, Role::executor, Role::verifier}},
        {Mode::pipeline,
         {"planner", "executor", "verifier"},
         {Role::planner, Role::executor, Role::verifier}},
        {Mode::ralph, {"executor", "verifier"}, {Role::executor, Role::verifier}},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(to_string(c.mode)) {
            const auto g = default_graph(c.mode, JobOptions{});
            BOOST_TEST(ids_of(g) == c.ids, boost::test_tools::per_element());
            for (std::size_t i = 0; i < g.size(); ++i) {
                BOOST_TEST(to_string(g[i].role) == to_string(c.roles[i]));
                BOOST_TEST(g[i].maxAttempts == 1);
                BOOST_TEST(g[i].timeoutSeconds == 900);
                BOOST_TEST((g[i].dependencies == (i == 0 ? Deps{} : Deps{c.ids[i - 1]})));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(ultrawork_fans_out_to_workers_executors) {
    JobOptions options;
    options.workers = 3;
    const auto g = default_graph(Mode::ultrawork, options);
    BOOST_TEST(ids_of(g) == (Deps{"planner", "executor-1", "executor-2", "executor-3", "verifier"}),
               boost::test_tools::per_element());
    for (int i = 1; i <= 3; ++i) {
        const auto& e = by_id(g, "executor-" + std::to_string(i));
        BOOST_TEST(to_string(e.role) == "executor");
        BOOST_TEST(e.dependencies == Deps{"planner"});
        BOOST_TEST(e.name.find("part " + std::to_string(i) + " of 3") != std::string::npos, e.name);
    }
    BOOST_TEST(
        (by_id(g, "verifier").dependencies == Deps{"executor-1", "executor-2", "executor-3"}));
    BOOST_TEST(by_id(g, "planner").dependencies.empty());

    options.workers = 1;
    BOOST_TEST(ids_of(default_graph(Mode::ultrawork, options)) ==
                   (Deps{"planner", "executor-1", "verifier"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(every_preset_task_has_a_human_name_and_a_valid_id) {
    JobOptions options;
    options.workers = 16;
    for (Mode mode : {Mode::team, Mode::autopilot, Mode::ralph, Mode::ultrawork, Mode::pipeline}) {
        for (const auto& t : default_graph(mode, options)) {
            BOOST_TEST_CONTEXT(to_string(mode) << " " << t.id) {
                BOOST_TEST(t.name.size() >= 2u);
                BOOST_TEST(t.name.size() <= 180u);
                BOOST_TEST(t.name != t.id);
                BOOST_TEST(is_valid_task_id(t.id));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(effective_graph_prefers_the_clients_tasks) {
    const std::vector<TaskTemplate> given = {tpl("a", Role::developer),
                                             tpl("b", Role::verifier, {"a"})};
    const auto team = effective_graph(request_with(Mode::team, given));
    BOOST_TEST(ids_of(team) == (Deps{"a", "b"}), boost::test_tools::per_element());
    BOOST_TEST(team[1].dependencies == Deps{"a"});
    // Without teamTasks, or with an empty list, the mode's preset applies.
    BOOST_TEST(ids_of(effective_graph(request_with(Mode::ralph, std::nullopt))) ==
                   (Deps{"executor", "verifier"}),
               boost::test_tools::per_element());
    BOOST_TEST(effective_graph(request_with(Mode::team, std::vector<TaskTemplate>{})).size() == 6u);
}

BOOST_AUTO_TEST_CASE(team_mode_keeps_parallel_branches) {
    const std::vector<TaskTemplate> given = {tpl("a", Role::developer), tpl("b", Role::developer),
                                             tpl("c", Role::verifier, {"a", "b"})};
    const auto g = effective_graph(request_with(Mode::team, given));
    BOOST_TEST(g[1].dependencies.empty()); // b does not wait for a
}

BOOST_AUTO_TEST_CASE(pipeline_chains_the_clients_tasks_without_duplicates) {
    const std::vector<TaskTemplate> given = {tpl("a", Role::planner), tpl("b", Role::developer),
                                             tpl("c", Role::verifier, {"b"}),
                                             tpl("d", Role::verifier, {"a"})};
    const auto g = effective_graph(request_with(Mode::pipeline, given));
    BOOST_TEST(g[0].dependencies.empty());
    BOOST_TEST(g[1].dependencies == Deps{"a"});
    BOOST_TEST(g[2].dependencies == Deps{"b"}); // already there: not repeated
    BOOST_TEST((g[3].dependencies == Deps{"a", "c"}));
}

BOOST_AUTO_TEST_CASE(initial_tasks_are_queued_or_blocked_with_zero_counters) {
    auto graph = default_graph(Mode::team, JobOptions{});
    graph[0].requiresApproval = true;
    const auto tasks = initial_tasks(graph);
    BOOST_TEST_REQUIRE(tasks.size() == graph.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        BOOST_TEST_CONTEXT(tasks[i].id) {
            BOOST_TEST(tasks[i].id == graph[i].id);
            BOOST_TEST(tasks[i].name == graph[i].name);
            BOOST_TEST(tasks[i].dependencies == graph[i].dependencies);
            BOOST_TEST(tasks[i].maxAttempts == graph[i].maxAttempts);
            BOOST_TEST(tasks[i].timeoutSeconds == graph[i].timeoutSeconds);
            BOOST_TEST(tasks[i].requiresApproval == graph[i].requiresApproval);
            BOOST_TEST(to_string(tasks[i].status) == (i == 0 ? "queued" : "blocked"));
            BOOST_TEST(tasks[i].attempt == 0);
            BOOST_TEST(tasks[i].failures == 0);
            BOOST_TEST(tasks[i].reclaims == 0);
            BOOST_TEST(!tasks[i].approval.has_value());
            BOOST_TEST(tasks[i].output.is_null());
        }
    }
    BOOST_TEST(initial_tasks({}).empty());
}

BOOST_AUTO_TEST_CASE(default_fix_attempts_per_mode) {
    const std::vector<std::pair<Mode, int>> cases = {{Mode::team, 2},
                                                     {Mode::autopilot, 2},
                                                     {Mode::ralph, 5},
                                                     {Mode::ultrawork, 2},
                                                     {Mode::pipeline, 0}};
    for (auto [mode, expected] : cases)
        BOOST_TEST_CONTEXT(to_string(mode)) {
            BOOST_TEST(default_max_fix_attempts(mode) == expected);
        }
}

BOOST_AUTO_TEST_CASE(task_id_pattern) {
    BOOST_TEST(is_valid_task_id("a"));
    BOOST_TEST(is_valid_task_id("Team_task-1.2"));
    BOOST_TEST(is_valid_task_id(std::string(64, 'x')));
    BOOST_TEST(!is_valid_task_id(std::string(65, 'x')));
    BOOST_TEST(!is_valid_task_id(""));
    BOOST_TEST(!is_valid_task_id("a b"));
    BOOST_TEST(!is_valid_task_id("a/b"));
    BOOST_TEST(!is_valid_task_id("."));
    BOOST_TEST(!is_valid_task_id(".."));
    BOOST_TEST(is_valid_task_id("..."));
}

BOOST_AUTO_TEST_SUITE_END()
