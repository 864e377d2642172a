// A planner's plan (team.md "Planner-driven graphs", team/core/plan.hpp):
// reading it with its accepted spellings, every validation problem listed at
// once, and which jobs' graphs a plan replaces. Pure.
#include "team/core/plan.hpp"

#include "tests/unit/team_story.hpp"

#include <boost/test/unit_test.hpp>

using namespace omx::team;
using namespace omx::test::team_story;
using Ids = std::vector<std::string>;

namespace {

TeamState autopilot_team() {
    TeamState s;
    s.tasks = initial_tasks(default_graph(Mode::autopilot, {}));
    return s;
}

PlanReading read(std::string_view text, const TeamState& team = autopilot_team()) {
    return read_plan(parse(text), team);
}

bool has_problem(const PlanReading& p, const std::string& problem) {
    return std::find(p.problems.begin(), p.problems.end(), problem) != p.problems.end();
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (auto& s : v) out += s + "\n";
    return out;
}

const std::string roles_rule =
    "role must be one of planner, researcher, designer, developer, executor, verifier";

} // namespace

BOOST_AUTO_TEST_SUITE(team_plan)

BOOST_AUTO_TEST_CASE(a_structured_result_without_tasks_has_no_plan) {
    BOOST_TEST(!read("null").present);
    BOOST_TEST(!read(R"({"summary":"done","plan_summary":"x"})").present);
    BOOST_TEST(!read(R"([1,2])").present);
}

BOOST_AUTO_TEST_CASE(a_valid_plan_is_read_with_its_fields_and_defaults) {
    auto p = read(R"({"plan_summary":"two steps","tasks":[
        {"id":"write","role":"developer","subject":"Write the fix"},
        {"id":"run","role":"executor","subject":"Run it","depends_on":["write"],"maxAttempts":3,
         "timeoutSeconds":600,"requiresApproval":true}]})");
    BOOST_TEST(p.present);
    BOOST_TEST(p.problems.empty(), joined(p.problems));
    BOOST_TEST(p.summary == "two steps");
    BOOST_REQUIRE(p.tasks.size() == 2u);
    BOOST_TEST(p.tasks[0].id == "write");
    BOOST_TEST((p.tasks[0].role == Role::developer));
    BOOST_TEST(p.tasks[0].name == "Write the fix");
    BOOST_TEST(p.tasks[0].dependencies.empty());
    BOOST_TEST(p.tasks[0].maxAttempts == 2); // a developer's default, as in the team template
    BOOST_TEST(p.tasks[0].timeoutSeconds == 1200);
    BOOST_TEST(!p.tasks[0].requiresApproval);
    BOOST_TEST(p.tasks[1].dependencies == (Ids{"write"}));
    BOOST_TEST(p.tasks[1].maxAttempts == 3);
    BOOST_TEST(p.tasks[1].timeoutSeconds == 600);
    BOOST_TEST(p.tasks[1].requiresApproval);
}

BOOST_AUTO_TEST_CASE(the_accepted_spellings_of_summary_subject_and_dependencies) {
    auto p = read(R"({"planSummary":"camel","tasks":[
        {"id":"a","role":"researcher","description":"Look around"},
        {"id":"b","role":"designer","name":"Draw it","dependsOn":["a"]},
        {"id":"c","role":"executor","subject":"Do it","dependencies":["a","b"]}]})");
    BOOST_TEST(p.problems.empty(), joined(p.problems));
    BOOST_TEST(p.summary == "camel");
    BOOST_REQUIRE(p.tasks.size() == 3u);
    BOOST_TEST(p.tasks[0].name == "Look around");
    BOOST_TEST(p.tasks[1].name == "Draw it");
    BOOST_TEST(p.tasks[1].dependencies == (Ids{"a"}));
    BOOST_TEST(p.tasks[2].dependencies == (Ids{"a", "b"}));
    BOOST_TEST(p.tasks[0].maxAttempts == 1);
}

BOOST_AUTO_TEST_CASE(a_plan_needs_one_to_thirty_two_tasks) {
    auto empty = read(R"({"tasks":[]})");
    BOOST_TEST(empty.present);
    BOOST_TEST(empty.problems == (Ids{"a plan must have between 1 and 32 tasks (it has 0)"}));
    std::string many = R"({"tasks":[)";
    for (int i = 0; i < 33; ++i)
        many += std::string(i ? "," : "") + R"({"id":"t)" + std::to_string(i) + R"(","role":"executor","subject":"s"})";
    many += "]}";
    auto big = read(many);
    BOOST_TEST(big.problems == (Ids{"a plan must have between 1 and 32 tasks (it has 33)"}));
    std::string ok = R"({"tasks":[)";
    for (int i = 0; i < 32; ++i)
        ok += std::string(i ? "," : "") + R"({"id":"t)" + std::to_string(i) + R"(","role":"executor","subject":"s"})";
    ok += "]}";
    BOOST_TEST(read(ok).problems.empty());
    BOOST_TEST(read(R"({"tasks":{"id":"a"}})").problems == (Ids{"tasks must be an array"}));
}

BOOST_AUTO_TEST_CASE(each_rule_of_a_plan_task) {
    struct Case {
        std::string tasks;
        std::string problem;
    };
    const std::vector<Case> cases{
        {R"([{"id":"a","role":"manager","subject":"s"}])", "tasks[0]." + roles_rule},
        {R"([{"id":"a","subject":"s"}])", "tasks[0]." + roles_rule},
        {R"([{"id":"a","role":"planner","subject":"s"}])", "tasks[0].role: a plan may not add a planner"},
        {R"([{"id":"a","role":"verifier","subject":"s"}])", "tasks[0].role: a plan may not add a verifier"},
        {R"([{"id":"a b","role":"executor","subject":"s"}])",
         "tasks[0].id must be a task id ([A-Za-z0-9._-], 1-64 characters)"},
        {R"([{"role":"executor","subject":"s"}])", "tasks[0].id must be a task id ([A-Za-z0-9._-], 1-64 characters)"},
        {R"([{"id":"a","role":"executor"}])", "tasks[0].subject must be a string"},
        {R"([{"id":"a","role":"executor","subject":"s"},{"id":"a","role":"developer","subject":"s"}])",
         "task id 'a' is used twice"},
        {R"([{"id":"executor","role":"executor","subject":"s"}])", "task id 'executor' already exists in the job"},
        {R"([{"id":"a","role":"executor","subject":"s","depends_on":["zzz"]}])",
         "task 'a' depends on 'zzz', which is not a task of the plan"},
        // depends_on may name only tasks of the same plan, not the job's.
        {R"([{"id":"a","role":"executor","subject":"s","depends_on":["planner"]}])",
         "task 'a' depends on 'planner', which is not a task of the plan"},
        {R"([{"id":"a","role":"executor","subject":"s","depends_on":"b"}])",
         "tasks[0].depends_on must be an array of task ids"},
        {R"([{"id":"a","role":"executor","subject":"s","depends_on":["b"]},
             {"id":"b","role":"executor","subject":"s","depends_on":["a"]}])",
         "the plan's dependencies form a cycle"},
        {R"([{"id":"a","role":"executor","subject":"s","depends_on":["a"]}])", "the plan's dependencies form a cycle"},
        {R"([{"id":"a","role":"executor","subject":"s","maxAttempts":9}])",
         "tasks[0].maxAttempts must be an integer between 1 and 5"},
        {R"([{"id":"a","role":"executor","subject":"s","timeoutSeconds":5}])",
         "tasks[0].timeoutSeconds must be an integer between 60 and 3600"},
        {R"([{"id":"a","role":"executor","subject":"s","requiresApproval":"yes"}])",
         "tasks[0].requiresApproval must be a boolean"},
        {R"([7])", "tasks[0] must be an object"},
    };
    for (auto& c : cases) {
        BOOST_TEST_CONTEXT("tasks " << c.tasks) {
            auto p = read(R"({"tasks":)" + c.tasks + "}");
            BOOST_TEST(p.present);
            BOOST_TEST(p.problems == (Ids{c.problem}), joined(p.problems));
        }
    }
}

BOOST_AUTO_TEST_CASE(every_problem_of_a_plan_is_listed) {
    auto p = read(R"({"tasks":[
        {"id":"a","role":"manager","subject":"s"},
        {"id":"a","role":"executor","subject":"s"},
        {"id":"verifier","role":"verifier","subject":"s","depends_on":["ghost"]},
        {"id":"x","role":"executor","subject":"s","depends_on":["y"]},
        {"id":"y","role":"executor","subject":"s","depends_on":["x"]}]})");
    BOOST_TEST(p.problems.size() == 6u, joined(p.problems));
    BOOST_TEST(has_problem(p, "tasks[0]." + roles_rule));
    BOOST_TEST(has_problem(p, "tasks[2].role: a plan may not add a verifier"));
    BOOST_TEST(has_problem(p, "task id 'a' is used twice"));
    BOOST_TEST(has_problem(p, "task id 'verifier' already exists in the job"));
    BOOST_TEST(has_problem(p, "task 'verifier' depends on 'ghost', which is not a task of the plan"));
    BOOST_TEST(has_problem(p, "the plan's dependencies form a cycle"));
}

BOOST_AUTO_TEST_CASE(a_plan_replaces_the_default_graph_of_team_and_autopilot_only_once) {
    for (auto mode : {Mode::team, Mode::autopilot}) {
        Job job;
        job.request = make_request(mode);
        BOOST_TEST(plan_replaces_graph(job));
        job.team.plan = json::object{{"summary", "first"}, {"fromTaskId", "planner"}, {"taskIds", json::array{}}};
        BOOST_TEST(!plan_replaces_graph(job)); // only the first valid plan changes the graph
    }
    for (auto mode : {Mode::pipeline, Mode::ralph, Mode::ultrawork}) {
        Job job;
        job.request = make_request(mode);
        BOOST_TEST(!plan_replaces_graph(job), "mode " << to_string(mode));
    }
    Job own;
    own.request = tasks_request({tpl("plan", Role::planner), tpl("do", Role::executor, {"plan"})});
    BOOST_TEST(!plan_replaces_graph(own)); // the client's teamTasks
}

BOOST_AUTO_TEST_CASE(the_replaceable_tasks_have_not_started_and_are_neither_planner_nor_verifier) {
    TeamState s;
    s.tasks = initial_tasks(default_graph(Mode::team, {}));
    BOOST_TEST(replaceable_task_ids(s, "team-planner") ==
               (Ids{"team-research", "team-designer", "team-developer", "team-executor"}));
    find_task(s, "team-research")->attempt = 1; // it ran before: kept
    find_task(s, "team-designer")->status = TaskStatus::succeeded;
    BOOST_TEST(replaceable_task_ids(s, "team-planner") == (Ids{"team-developer", "team-executor"}));
}

BOOST_AUTO_TEST_CASE(plan_tasks_without_dependencies_depend_on_the_planner) {
    auto p = read(R"({"tasks":[{"id":"a","role":"developer","subject":"s"},
                               {"id":"b","role":"executor","subject":"s","depends_on":["a"]},
                               {"id":"c","role":"researcher","subject":"s"}]})");
    auto graph = plan_tasks_for_graph(p, "planner");
    BOOST_REQUIRE(graph.size() == 3u);
    BOOST_TEST(graph[0].dependencies == (Ids{"planner"}));
    BOOST_TEST(graph[1].dependencies == (Ids{"a"}));
    BOOST_TEST(graph[2].dependencies == (Ids{"planner"}));
}

BOOST_AUTO_TEST_SUITE_END()
