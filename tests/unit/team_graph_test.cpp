// The task graph's questions (team/core/graph.hpp): what is downstream of a
// task, what a fix round resets (team.md "Fix loop"), when a task may start
// and in which order (team.md "Task state machine", "Scheduling"). Pure.
#include "team/core/graph.hpp"

#include "tests/unit/team_story.hpp"

#include <boost/test/unit_test.hpp>

using namespace omx::team;
using omx::test::team_story::tpl;
using Ids = std::vector<std::string>;

namespace {

TeamState state_of(const std::vector<TaskTemplate>& graph) {
    TeamState s;
    s.tasks = initial_tasks(graph);
    return s;
}

TeamState default_team() { return state_of(default_graph(Mode::team, {})); }

void set_status(TeamState& s, const std::string& id, TaskStatus status) { find_task(s, id)->status = status; }

// A diamond with a side branch: a → {b, c} → d → v (verifier); a → side.
TeamState diamond() {
    return state_of({tpl("a", Role::researcher), tpl("b", Role::developer, {"a"}), tpl("c", Role::designer, {"a"}),
                     tpl("d", Role::executor, {"b", "c"}), tpl("v", Role::verifier, {"d"}),
                     tpl("side", Role::researcher, {"a"})});
}

} // namespace

BOOST_AUTO_TEST_SUITE(team_graph)

BOOST_AUTO_TEST_CASE(downstream_is_the_task_and_its_transitive_dependents_in_graph_order) {
    auto s = diamond();
    BOOST_TEST(downstream_of(s, {"a"}) == (Ids{"a", "b", "c", "d", "v", "side"}));
    BOOST_TEST(downstream_of(s, {"c"}) == (Ids{"c", "d", "v"}));
    BOOST_TEST(downstream_of(s, {"v"}) == (Ids{"v"}));
    BOOST_TEST(downstream_of(s, {"side", "b"}) == (Ids{"b", "d", "v", "side"}));
    BOOST_TEST(downstream_of(s, {"ghost"}).empty());
    auto team = default_team();
    BOOST_TEST(downstream_of(team, {"team-designer"}) ==
               (Ids{"team-designer", "team-developer", "team-executor", "team-verifier"}));
}

BOOST_AUTO_TEST_CASE(the_fix_path_of_a_failed_task_is_itself_and_its_downstream) {
    auto team = default_team();
    BOOST_TEST(fix_path(team, *find_task(team, "team-developer"), false) ==
               (Ids{"team-developer", "team-executor", "team-verifier"}));
    BOOST_TEST(fix_path(team, *find_task(team, "team-planner"), false) ==
               (Ids{"team-planner", "team-research", "team-designer", "team-developer", "team-executor",
                    "team-verifier"}));
    // A verifier that failed without a verdict (a timeout, say) is a failed task like any other.
    BOOST_TEST(fix_path(team, *find_task(team, "team-verifier"), false) == (Ids{"team-verifier"}));
}

BOOST_AUTO_TEST_CASE(the_fix_path_of_a_failing_verdict_starts_at_the_build_ancestors) {
    auto team = default_team();
    // developer and executor are the build ancestors; planner, research, designer are kept.
    BOOST_TEST(fix_path(team, *find_task(team, "team-verifier"), true) ==
               (Ids{"team-developer", "team-executor", "team-verifier"}));
    auto s = diamond();
    // b (developer) and d (executor): their downstream and the verifier; a, c and side are kept.
    BOOST_TEST(fix_path(s, *find_task(s, "v"), true) == (Ids{"b", "d", "v"}));
    auto ralph = state_of(default_graph(Mode::ralph, {}));
    BOOST_TEST(fix_path(ralph, *find_task(ralph, "verifier"), true) == (Ids{"executor", "verifier"}));
    JobOptions two;
    two.workers = 2;
    auto ultra = state_of(default_graph(Mode::ultrawork, two));
    BOOST_TEST(fix_path(ultra, *find_task(ultra, "verifier"), true) == (Ids{"executor-1", "executor-2", "verifier"}));
}

BOOST_AUTO_TEST_CASE(a_verdict_without_build_ancestors_resets_the_direct_dependencies) {
    auto s = state_of({tpl("plan", Role::planner), tpl("look", Role::researcher, {"plan"}),
                       tpl("draw", Role::designer, {"plan"}), tpl("review", Role::verifier, {"look", "draw"})});
    // No developer/executor ancestor: the direct dependencies, their downstream, the verifier.
    BOOST_TEST(fix_path(s, *find_task(s, "review"), true) == (Ids{"look", "draw", "review"}));
}

BOOST_AUTO_TEST_CASE(dependencies_succeed_only_when_every_one_has_succeeded) {
    auto s = diamond();
    const Task& d = *find_task(s, "d");
    BOOST_TEST(!dependencies_succeeded(s, d));
    set_status(s, "b", TaskStatus::succeeded);
    BOOST_TEST(!dependencies_succeeded(s, d));
    set_status(s, "c", TaskStatus::failed);
    BOOST_TEST(!dependencies_succeeded(s, d));
    set_status(s, "c", TaskStatus::succeeded);
    BOOST_TEST(dependencies_succeeded(s, d));
    BOOST_TEST(dependencies_succeeded(s, *find_task(s, "a"))); // no dependencies
    // A dependency that does not exist can never succeed.
    auto ghost = state_of({tpl("x", Role::executor, {"ghost"})});
    BOOST_TEST(!dependencies_succeeded(ghost, ghost.tasks.front()));
}

BOOST_AUTO_TEST_CASE(unblock_ready_queues_blocked_tasks_whose_dependencies_succeeded) {
    auto s = diamond();
    set_status(s, "a", TaskStatus::succeeded);
    unblock_ready(s);
    BOOST_TEST((find_task(s, "b")->status == TaskStatus::queued));
    BOOST_TEST((find_task(s, "c")->status == TaskStatus::queued));
    BOOST_TEST((find_task(s, "side")->status == TaskStatus::queued));
    BOOST_TEST((find_task(s, "d")->status == TaskStatus::blocked));
    set_status(s, "b", TaskStatus::succeeded);
    unblock_ready(s);
    BOOST_TEST((find_task(s, "d")->status == TaskStatus::blocked));
    // Only blocked tasks move: a canceled one stays canceled.
    set_status(s, "c", TaskStatus::succeeded);
    set_status(s, "d", TaskStatus::canceled);
    unblock_ready(s);
    BOOST_TEST((find_task(s, "d")->status == TaskStatus::canceled));
}

BOOST_AUTO_TEST_CASE(a_task_is_startable_when_queued_ready_ungated_and_past_its_backoff) {
    constexpr TimeMs now = 1'000'000;
    auto s = state_of({tpl("a", Role::executor), tpl("b", Role::executor, {"a"}),
                       tpl("gated", Role::executor, {}, 1, true)});
    Task& a = *find_task(s, "a");
    BOOST_TEST(is_startable(s, a, now));
    a.notBefore = now + 1;
    BOOST_TEST(!is_startable(s, a, now));
    BOOST_TEST(is_startable(s, a, now + 1));
    a.notBefore.reset();
    a.approval = TaskApproval{"after", "look", now, 1};
    BOOST_TEST(!is_startable(s, a, now));
    a.approval.reset();
    a.status = TaskStatus::running;
    BOOST_TEST(!is_startable(s, a, now));
    // Blocked, or queued with a dependency that has not succeeded.
    BOOST_TEST(!is_startable(s, *find_task(s, "b"), now));
    find_task(s, "b")->status = TaskStatus::queued;
    BOOST_TEST(!is_startable(s, *find_task(s, "b"), now));
    // requiresApproval: only once a person approved its `before` gate.
    Task& gated = *find_task(s, "gated");
    BOOST_TEST(!is_startable(s, gated, now));
    gated.beforeApproved = true;
    BOOST_TEST(is_startable(s, gated, now));
}

BOOST_AUTO_TEST_CASE(startable_tasks_come_in_stage_order_then_template_order) {
    constexpr TimeMs now = 1'000'000;
    auto s = state_of({tpl("check", Role::verifier), tpl("build-2", Role::executor), tpl("idea", Role::designer),
                       tpl("build-1", Role::developer), tpl("plan", Role::planner), tpl("read", Role::researcher)});
    BOOST_TEST(startable_tasks(s, now) == (Ids{"plan", "idea", "read", "build-2", "build-1", "check"}));
    find_task(s, "idea")->notBefore = now + 5;
    find_task(s, "plan")->status = TaskStatus::running;
    BOOST_TEST(startable_tasks(s, now) == (Ids{"read", "build-2", "build-1", "check"}));
    BOOST_TEST(startable_tasks(s, now + 5) == (Ids{"idea", "read", "build-2", "build-1", "check"}));
}

BOOST_AUTO_TEST_SUITE_END()
