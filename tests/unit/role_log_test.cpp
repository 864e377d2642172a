// The role logs of the tmux view: which line each event adds, to which role.
#include <boost/test/unit_test.hpp>

#include "team/core/role_log.hpp"

using namespace omx::team;
namespace json = boost::json;

namespace {

Job two_role_job() {
    Job job;
    Task planner, developer;
    planner.id = "team-planner";
    planner.role = Role::planner;
    developer.id = "team-developer";
    developer.role = Role::developer;
    job.team.tasks = {planner, developer};
    return job;
}

Event event(std::string type, json::object payload) {
    Event e;
    e.type = std::move(type);
    e.payload = std::move(payload);
    e.createdAt = 1'700'003'723'000; // 2023-11-14T23:15:23Z
    return e;
}

std::vector<RoleLine> lines_of(std::string type, json::object payload, const Job& job = two_role_job()) {
    return role_log_lines(job, event(std::move(type), std::move(payload)));
}

} // namespace

BOOST_AUTO_TEST_SUITE(role_log)

BOOST_AUTO_TEST_CASE(task_events_go_to_their_tasks_role) {
    auto started = lines_of("team.task.started", {{"taskId", "team-developer"}, {"attempt", 2}});
    BOOST_REQUIRE_EQUAL(started.size(), 1u);
    BOOST_TEST(started[0].role == "developer");
    BOOST_TEST(started[0].text.ends_with("▶ team-developer started (attempt 2)"));
    BOOST_TEST(started[0].text.substr(0, 9) == "23:15:23 "); // the event's time, UTC
}

BOOST_AUTO_TEST_CASE(agent_output_by_kind) {
    auto text = [](json::object p) {
        p["taskId"] = "team-planner";
        auto l = lines_of("team.task.output", std::move(p));
        BOOST_REQUIRE_EQUAL(l.size(), 1u);
        BOOST_TEST(l[0].role == "planner");
        return l[0].text.substr(9);
    };
    BOOST_TEST(text({{"kind", "message"}, {"text", "hello"}, {"exitCode", nullptr}}) == "hello");
    BOOST_TEST(text({{"kind", "command"}, {"text", "make test"}, {"exitCode", 2}}) == "$ make test  → exit 2");
    BOOST_TEST(text({{"kind", "command"}, {"text", "ls"}, {"exitCode", nullptr}}) == "$ ls");
    BOOST_TEST(text({{"kind", "file_change"}, {"text", "src/a.cpp"}, {"exitCode", nullptr}}) == "✎ src/a.cpp");
    BOOST_TEST(text({{"kind", "error"}, {"text", "boom"}, {"exitCode", nullptr}}) == "! boom");
}

BOOST_AUTO_TEST_CASE(results) {
    auto done = lines_of("team.task.completed", {{"taskId", "team-developer"},
                                                 {"attempt", 1},
                                                 {"result", "succeeded"},
                                                 {"output", json::object{{"summary", "added the flag\nand tests"}}}});
    BOOST_TEST(done.at(0).text.substr(9) == "✔ team-developer succeeded (attempt 1): added the flag …");
    auto failed = lines_of("team.task.completed",
                           {{"taskId", "team-developer"}, {"attempt", 3}, {"result", "failed"}, {"error", "exit 1"}});
    BOOST_TEST(failed.at(0).text.substr(9) == "✖ team-developer failed (attempt 3): exit 1");
    auto retry = lines_of("team.task.completed",
                          {{"taskId", "team-developer"}, {"attempt", 1}, {"result", "retry"}, {"error", "exit 1"}});
    BOOST_TEST(retry.at(0).text.substr(9) == "↻ team-developer will retry (attempt 1): exit 1");
}

BOOST_AUTO_TEST_CASE(the_run_end_reaches_every_role) {
    auto job = two_role_job();
    job.status = JobStatus::failed;
    job.error = "dependency team-planner failed";
    auto end = lines_of("failed", {{"error", "dependency team-planner failed"}}, job);
    BOOST_REQUIRE_EQUAL(end.size(), 2u);
    BOOST_TEST(end[0].role == "planner");
    BOOST_TEST(end[1].role == "developer");
    BOOST_TEST(end[1].text.substr(9) == "══ job failed: dependency team-planner failed ══");
}

BOOST_AUTO_TEST_CASE(events_of_no_task_add_nothing) {
    BOOST_TEST(lines_of("team.task.started", {{"taskId", "gone"}, {"attempt", 1}}).empty());
    BOOST_TEST(lines_of("team.phase_changed", {{"from", "team-plan"}, {"to", "team-exec"}}).empty());
    BOOST_TEST(job_roles(two_role_job()) == (std::vector<std::string>{"planner", "developer"}));
}

BOOST_AUTO_TEST_SUITE_END()
