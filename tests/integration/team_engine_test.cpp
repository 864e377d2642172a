// The team engine over HTTP (team.md): the real omxd with --role all runs the
// scripted agent (tests/agents/scripted_agent.py) for every role. Covers the
// default template's order, retries with backoff, fix rounds and their budget,
// verifier verdicts and the modes' presets, planner plans, the three approval
// gates, cancel (process groups gone), budgets, the mailbox and reassign, hang
// detection; every event fetched is checked against schemas.md's Events table.
// Scheduling details (parallel windows, overlap) are in team_scheduling_test.cpp.
#define BOOST_TEST_MODULE team_engine
#include <boost/test/unit_test.hpp>

#include "tests/integration/team_helpers.hpp"

using namespace omx::test;

namespace {

const std::vector<std::string> default_six{"team-planner",   "team-research", "team-designer",
                                           "team-developer", "team-executor", "team-verifier"};

// Every task started only after each of its dependencies completed (by seq and
// by createdAt), and no task started twice.
void check_dependency_order(const json::array& events, const json::value& team) {
    std::map<std::string, json::value> started, succeeded;
    for (auto& e : events) {
        auto type = str(e, "/type");
        if (type == "team.task.started") {
            auto id = str(e, "/payload/taskId");
            BOOST_TEST(!started.count(id), "started twice: " << id);
            started[id] = e;
        } else if (type == "team.task.completed" && str(e, "/payload/result") == "succeeded") {
            succeeded[str(e, "/payload/taskId")] = e;
        }
    }
    for (auto& t : at(team, "/tasks").as_array()) {
        auto id = str(t, "/id");
        BOOST_TEST_REQUIRE(started.count(id), id << " never started");
        BOOST_TEST_REQUIRE(succeeded.count(id), id << " never succeeded");
        for (auto& dep : strings_of(at(t, "/dependencies"))) {
            BOOST_TEST_REQUIRE(succeeded.count(dep), dep << " never succeeded");
            BOOST_TEST(num(started[id], "/seq") > num(succeeded[dep], "/seq"),
                       id << " started (seq) before " << dep << " completed");
            BOOST_TEST(str(started[id], "/createdAt") >= str(succeeded[dep], "/createdAt"),
                       id << " started (createdAt) before " << dep << " completed");
        }
    }
}

} // namespace

// ------------------------------------------------ 1. default template, order

BOOST_AUTO_TEST_CASE(default_team_runs_in_dependency_order_and_succeeds) {
    Engine e;
    auto c = e.client();
    auto id = create_job(c, team_job(e, "team", {}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    BOOST_TEST(at(job, "/error").is_null());

    auto team = team_of(c, id);
    BOOST_TEST(task_ids(team) == default_six);
    BOOST_TEST((string_set(at(task_of(team, "team-research"), "/dependencies")) ==
                std::set<std::string>{"team-planner"}));
    BOOST_TEST((string_set(at(task_of(team, "team-developer"), "/dependencies")) ==
                std::set<std::string>{"team-research", "team-designer"}));
    BOOST_TEST(num(task_of(team, "team-developer"), "/maxAttempts") == 2);
    BOOST_TEST(num(task_of(team, "team-developer"), "/timeoutSeconds") == 3600);
    BOOST_TEST(num(task_of(team, "team-executor"), "/maxAttempts") == 1);
    BOOST_TEST(num(task_of(team, "team-executor"), "/timeoutSeconds") == 1200);
    BOOST_TEST(str(team, "/phase") == "complete");

    auto events = job_events(c, id);
    check_dependency_order(events, team);
    auto types = event_types(events);
    BOOST_TEST_REQUIRE(types.size() > 4u);
    BOOST_TEST(types.front() == "queued");
    BOOST_TEST(types.back() == "completed", types_text(events));
    for (auto t : {"started", "job.status", "workspace_ready", "team.task.output", "team.phase_changed",
                   "team.completed"})
        BOOST_TEST(std::count(types.begin(), types.end(), t) >= 1, t << " missing: " << types_text(events));

    // The phases follow the stages.
    std::vector<std::string> phases;
    for (auto& p : at(team, "/phaseHistory").as_array())
        phases.push_back(str(p, "/phase"));
    std::vector<std::string> want{"team-plan", "team-prd", "team-exec", "team-verify", "complete"};
    BOOST_TEST(phases == want, "phaseHistory " << dump(at(team, "/phaseHistory")));

    // Job output: six tasks, each succeeded on its first attempt.
    const auto& out = at(job, "/output");
    check_job_output(out, "job output");
    BOOST_TEST(str(out, "/phase") == "complete");
    BOOST_TEST(num(out, "/fixAttempts") == 0);
    BOOST_TEST_REQUIRE(at(out, "/tasks").as_array().size() == 6u, dump(out));
    for (auto& t : at(out, "/tasks").as_array()) {
        BOOST_TEST(str(t, "/status") == "succeeded");
        BOOST_TEST(num(t, "/attempt") == 1);
    }
    BOOST_TEST(num(out, "/usage/totalTokens") == 6 * 15); // the agent reports 10 in + 5 out

    // Each agent saw its own task's variables.
    auto r = recorded(e, id, "team-designer", 1);
    BOOST_TEST_REQUIRE(!r.is_null());
    BOOST_TEST(str(r, "/JOB_ROLE") == "designer");
    BOOST_TEST(str(r, "/JOB_ATTEMPT") == "1");
    BOOST_TEST(str(r, "/JOB_MODE") == "team");
    BOOST_TEST(str(r, "/JOB_ID") == id);
}

// --------------------------------------------------- 2. retries and fix rounds

BOOST_AUTO_TEST_CASE(failed_attempt_is_retried_after_backoff_until_success) {
    Engine e({"--backoff-base", "30"}); // 30 s * 0.01 = 0.3 s first delay
    auto c = e.client();
    auto id = create_job(c, team_job(e, "team", {{"roles", {{"developer", json::array{json::object{{"exit", 1}}, json::object{}}}}}}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));

    auto events = job_events(c, id);
    auto done = of_type(events, "team.task.completed", "team-developer");
    BOOST_TEST_REQUIRE(done.size() == 2u, types_text(events));
    BOOST_TEST(str(done[0], "/payload/result") == "retry");
    BOOST_TEST(num(done[0], "/payload/attempt") == 1);
    BOOST_TEST(str(done[0], "/payload/errorClass") == "exit");
    BOOST_TEST(at(done[0], "/payload/error").is_string());
    BOOST_TEST_REQUIRE(is_timestamp(at(done[0], "/payload/notBefore")), dump(done[0]));
    auto not_before = str(done[0], "/payload/notBefore");
    BOOST_TEST(not_before > str(done[0], "/createdAt"), dump(done[0]));
    BOOST_TEST(str(done[1], "/payload/result") == "succeeded");
    BOOST_TEST(num(done[1], "/payload/attempt") == 2);
    BOOST_TEST(at(done[1], "/payload/notBefore").is_null());
    auto starts = of_type(events, "team.task.started", "team-developer");
    BOOST_TEST_REQUIRE(starts.size() == 2u);
    BOOST_TEST(num(starts[1], "/payload/attempt") == 2);
    BOOST_TEST(str(starts[1], "/createdAt") >= not_before, "retry started before its notBefore");
    BOOST_TEST(of_type(events, "team.retry").empty(), "a retry within maxAttempts is no fix round");

    auto dev = task_of(team_of(c, id), "team-developer");
    BOOST_TEST(num(dev, "/attempt") == 2);
    BOOST_TEST(num(dev, "/failures") == 1);
    BOOST_TEST(at(dev, "/notBefore").is_null());
    BOOST_TEST(num(team_of(c, id), "/fixAttempts") == 0);
    // The retry's prompt says what went wrong.
    auto error = str(done[0], "/payload/error");
    BOOST_TEST(contains(recorded_prompt(e, id, "team-developer", 2), error), "prompt lacks " << error);
}

BOOST_AUTO_TEST_CASE(exhausted_attempts_start_a_fix_round_over_the_fix_path_with_the_error_as_feedback) {
    Engine e;
    auto c = e.client();
    auto fail = json::object{{"exit", 3}, {"stderr", "compile error: widget.cpp:12"}};
    auto id = create_job(c, team_job(e, "team", {{"roles", {{"developer", json::array{fail, fail, json::object{}}}}}}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));

    auto events = job_events(c, id);
    auto done = of_type(events, "team.task.completed", "team-developer");
    BOOST_TEST_REQUIRE(done.size() == 3u, types_text(events));
    BOOST_TEST(str(done[0], "/payload/result") == "retry");
    BOOST_TEST(str(done[1], "/payload/result") == "failed");
    BOOST_TEST(str(done[2], "/payload/result") == "succeeded");
    auto retries = of_type(events, "team.retry");
    BOOST_TEST_REQUIRE(retries.size() == 1u, types_text(events));
    const auto& retry = retries[0];
    BOOST_TEST(num(retry, "/payload/fixAttempt") == 1);
    BOOST_TEST(num(retry, "/payload/maxFixAttempts") == 2);
    // The fix path of a failed task: itself and everything downstream, nothing else.
    BOOST_TEST(set_text(string_set(at(retry, "/payload/resetTaskIds"))) ==
               set_text({"team-developer", "team-executor", "team-verifier"}));
    // The fix round starts only after the failure, and the phase says so.
    BOOST_TEST(num(retry, "/seq") > num(done[1], "/seq"));
    bool fix_phase = false;
    for (auto& p : of_type(events, "team.phase_changed"))
        fix_phase |= str(p, "/payload/to") == "team-fix" && str(p, "/payload/reason") == "fix_attempt";
    BOOST_TEST(fix_phase, types_text(events));

    // Earlier tasks were not re-run; the reset ones ran again.
    auto team = team_of(c, id);
    BOOST_TEST(num(team, "/fixAttempts") == 1);
    BOOST_TEST(num(task_of(team, "team-planner"), "/attempt") == 1);
    BOOST_TEST(num(task_of(team, "team-research"), "/attempt") == 1);
    BOOST_TEST(num(task_of(team, "team-designer"), "/attempt") == 1);
    BOOST_TEST(num(task_of(team, "team-developer"), "/attempt") == 3);
    BOOST_TEST(num(task_of(team, "team-developer"), "/failures") == 0); // reset by the fix round
    BOOST_TEST(num(task_of(team, "team-executor"), "/attempt") == 1);   // it had not run before
    BOOST_TEST(num(job, "/output/fixAttempts") == 1);

    // The failure is the next prompt's feedback.
    auto error = str(done[1], "/payload/error");
    BOOST_TEST(!error.empty());
    auto prompt = recorded_prompt(e, id, "team-developer", 3);
    BOOST_TEST(contains(prompt, error), "attempt 3 prompt lacks the error '" << error << "': " << prompt);
    BOOST_TEST(contains(prompt, "compile error: widget.cpp:12"), prompt);
}

BOOST_AUTO_TEST_CASE(spent_fix_budget_fails_the_job_naming_the_task_and_cancels_the_rest) {
    Engine e;
    auto c = e.client();
    auto script = json::object{{"roles", {{"developer", {{"exit", 1}}}}}};
    auto none = create_job(c, team_job(e, "team", script, {{"team", {{"maxFixAttempts", 0}}}}));
    auto one = create_job(c, team_job(e, "team", script, {{"team", {{"maxFixAttempts", 1}}}}));

    for (auto& [id, fixes] : std::vector<std::pair<std::string, int>>{{none, 0}, {one, 1}}) {
        BOOST_TEST_CONTEXT("maxFixAttempts " << fixes) {
            auto job = wait_terminal(c, id);
            BOOST_TEST_REQUIRE(str(job, "/status") == "failed", dump(job));
            auto error = str(job, "/error");
            BOOST_TEST(contains(error, "team-developer"), error);
            auto events = job_events(c, id);
            BOOST_TEST(of_type(events, "team.retry").size() == std::size_t(fixes), types_text(events));
            auto dev = of_type(events, "team.task.completed", "team-developer");
            BOOST_TEST_REQUIRE(dev.size() == std::size_t(2 * (fixes + 1)), types_text(events));
            // The job's error carries the task's reason.
            BOOST_TEST(contains(error, str(dev.back(), "/payload/error")), error);
            auto failed = of_type(events, "failed");
            BOOST_TEST_REQUIRE(failed.size() == 1u);
            BOOST_TEST(str(failed[0], "/payload/taskId") == "team-developer");
            BOOST_TEST(str(failed[0], "/payload/error") == error);
            BOOST_TEST(str(events.back(), "/type") == "failed",
                       types_text(events));
            for (auto task : {"team-executor", "team-verifier"}) {
                auto canceled = of_type(events, "team.task.canceled", task);
                BOOST_TEST_REQUIRE(canceled.size() == 1u, task << ": " << types_text(events));
                BOOST_TEST(contains(str(canceled[0], "/payload/reason"), "dependency team-developer failed"),
                           dump(canceled[0]));
            }
            auto team = team_of(c, id);
            BOOST_TEST(str(team, "/phase") == "failed");
            BOOST_TEST(num(team, "/fixAttempts") == fixes);
            BOOST_TEST(str(task_of(team, "team-developer"), "/status") == "failed");
            BOOST_TEST(str(task_of(team, "team-executor"), "/status") == "canceled");
            BOOST_TEST(contains(str(task_of(team, "team-executor"), "/error"), "dependency team-developer failed"));
            BOOST_TEST(str(task_of(team, "team-research"), "/status") == "succeeded");
            BOOST_TEST(num(task_of(team, "team-developer"), "/attempt") == 2 * (fixes + 1));
            BOOST_TEST(recorded(e, id, "team-executor", 1).is_null(), "executor ran");
            BOOST_TEST(!at(job, "/output").is_null());
        }
    }
}
