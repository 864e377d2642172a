// The team engine over HTTP (team.md): the real omxd with --role all runs the
// scripted agent (tests/agents/scripted_agent.py) for every role. Covers the
// default template's order, retries with backoff, fix rounds and their budget,
// verifier verdicts and the modes' presets, planner plans, the three approval
// gates, cancel (process groups gone), budgets, the mailbox and reassign, hang
// detection; every event fetched is checked against schemas.md's Events table.
// Scheduling details (parallel windows, overlap) are in team_scheduling_test.cpp.
#define BOOST_TEST_MODULE team_engine
#include <boost/test/tree/test_case_counter.hpp>
#include <boost/test/tree/traverse.hpp>
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
    for (auto t : {"started", "job.status", "workspace_ready", "team.task.output",
                   "team.phase_changed", "team.completed"})
        BOOST_TEST(std::count(types.begin(), types.end(), t) >= 1,
                   t << " missing: " << types_text(events));

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
    auto id = create_job(
        c, team_job(e, "team",
                    {{"roles",
                      {{"developer", json::array{json::object{{"exit", 1}}, json::object{}}}}}}));
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
    BOOST_TEST(contains(recorded_prompt(e, id, "team-developer", 2), error),
               "prompt lacks " << error);
}

BOOST_AUTO_TEST_CASE(
    exhausted_attempts_start_a_fix_round_over_the_fix_path_with_the_error_as_feedback) {
    Engine e;
    auto c = e.client();
    auto fail = json::object{{"exit", 3}, {"stderr", "compile error: widget.cpp:12"}};
    auto id = create_job(
        c,
        team_job(e, "team", {{"roles", {{"developer", json::array{fail, fail, json::object{}}}}}}));
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
        fix_phase |=
            str(p, "/payload/to") == "team-fix" && str(p, "/payload/reason") == "fix_attempt";
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
    BOOST_TEST(contains(prompt, error),
               "attempt 3 prompt lacks the error '" << error << "': " << prompt);
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
            BOOST_TEST(of_type(events, "team.retry").size() == std::size_t(fixes),
                       types_text(events));
            auto dev = of_type(events, "team.task.completed", "team-developer");
            BOOST_TEST_REQUIRE(dev.size() == std::size_t(2 * (fixes + 1)), types_text(events));
            // The job's error carries the task's reason.
            BOOST_TEST(contains(error, str(dev.back(), "/payload/error")), error);
            auto failed = of_type(events, "failed");
            BOOST_TEST_REQUIRE(failed.size() == 1u);
            BOOST_TEST(str(failed[0], "/payload/taskId") == "team-developer");
            BOOST_TEST(str(failed[0], "/payload/error") == error);
            BOOST_TEST(str(events.back(), "/type") == "failed", types_text(events));
            for (auto task : {"team-executor", "team-verifier"}) {
                auto canceled = of_type(events, "team.task.canceled", task);
                BOOST_TEST_REQUIRE(canceled.size() == 1u, task << ": " << types_text(events));
                BOOST_TEST(contains(str(canceled[0], "/payload/reason"),
                                    "dependency team-developer failed"),
                           dump(canceled[0]));
            }
            auto team = team_of(c, id);
            BOOST_TEST(str(team, "/phase") == "failed");
            BOOST_TEST(num(team, "/fixAttempts") == fixes);
            BOOST_TEST(str(task_of(team, "team-developer"), "/status") == "failed");
            BOOST_TEST(str(task_of(team, "team-executor"), "/status") == "canceled");
            BOOST_TEST(contains(str(task_of(team, "team-executor"), "/error"),
                                "dependency team-developer failed"));
            BOOST_TEST(str(task_of(team, "team-research"), "/status") == "succeeded");
            BOOST_TEST(num(task_of(team, "team-developer"), "/attempt") == 2 * (fixes + 1));
            BOOST_TEST(recorded(e, id, "team-executor", 1).is_null(), "executor ran");
            BOOST_TEST(!at(job, "/output").is_null());
        }
    }
}

// ------------------------------------------- 3. verifier verdicts and modes

namespace {

json::object verdict_fail(std::string finding) {
    return {{"structured", {{"status", "fail"}, {"findings", json::array{json::value(finding)}}}}};
}
json::object verdict_pass() {
    return {{"structured", {{"status", "pass"}, {"findings", json::array{}}}}};
}

} // namespace

BOOST_AUTO_TEST_CASE(failing_verdict_starts_a_fix_round_with_the_findings_then_passes) {
    Engine e;
    auto c = e.client();
    auto id = create_job(
        c, team_job(e, "team",
                    {{"roles",
                      {{"verifier", json::array{verdict_fail("the --verbose flag is missing"),
                                                verdict_pass()}}}}}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    BOOST_TEST(num(job, "/output/fixAttempts") == 1);

    auto events = job_events(c, id);
    auto verdicts = of_type(events, "team.task.completed", "team-verifier");
    BOOST_TEST_REQUIRE(verdicts.size() == 2u, types_text(events));
    BOOST_TEST(str(verdicts[0], "/payload/result") == "failed", dump(verdicts[0]));
    BOOST_TEST(str(verdicts[1], "/payload/result") == "succeeded");
    auto retries = of_type(events, "team.retry");
    BOOST_TEST_REQUIRE(retries.size() == 1u, types_text(events));
    // A failing verifier's fix path: its developer/executor ancestors, what is
    // downstream of them, and the verifier.
    BOOST_TEST(set_text(string_set(at(retries[0], "/payload/resetTaskIds"))) ==
               set_text({"team-developer", "team-executor", "team-verifier"}));
    BOOST_TEST(contains(dump(at(retries[0], "/payload/feedback")), "the --verbose flag is missing"),
               dump(retries[0]));

    auto team = team_of(c, id);
    BOOST_TEST(num(task_of(team, "team-planner"), "/attempt") == 1);
    BOOST_TEST(num(task_of(team, "team-designer"), "/attempt") == 1);
    BOOST_TEST(num(task_of(team, "team-developer"), "/attempt") == 2);
    BOOST_TEST(num(task_of(team, "team-executor"), "/attempt") == 2);
    BOOST_TEST(num(task_of(team, "team-verifier"), "/attempt") == 2);
    for (auto task : {"team-developer", "team-executor", "team-verifier"})
        BOOST_TEST(contains(recorded_prompt(e, id, task, 2), "the --verbose flag is missing"),
                   task);
    BOOST_TEST(
        !contains(recorded_prompt(e, id, "team-developer", 1), "the --verbose flag is missing"));
    std::vector<std::string> to;
    for (auto& p : of_type(events, "team.phase_changed"))
        to.push_back(str(p, "/payload/to") + "/" + str(p, "/payload/reason"));
    BOOST_TEST(std::count(to.begin(), to.end(), "team-fix/fix_attempt") == 1, types_text(events));
    BOOST_TEST(to.back() == "complete/complete");
}

BOOST_AUTO_TEST_CASE(ralph_loops_executor_and_verifier_until_the_verdict_passes) {
    Engine e;
    auto c = e.client();
    auto id = create_job(
        c, team_job(e, "ralph",
                    {{"roles",
                      {{"verifier", json::array{verdict_fail("finding one"),
                                                verdict_fail("finding two"), verdict_pass()}}}}}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    BOOST_TEST(num(job, "/options/team/maxFixAttempts") == 5);
    BOOST_TEST(num(job, "/output/fixAttempts") == 2);

    auto team = team_of(c, id);
    BOOST_TEST(task_ids(team) == (std::vector<std::string>{"executor", "verifier"}));
    BOOST_TEST(strings_of(at(task_of(team, "verifier"), "/dependencies")) ==
               std::vector<std::string>{"executor"});
    BOOST_TEST(num(task_of(team, "executor"), "/attempt") == 3);
    BOOST_TEST(num(task_of(team, "verifier"), "/attempt") == 3);
    BOOST_TEST(contains(recorded_prompt(e, id, "executor", 2), "finding one"));
    BOOST_TEST(contains(recorded_prompt(e, id, "executor", 3), "finding two"));
    auto events = job_events(c, id);
    auto retries = of_type(events, "team.retry");
    BOOST_TEST_REQUIRE(retries.size() == 2u, types_text(events));
    BOOST_TEST(num(retries[1], "/payload/fixAttempt") == 2);
    BOOST_TEST(num(retries[1], "/payload/maxFixAttempts") == 5);
    for (auto& r : retries)
        BOOST_TEST(set_text(string_set(at(r, "/payload/resetTaskIds"))) ==
                   set_text({"executor", "verifier"}));
}

BOOST_AUTO_TEST_CASE(ralph_fails_once_the_fix_budget_is_spent) {
    Engine e;
    auto c = e.client();
    auto id = create_job(c, team_job(e, "ralph",
                                     {{"roles", {{"verifier", verdict_fail("still broken")}}}},
                                     {{"team", {{"maxFixAttempts", 1}}}}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "failed", dump(job));
    BOOST_TEST(contains(str(job, "/error"), "verifier"), dump(job));
    BOOST_TEST(num(team_of(c, id), "/fixAttempts") == 1);
    BOOST_TEST(num(task_of(team_of(c, id), "verifier"), "/attempt") == 2);
    job_events(c, id);
}

BOOST_AUTO_TEST_CASE(autopilot_chains_planner_executor_verifier) {
    Engine e;
    auto c = e.client();
    auto id = create_job(c, team_job(e, "autopilot", {}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    auto team = team_of(c, id);
    BOOST_TEST(task_ids(team) == (std::vector<std::string>{"planner", "executor", "verifier"}));
    BOOST_TEST(strings_of(at(task_of(team, "executor"), "/dependencies")) ==
               std::vector<std::string>{"planner"});
    BOOST_TEST(strings_of(at(task_of(team, "verifier"), "/dependencies")) ==
               std::vector<std::string>{"executor"});
    BOOST_TEST(num(job, "/options/team/maxFixAttempts") == 2);
    auto events = job_events(c, id);
    check_dependency_order(events, team);
    auto tl = timeline(e, id);
    BOOST_TEST(tl["planner#1"].end <= tl["executor#1"].start);
    BOOST_TEST(tl["executor#1"].end <= tl["verifier#1"].start);
}

// --------------------------------------------------------- 4. planner plans

BOOST_AUTO_TEST_CASE(a_plan_replaces_the_templates_downstream_tasks_except_the_verifier) {
    Engine e;
    auto c = e.client();
    json::object plan{
        {"plan_summary", "Add the flag, then wire it"},
        {"tasks",
         json::array{
             json::object{{"id", "add-flag"}, {"role", "developer"}, {"subject", "Add --verbose"}},
             json::object{{"id", "wire-flag"},
                          {"role", "executor"},
                          {"subject", "Wire it in"},
                          {"depends_on", json::array{"add-flag"}}},
             json::object{{"id", "docs"},
                          {"role", "researcher"},
                          {"description", "Find the docs to update"}},
         }}};
    auto id =
        create_job(c, team_job(e, "team", {{"roles", {{"planner", {{"structured", plan}}}}}}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));

    auto events = job_events(c, id);
    auto ready = of_type(events, "team.plan_ready");
    BOOST_TEST_REQUIRE(ready.size() == 1u, types_text(events));
    BOOST_TEST(str(ready[0], "/payload/fromTaskId") == "team-planner");
    BOOST_TEST(str(ready[0], "/payload/summary") == "Add the flag, then wire it");
    BOOST_TEST(set_text(string_set(at(ready[0], "/payload/removedTaskIds"))) ==
               set_text({"team-research", "team-designer", "team-developer", "team-executor"}));
    BOOST_TEST(at(ready[0], "/payload/added").as_array().size() == 3u);

    auto team = team_of(c, id);
    auto ids = task_ids(team);
    BOOST_TEST(set_text({ids.begin(), ids.end()}) ==
               set_text({"team-planner", "add-flag", "wire-flag", "docs", "team-verifier"}));
    BOOST_TEST(strings_of(at(task_of(team, "add-flag"), "/dependencies")) ==
               std::vector<std::string>{"team-planner"});
    BOOST_TEST(strings_of(at(task_of(team, "docs"), "/dependencies")) ==
               std::vector<std::string>{"team-planner"});
    BOOST_TEST(strings_of(at(task_of(team, "wire-flag"), "/dependencies")) ==
               std::vector<std::string>{"add-flag"});
    BOOST_TEST(set_text(string_set(at(task_of(team, "team-verifier"), "/dependencies"))) ==
               set_text({"wire-flag", "docs"}));
    BOOST_TEST(str(task_of(team, "docs"), "/name") == "Find the docs to update");
    const auto& p = at(team, "/plan");
    BOOST_TEST_REQUIRE(p.is_object(), dump(team));
    BOOST_TEST(joined_keys(keys_of(p)) == "fromTaskId,summary,taskIds");
    BOOST_TEST(str(p, "/summary") == "Add the flag, then wire it");
    BOOST_TEST(str(p, "/fromTaskId") == "team-planner");
    BOOST_TEST(set_text(string_set(at(p, "/taskIds"))) ==
               set_text({"add-flag", "wire-flag", "docs"}));
    check_dependency_order(events, team);
    for (auto task : {"team-research", "team-designer", "team-developer", "team-executor"})
        BOOST_TEST(of_type(events, "team.task.started", task).empty(), task << " ran");
    BOOST_TEST(at(job, "/output/tasks").as_array().size() == 5u);
    BOOST_TEST(str(recorded(e, id, "docs", 1), "/JOB_ROLE") == "researcher");
}

BOOST_AUTO_TEST_CASE(an_invalid_plan_fails_the_planner_attempt_listing_every_problem) {
    Engine e;
    auto c = e.client();
    json::object bad{
        {"plan_summary", "broken"},
        {"tasks", json::array{
                      json::object{{"id", "a"},
                                   {"role", "developer"},
                                   {"subject", "A"},
                                   {"depends_on", json::array{"b"}}},
                      json::object{{"id", "b"},
                                   {"role", "developer"},
                                   {"subject", "B"},
                                   {"depends_on", json::array{"a"}}},
                      json::object{{"id", "c"}, {"role", "wizard"}, {"subject", "C"}},
                      json::object{{"id", "d"}, {"role", "verifier"}, {"subject", "D"}},
                  }}};
    auto script = json::object{
        {"roles", {{"planner", json::array{json::object{{"structured", bad}}, json::object{}}}}}};
    auto fixed = create_job(c, team_job(e, "team", script));
    auto failing = create_job(c, team_job(e, "team", script, {{"team", {{"maxFixAttempts", 0}}}}));

    // With fix rounds left: the failure resets the planner and everything after it,
    // the next attempt (no plan) succeeds and the default template runs.
    auto job = wait_terminal(c, fixed);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    auto events = job_events(c, fixed);
    auto invalid = of_type(events, "team.task.validation_failed", "team-planner");
    BOOST_TEST_REQUIRE(invalid.size() == 1u, types_text(events));
    auto problems = strings_of(at(invalid[0], "/payload/problems"));
    BOOST_TEST(problems.size() >= 3u, joined(problems));
    auto all = joined(problems);
    std::string lower;
    for (char ch : all)
        lower += char(std::tolower(static_cast<unsigned char>(ch)));
    BOOST_TEST(contains(lower, "cycle"), all);
    BOOST_TEST(contains(all, "tasks[2].role"), all);
    BOOST_TEST(contains(lower, "verifier"), all);
    auto done = of_type(events, "team.task.completed", "team-planner");
    BOOST_TEST_REQUIRE(done.size() == 2u);
    BOOST_TEST(str(done[0], "/payload/result") == "failed");
    BOOST_TEST(str(done[0], "/payload/errorClass") == "validation");
    BOOST_TEST(of_type(events, "team.plan_ready").empty());
    auto retries = of_type(events, "team.retry");
    BOOST_TEST_REQUIRE(retries.size() == 1u);
    BOOST_TEST(set_text(string_set(at(retries[0], "/payload/resetTaskIds"))) ==
               set_text({default_six.begin(), default_six.end()}));
    BOOST_TEST(task_ids(team_of(c, fixed)) == default_six);
    BOOST_TEST(contains(recorded_prompt(e, fixed, "team-planner", 2), "tasks[2].role"),
               "the planner's feedback names its problems");

    // Without: the job fails naming the planner.
    job = wait_terminal(c, failing);
    BOOST_TEST_REQUIRE(str(job, "/status") == "failed", dump(job));
    BOOST_TEST(contains(str(job, "/error"), "team-planner"), dump(job));
    events = job_events(c, failing);
    BOOST_TEST(of_type(events, "team.task.validation_failed", "team-planner").size() == 1u);
    BOOST_TEST(of_type(events, "team.task.canceled").size() == 5u, types_text(events));
}

BOOST_AUTO_TEST_CASE(an_invalid_plan_is_retried_within_the_planners_attempts) {
    Engine e;
    auto c = e.client();
    json::object bad{{"plan_summary", "unknown dependency"},
                     {"tasks", json::array{json::object{{"id", "x"},
                                                        {"role", "developer"},
                                                        {"subject", "X"},
                                                        {"depends_on", json::array{"nope"}}}}}};
    json::array tasks{
        json::object{{"id", "plan"}, {"name", "Plan it"}, {"role", "planner"}, {"maxAttempts", 2}},
        json::object{{"id", "do"},
                     {"name", "Do it"},
                     {"role", "executor"},
                     {"dependencies", json::array{"plan"}}},
    };
    auto id = create_job(
        c, team_job(e, "team",
                    {{"tasks",
                      {{"plan", json::array{json::object{{"structured", bad}}, json::object{}}}}}},
                    {{"team", {{"teamTasks", tasks}}}}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    auto events = job_events(c, id);
    auto invalid = of_type(events, "team.task.validation_failed", "plan");
    BOOST_TEST_REQUIRE(invalid.size() == 1u, types_text(events));
    BOOST_TEST(contains(dump(at(invalid[0], "/payload/problems")), "nope"), dump(invalid[0]));
    auto done = of_type(events, "team.task.completed", "plan");
    BOOST_TEST_REQUIRE(done.size() == 2u);
    BOOST_TEST(str(done[0], "/payload/result") == "retry");
    BOOST_TEST(str(done[0], "/payload/errorClass") == "validation");
    BOOST_TEST(of_type(events, "team.retry").empty());
    BOOST_TEST(task_ids(team_of(c, id)) == (std::vector<std::string>{"plan", "do"}));
}

// ------------------------------------------------------------------ 5. gates

namespace {

json::object asks_approval(std::string reason) {
    return {{"structured", {{"requiresApproval", true}, {"reason", reason}}}};
}

std::size_t recorded_attempts(const Engine& e, const std::string& job) {
    std::size_t n = 0;
    for (auto& entry : fs::directory_iterator(e.record))
        n += entry.path().filename().string().starts_with(job + "-");
    return n;
}

} // namespace

BOOST_AUTO_TEST_CASE(job_gate_approve_starts_the_run) {
    Engine e;
    auto c = e.client();
    auto r = c.post_json("/v1/jobs", team_job(e, "autopilot", {}, {{"requireApproval", true}}));
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    BOOST_TEST(str(r.json(), "/status") == "waiting_approval");
    auto id = str(r.json(), "/jobId");

    std::this_thread::sleep_for(300ms); // the engine had time to start something, had it wanted to
    auto job = get_json(c, job_url(id));
    BOOST_TEST(str(job, "/status") == "waiting_approval");
    BOOST_TEST(str(job, "/approvalState") == "required");
    BOOST_TEST(recorded_attempts(e, id) == 0u);
    auto overview = get_json(c, "/v1/monitor/overview");
    BOOST_TEST(contains(dump(at(overview, "/waitingApprovals")), id), dump(overview));

    auto a = action(c, id, "approve", comment_body("ship it"));
    BOOST_TEST_REQUIRE(a.status == 200, a.body);
    BOOST_TEST(str(a.json(), "/approvalState") == "approved");
    job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    BOOST_TEST(str(job, "/approvalState") == "approved");

    auto events = job_events(c, id);
    auto asked = of_type(events, "approval_required");
    BOOST_TEST_REQUIRE(asked.size() == 1u, types_text(events));
    BOOST_TEST(str(asked[0], "/payload/gate") == "job");
    BOOST_TEST(at(asked[0], "/payload/taskId").is_null());
    auto decided = of_type(events, "approval");
    BOOST_TEST_REQUIRE(decided.size() == 1u);
    BOOST_TEST(str(decided[0], "/payload/decision") == "approved");
    BOOST_TEST(str(decided[0], "/payload/gate") == "job");
    BOOST_TEST(str(decided[0], "/payload/comment") == "ship it");
    auto starts = of_type(events, "team.task.started");
    BOOST_TEST_REQUIRE(!starts.empty());
    BOOST_TEST(num(starts[0], "/seq") > num(decided[0], "/seq"));
}

BOOST_AUTO_TEST_CASE(job_gate_reject_fails_the_job_and_cancels_every_task) {
    Engine e;
    auto c = e.client();
    auto id = create_job(c, team_job(e, "team", {}, {{"requireApproval", true}}));
    wait_status(c, id, "waiting_approval");
    auto a = action(c, id, "reject", comment_body("not now"));
    BOOST_TEST_REQUIRE(a.status == 200, a.body);
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "failed", dump(job));
    BOOST_TEST(str(job, "/error") == "Rejected by approver");
    BOOST_TEST(str(job, "/approvalState") == "rejected");
    auto team = team_of(c, id);
    for (auto& t : at(team, "/tasks").as_array())
        BOOST_TEST(str(t, "/status") == "canceled", dump(t));
    BOOST_TEST(recorded_attempts(e, id) == 0u);
    auto events = job_events(c, id);
    BOOST_TEST(of_type(events, "team.retry").empty());
    BOOST_TEST(of_type(events, "team.task.canceled").size() == 6u, types_text(events));
    auto decided = of_type(events, "approval");
    BOOST_TEST_REQUIRE(decided.size() == 1u);
    BOOST_TEST(str(decided[0], "/payload/decision") == "rejected");
    BOOST_TEST(str(decided[0], "/payload/comment") == "not now");
    BOOST_TEST(action(c, id, "approve").status == 409);
}

BOOST_AUTO_TEST_CASE(task_gate_before_waits_for_the_task_approve_route) {
    Engine e;
    auto c = e.client();
    json::array tasks{
        json::object{{"id", "build"}, {"name", "Build it"}, {"role", "developer"}},
        json::object{{"id", "ship"},
                     {"name", "Ship it"},
                     {"role", "executor"},
                     {"dependencies", json::array{"build"}},
                     {"requiresApproval", true}},
    };
    auto id = create_job(c, team_job(e, "team", {}, {{"team", {{"teamTasks", tasks}}}}));
    auto job = wait_status(c, id, "waiting_approval");
    BOOST_TEST(str(job, "/approvalState") == "required");
    auto team = team_of(c, id);
    BOOST_TEST(str(task_of(team, "build"), "/status") == "succeeded");
    auto ship = task_of(team, "ship");
    BOOST_TEST(str(ship, "/status") == "queued");
    BOOST_TEST(num(ship, "/attempt") == 0);
    BOOST_TEST_REQUIRE(at(ship, "/approval").is_object(), dump(ship));
    BOOST_TEST(str(ship, "/approval/stage") == "before");
    BOOST_TEST(str(team, "/approvalTaskId") == "ship");

    // Only the task whose approval is pending can be approved.
    BOOST_TEST(task_action(c, id, "build", "approve").status == 409);
    auto a = task_action(c, id, "ship", "approve", comment_body("release window is open"));
    BOOST_TEST_REQUIRE(a.status == 200, a.body);
    job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    team = team_of(c, id);
    BOOST_TEST(at(task_of(team, "ship"), "/approval").is_null());
    BOOST_TEST(at(team, "/approvalTaskId").is_null());
    // api.md, Actions: the comment of a task approval is "shown to the agent's next run".
    BOOST_TEST(contains(recorded_prompt(e, id, "ship", 1), "release window is open"),
               recorded_prompt(e, id, "ship", 1));

    auto events = job_events(c, id);
    auto asked = of_type(events, "team.task.approval_required", "ship");
    BOOST_TEST_REQUIRE(asked.size() == 1u, types_text(events));
    BOOST_TEST(str(asked[0], "/payload/stage") == "before");
    auto gate = of_type(events, "approval_required", "ship");
    BOOST_TEST_REQUIRE(gate.size() == 1u);
    BOOST_TEST(str(gate[0], "/payload/gate") == "before");
    auto decided = of_type(events, "approval", "ship");
    BOOST_TEST_REQUIRE(decided.size() == 1u);
    BOOST_TEST(str(decided[0], "/payload/gate") == "before");
    BOOST_TEST(str(decided[0], "/payload/comment") == "release window is open");
    BOOST_TEST(num(of_type(events, "team.task.started", "ship").at(0), "/seq") >
               num(decided[0], "/seq"));
}

BOOST_AUTO_TEST_CASE(agent_requested_gate_approved_reruns_the_task_with_the_comment) {
    Engine e;
    auto c = e.client();
    auto id = create_job(
        c, team_job(e, "team",
                    {{"roles",
                      {{"developer", json::array{asks_approval("needs a schema migration"),
                                                 json::object{}}}}}}));
    auto job = wait_status(c, id, "waiting_approval");
    BOOST_TEST(str(job, "/approvalState") == "required");
    auto dev = task_of(team_of(c, id), "team-developer");
    BOOST_TEST(str(dev, "/status") == "queued");
    BOOST_TEST(str(dev, "/approval/stage") == "after");
    BOOST_TEST(str(dev, "/approval/reason") == "needs a schema migration");
    BOOST_TEST(num(dev, "/failures") == 0);
    BOOST_TEST(recorded(e, id, "team-executor", 1).is_null());

    auto a = task_action(c, id, "team-developer", "approve",
                         comment_body("go ahead, back up the db first"));
    BOOST_TEST_REQUIRE(a.status == 200, a.body);
    job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    dev = task_of(team_of(c, id), "team-developer");
    BOOST_TEST(num(dev, "/attempt") == 2);
    BOOST_TEST(num(dev, "/failures") == 0); // an approval re-run is no failure
    BOOST_TEST(at(dev, "/approval").is_null());
    auto prompt = recorded_prompt(e, id, "team-developer", 2);
    BOOST_TEST(contains(prompt, "go ahead, back up the db first"), prompt);
    BOOST_TEST(!contains(recorded_prompt(e, id, "team-developer", 1), "go ahead"));

    auto events = job_events(c, id);
    auto done = of_type(events, "team.task.completed", "team-developer");
    BOOST_TEST_REQUIRE(done.size() == 2u);
    BOOST_TEST(str(done[0], "/payload/result") == "approval");
    auto gate = of_type(events, "approval_required", "team-developer");
    BOOST_TEST_REQUIRE(gate.size() == 1u, types_text(events));
    BOOST_TEST(str(gate[0], "/payload/gate") == "after");
    BOOST_TEST(str(gate[0], "/payload/reason") == "needs a schema migration");
    BOOST_TEST(of_type(events, "team.retry").empty());
}

BOOST_AUTO_TEST_CASE(agent_requested_gate_rejected_fails_the_job_and_resume_runs_it_again) {
    Engine e;
    auto c = e.client();
    auto id =
        create_job(c, team_job(e, "team",
                               {{"roles",
                                 {{"developer", json::array{asks_approval("drop the old table?"),
                                                            json::object{}}}}}}));
    wait_status(c, id, "waiting_approval");
    auto a = task_action(c, id, "team-developer", "reject", comment_body("keep the table"));
    BOOST_TEST_REQUIRE(a.status == 200, a.body);
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "failed", dump(job));
    BOOST_TEST(str(job, "/approvalState") == "rejected");
    BOOST_TEST(str(job, "/error") == "Rejected by approver"); // api.md, reject
    auto team = team_of(c, id);
    BOOST_TEST(str(task_of(team, "team-developer"), "/status") == "failed");
    BOOST_TEST(str(task_of(team, "team-developer"), "/errorClass") == "rejected");
    BOOST_TEST(str(task_of(team, "team-developer"), "/error") == "rejected by approver"); // team.md
    BOOST_TEST(str(task_of(team, "team-executor"), "/status") == "canceled");
    auto events = job_events(c, id);
    BOOST_TEST(of_type(events, "team.retry").empty(), "a rejection gets no fix round");
    auto decided = of_type(events, "approval", "team-developer");
    BOOST_TEST_REQUIRE(decided.size() == 1u);
    BOOST_TEST(str(decided[0], "/payload/decision") == "rejected");
    BOOST_TEST(str(decided[0], "/payload/gate") == "after");

    // resume: the run continues from what succeeded.
    auto r = action(c, id, "resume");
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    BOOST_TEST(str(r.json(), "/status") == "queued");
    BOOST_TEST(at(r.json(), "/error").is_null());
    BOOST_TEST(at(r.json(), "/output").is_null());
    BOOST_TEST(at(r.json(), "/finishedAt").is_null());
    job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    team = team_of(c, id);
    BOOST_TEST(num(task_of(team, "team-planner"), "/attempt") == 1);
    BOOST_TEST(num(task_of(team, "team-developer"), "/attempt") == 2);
    BOOST_TEST(num(task_of(team, "team-developer"), "/failures") == 0);
    BOOST_TEST(num(task_of(team, "team-verifier"), "/attempt") == 1);
    // api.md, Actions: a task rejection's comment is "shown to the agent's next run".
    BOOST_TEST(contains(recorded_prompt(e, id, "team-developer", 2), "keep the table"),
               recorded_prompt(e, id, "team-developer", 2));
    events = job_events(c, id);
    auto queued = of_type(events, "queued");
    BOOST_TEST_REQUIRE(queued.size() == 2u);
    BOOST_TEST(str(queued[1], "/payload/reason") == "resumed");
    BOOST_TEST(str(events.back(), "/type") == "completed");
    BOOST_TEST(action(c, id, "resume").status == 409);
}

// ---------------------------------------------------------------- 7. budgets

BOOST_AUTO_TEST_CASE(token_budget_stops_the_run_live) {
    Engine e;
    auto c = e.client();
    auto id = create_job(
        c, team_job(e, "team",
                    {{"roles", {{"planner", {{"tokens", json::array{500, 500}}, {"sleep", 30}}}}}},
                    {{"maxTokens", 100}}));
    auto planner = wait_recorded(e, id, "team-planner", 1);
    auto job = wait_terminal(c, id, 10s);
    BOOST_TEST_REQUIRE(str(job, "/status") == "failed", dump(job));
    BOOST_TEST(contains(str(job, "/error"), "maxTokens"), dump(job));
    auto events = job_events(c, id);
    auto over = of_type(events, "budget_exceeded");
    BOOST_TEST_REQUIRE(over.size() == 1u, types_text(events));
    BOOST_TEST(str(over[0], "/payload/budget") == "maxTokens");
    BOOST_TEST(num(over[0], "/payload/limit") == 100);
    BOOST_TEST(num(over[0], "/payload/used") >= 1000, dump(over[0]));
    auto failed = of_type(events, "failed");
    BOOST_TEST_REQUIRE(failed.size() == 1u);
    BOOST_TEST(str(failed[0], "/payload/errorClass") == "budget");
    BOOST_TEST(str(events.back(), "/type") == "failed", types_text(events));
    BOOST_TEST(str(task_of(team_of(c, id), "team-planner"), "/status") != "running");
    // The running agent was stopped (kill grace 10 s * 0.01).
    auto pgid = static_cast<pid_t>(num(planner, "/pgid"));
    BOOST_TEST(eventually([&] { return group_gone(pgid); }, 3s),
               "agent group " << pgid << " still alive");
}

BOOST_AUTO_TEST_CASE(wall_clock_budget_fails_the_run) {
    // maxMinutes 5 -> 6 s: time for the planner (a Python script) to start on
    // a loaded machine (3 s was not always enough beside the other suites).
    Engine e({"--idle-timeout", "3000"}, 0.02);
    auto c = e.client();
    auto id = create_job(
        c, team_job(e, "team", {{"roles", {{"planner", {{"sleep", 30}}}}}}, {{"maxMinutes", 5}}));
    auto planner = wait_recorded(e, id, "team-planner", 1);
    auto job = wait_terminal(c, id, 30s);
    BOOST_TEST_REQUIRE(str(job, "/status") == "failed", dump(job));
    BOOST_TEST(contains(str(job, "/error"), "maxMinutes"), dump(job));
    auto events = job_events(c, id);
    auto over = of_type(events, "budget_exceeded");
    BOOST_TEST_REQUIRE(over.size() == 1u, types_text(events));
    BOOST_TEST(str(over[0], "/payload/budget") == "maxMinutes");
    BOOST_TEST(num(over[0], "/payload/limit") == 5);
    // The budget ran out no earlier than 5 scaled minutes after the start.
    auto started = of_type(events, "started");
    BOOST_TEST_REQUIRE(!started.empty());
    auto ran_ms = ms_of(at(over[0], "/createdAt")) - ms_of(at(started[0], "/createdAt"));
    BOOST_TEST(ran_ms >= 5950, ran_ms);
    BOOST_TEST(ran_ms < 20000, ran_ms);
    auto pgid = static_cast<pid_t>(num(planner, "/pgid"));
    BOOST_TEST(eventually([&] { return group_gone(pgid); }, 3s),
               "agent group " << pgid << " still alive");
}

// ---------------------------------------------------------------- 8. mailbox

BOOST_AUTO_TEST_CASE(mailbox_instruction_reaches_the_addressed_role_and_running_inboxes) {
    Engine e;
    auto c = e.client();
    auto id = create_job(c, team_job(e, "team", {{"roles", {{"planner", {{"wait_inbox", 8}}}}}}));
    wait_recorded(e, id, "team-planner", 1);

    auto r = c.post_json(
        job_url(id) + "/team/mailbox",
        json::object{{"kind", "instruction"}, {"to", "developer"}, {"message", "use tabs"}});
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    auto message = r.json();
    check_keys(message, message_keys, "stored message");
    auto message_id = str(message, "/id");
    BOOST_TEST(str(message, "/from") == "leader");
    BOOST_TEST(at(message, "/delivered") == json::value(false));
    // A notice for the running planner lands in its inbox at once.
    r = c.post_json(
        job_url(id) + "/team/mailbox",
        json::object{{"kind", "notice"}, {"to", "planner"}, {"message", "the CI is red"}});
    BOOST_TEST_REQUIRE(r.status == 201, r.body);

    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    auto planner = recorded(e, id, "team-planner", 1);
    BOOST_TEST_REQUIRE(has(planner, "/inbox"), dump(planner));
    BOOST_TEST(at(planner, "/inbox").as_array().size() == 1u, dump(planner));
    BOOST_TEST(contains(dump(at(planner, "/inbox")), "the CI is red"));
    BOOST_TEST(!contains(dump(at(planner, "/inbox")), "use tabs"));

    BOOST_TEST(contains(recorded_prompt(e, id, "team-developer", 1), "use tabs"));
    for (auto task : {"team-research", "team-designer", "team-executor", "team-verifier"})
        BOOST_TEST(!contains(recorded_prompt(e, id, task, 1), "use tabs"), task);

    auto box = get_json(c, job_url(id) + "/team/mailbox");
    json::value stored;
    for (auto& m : box.as_array())
        if (str(m, "/id") == message_id) stored = m;
    BOOST_TEST_REQUIRE(!stored.is_null(), dump(box));
    BOOST_TEST(at(stored, "/delivered") == json::value(true));
    BOOST_TEST(is_timestamp(at(stored, "/deliveredAt")));
    BOOST_TEST(strings_of(at(stored, "/deliveredTo")) ==
               std::vector<std::string>{"team-developer"});

    auto events = job_events(c, id);
    std::vector<json::value> delivered;
    for (auto& d : of_type(events, "team.mailbox.delivered"))
        if (contains(dump(at(d, "/payload/messageIds")), message_id)) delivered.push_back(d);
    BOOST_TEST_REQUIRE(delivered.size() == 1u, types_text(events));
    BOOST_TEST(str(delivered[0], "/payload/taskId") == "team-developer");
    BOOST_TEST(num(delivered[0], "/payload/attempt") == 1);
    // Delivered when the developer's attempt started.
    auto dev_start = of_type(events, "team.task.started", "team-developer").at(0);
    BOOST_TEST(num(delivered[0], "/seq") <= num(dev_start, "/seq") + 1);
}

BOOST_AUTO_TEST_CASE(reassign_reopens_a_finished_job_and_reruns_the_task_and_its_dependents) {
    Engine e;
    auto c = e.client();
    auto id = create_job(c, team_job(e, "team", {}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));

    auto r = c.post_json(job_url(id) + "/team/mailbox",
                         json::object{{"kind", "reassign"},
                                      {"taskId", "team-executor"},
                                      {"message", "run it again with -v"}});
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    auto message_id = str(r.json(), "/id");
    job = wait_job(
        c, id,
        [&](const json::value& j) {
            return is_terminal(str(j, "/status")) &&
                   num(task_of(team_of(c, id), "team-verifier"), "/attempt") == 2;
        },
        "finished again");
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));

    auto team = team_of(c, id);
    for (auto task : {"team-planner", "team-research", "team-designer", "team-developer"})
        BOOST_TEST(num(task_of(team, task), "/attempt") == 1, task);
    BOOST_TEST(num(task_of(team, "team-executor"), "/attempt") == 2);
    BOOST_TEST(num(task_of(team, "team-verifier"), "/attempt") == 2);
    BOOST_TEST(contains(recorded_prompt(e, id, "team-executor", 2), "run it again with -v"));

    auto events = job_events(c, id);
    auto reassigned = of_type(events, "team.task.reassigned", "team-executor");
    BOOST_TEST_REQUIRE(reassigned.size() == 1u, types_text(events));
    BOOST_TEST(set_text(string_set(at(reassigned[0], "/payload/resetTaskIds"))) ==
               set_text({"team-executor", "team-verifier"}));
    BOOST_TEST(str(reassigned[0], "/payload/messageId") == message_id);
    auto queued = of_type(events, "queued");
    BOOST_TEST_REQUIRE(queued.size() == 2u, types_text(events));
    BOOST_TEST(str(queued[1], "/payload/reason") == "reopened");
    BOOST_TEST(of_type(events, "completed").size() == 2u);
    BOOST_TEST(str(events.back(), "/type") == "completed", types_text(events));
}

// ------------------------------------------------------------- 9. hung agent

BOOST_AUTO_TEST_CASE(a_silent_agent_is_detected_as_hung_and_retried) {
    // 1000 s * 0.01 = 10 s of silence: under ASan beside the other suites on 2
    // cores, an agent took seconds to print its first line (and then counted as hung).
    Engine e({"--idle-timeout", "1000"});
    auto c = e.client();
    auto id = create_job(
        c,
        team_job(e, "team",
                 {{"roles",
                   {{"developer", json::array{json::object{{"hang", true}}, json::object{}}}}}}));
    auto hung = wait_recorded(e, id, "team-developer", 1, 60s);
    auto job = wait_terminal(c, id, 60s);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    auto events = job_events(c, id);
    auto silent = of_type(events, "team.task.non_reporting", "team-developer");
    BOOST_TEST_REQUIRE(silent.size() == 1u, types_text(events));
    BOOST_TEST(num(silent[0], "/payload/attempt") == 1);
    BOOST_TEST(num(silent[0], "/payload/idleSeconds") == 10);
    auto done = of_type(events, "team.task.completed", "team-developer");
    BOOST_TEST_REQUIRE(done.size() == 2u);
    BOOST_TEST(str(done[0], "/payload/result") == "retry");
    BOOST_TEST(str(done[0], "/payload/errorClass") == "hang");
    BOOST_TEST(str(done[1], "/payload/result") == "succeeded");
    BOOST_TEST(num(task_of(team_of(c, id), "team-developer"), "/failures") == 1);
    BOOST_TEST(group_gone(static_cast<pid_t>(num(hung, "/pgid"))));
}

// ------------------------------------------------------ more gates and mail

BOOST_AUTO_TEST_CASE(several_task_gates_pend_at_once_and_job_approve_takes_the_oldest) {
    Engine e;
    auto c = e.client();
    auto asks_research = json::array{asks_approval("r needs a person"), json::object{}};
    auto asks_designer = json::array{
        json::object{{"sleep", 1.0},
                     {"structured", {{"requiresApproval", true}, {"reason", "d needs a person"}}}},
        json::object{}};
    auto id = create_job(
        c, team_job(e, "team",
                    {{"roles", {{"researcher", asks_research}, {"designer", asks_designer}}}},
                    {{"team", {{"parallelTasks", 2}}}}));
    // The research gate is pending while the designer still runs: the job is
    // not waiting yet, but approvalState says a person is needed.
    wait_job(
        c, id,
        [&](const json::value&) {
            return at(task_of(team_of(c, id), "team-research"), "/approval").is_object();
        },
        "asking for research's approval", 10s);
    auto job = get_json(c, job_url(id));
    BOOST_TEST(str(job, "/approvalState") == "required");
    BOOST_TEST(str(job, "/status") == "running", "the designer still runs");
    BOOST_TEST(of_type(job_events(c, id), "approval_required", "team-research").size() == 1u);

    job = wait_status(c, id, "waiting_approval");
    auto team = team_of(c, id);
    BOOST_TEST(num(team, "/metrics/waitingApproval") == 2);
    BOOST_TEST(str(team, "/approvalTaskId") == "team-research");
    auto overview = get_json(c, "/v1/monitor/overview");
    BOOST_TEST(contains(dump(at(overview, "/waitingApprovals")), id));

    auto a = action(c, id, "approve", comment_body("research may go on"));
    BOOST_TEST_REQUIRE(a.status == 200, a.body);
    team = team_of(c, id);
    BOOST_TEST(at(task_of(team, "team-research"), "/approval").is_null());
    BOOST_TEST(str(task_of(team, "team-designer"), "/approval/stage") == "after");
    BOOST_TEST(str(team, "/approvalTaskId") == "team-designer");
    BOOST_TEST(str(get_json(c, job_url(id)), "/approvalState") == "required");
    BOOST_TEST(task_action(c, id, "team-research", "approve").status == 409);
    a = task_action(c, id, "team-designer", "approve", comment_body("designer too"));
    BOOST_TEST_REQUIRE(a.status == 200, a.body);

    job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    BOOST_TEST(str(job, "/approvalState") == "approved");
    BOOST_TEST(contains(recorded_prompt(e, id, "team-research", 2), "research may go on"));
    BOOST_TEST(contains(recorded_prompt(e, id, "team-designer", 2), "designer too"));
    auto events = job_events(c, id);
    auto decided = of_type(events, "approval");
    BOOST_TEST_REQUIRE(decided.size() == 2u, types_text(events));
    BOOST_TEST(str(decided[0], "/payload/taskId") == "team-research");
    BOOST_TEST(str(decided[0], "/payload/gate") == "after");
    BOOST_TEST(str(decided[1], "/payload/taskId") == "team-designer");
}

BOOST_AUTO_TEST_CASE(a_fourth_approval_request_is_a_validation_failure) {
    Engine e;
    auto c = e.client();
    auto ask = asks_approval("again?");
    auto id = create_job(
        c, team_job(e, "team",
                    {{"roles", {{"developer", json::array{ask, ask, ask, ask, json::object{}}}}}}));
    for (int i = 1; i <= 3; ++i) {
        wait_status(c, id, "waiting_approval");
        BOOST_TEST(num(task_of(team_of(c, id), "team-developer"), "/approval/requests") == i);
        auto a = task_action(c, id, "team-developer", "approve");
        BOOST_TEST_REQUIRE(a.status == 200, a.body);
    }
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    auto events = job_events(c, id);
    auto invalid = of_type(events, "team.task.validation_failed", "team-developer");
    BOOST_TEST_REQUIRE(invalid.size() == 1u, types_text(events));
    BOOST_TEST(num(invalid[0], "/payload/attempt") == 4);
    auto done = of_type(events, "team.task.completed", "team-developer");
    BOOST_TEST_REQUIRE(done.size() == 5u, types_text(events));
    BOOST_TEST(str(done[3], "/payload/result") == "retry");
    BOOST_TEST(str(done[3], "/payload/errorClass") == "validation");
    BOOST_TEST(of_type(events, "approval_required", "team-developer").size() == 3u);
    auto dev = task_of(team_of(c, id), "team-developer");
    BOOST_TEST(num(dev, "/attempt") == 5);
    BOOST_TEST(num(dev, "/failures") == 1); // only the fourth request counted
}

BOOST_AUTO_TEST_CASE(agents_mail_other_roles_and_the_leader) {
    Engine e;
    auto c = e.client();
    json::array mail{
        json::object{
            {"kind", "question"}, {"to", "developer"}, {"message", "is the parser thread-safe?"}},
        json::object{{"kind", "notice"}, {"to", "leader"}, {"message", "the repo has no tests"}}};
    auto id = create_job(
        c,
        team_job(e, "team", {{"roles", {{"researcher", {{"structured", {{"mailbox", mail}}}}}}}}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    BOOST_TEST(contains(recorded_prompt(e, id, "team-developer", 1), "is the parser thread-safe?"));
    BOOST_TEST(!contains(recorded_prompt(e, id, "team-executor", 1), "is the parser thread-safe?"));

    auto box = get_json(c, job_url(id) + "/team/mailbox");
    BOOST_TEST_REQUIRE(box.as_array().size() == 2u, dump(box));
    for (auto& m : box.as_array()) {
        check_keys(m, message_keys, "message");
        BOOST_TEST(str(m, "/from") == "team-research");
        BOOST_TEST(at(m, "/delivered") == json::value(true), dump(m));
    }
    BOOST_TEST(strings_of(at(box.as_array()[0], "/deliveredTo")) ==
               std::vector<std::string>{"team-developer"});
    auto events = job_events(c, id);
    auto received = of_type(events, "team.mailbox.received");
    bool leader = false;
    for (auto& r : received)
        leader |= contains(dump(r), "the repo has no tests");
    BOOST_TEST(leader, types_text(events));
}

BOOST_AUTO_TEST_CASE(reassign_stops_a_running_task_and_runs_it_again) {
    Engine e;
    auto c = e.client();
    auto id = create_job(
        c, team_job(e, "team",
                    {{"roles",
                      {{"developer", json::array{json::object{{"sleep", 30}}, json::object{}}}}}}));
    auto first = wait_recorded(e, id, "team-developer", 1);
    auto r = c.post_json(job_url(id) + "/team/mailbox",
                         json::object{{"kind", "reassign"},
                                      {"taskId", "team-developer"},
                                      {"message", "start over, smaller diff"}});
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    auto job = wait_terminal(c, id, 15s);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    BOOST_TEST(group_gone(static_cast<pid_t>(num(first, "/pgid"))));
    auto dev = task_of(team_of(c, id), "team-developer");
    BOOST_TEST(num(dev, "/attempt") == 2);
    BOOST_TEST(num(dev, "/failures") == 0);
    BOOST_TEST(contains(recorded_prompt(e, id, "team-developer", 2), "start over, smaller diff"));
    auto events = job_events(c, id);
    auto reassigned = of_type(events, "team.task.reassigned", "team-developer");
    BOOST_TEST_REQUIRE(reassigned.size() == 1u);
    BOOST_TEST(set_text(string_set(at(reassigned[0], "/payload/resetTaskIds"))) ==
               set_text({"team-developer", "team-executor", "team-verifier"}));
    BOOST_TEST(of_type(events, "queued").size() == 1u, "a running job is not reopened");
    BOOST_TEST(of_type(events, "team.task.started", "team-executor").size() == 1u);
}

// ------------------------------------------------------- timeouts, no binary

BOOST_AUTO_TEST_CASE(a_task_past_its_timeout_is_stopped_and_fails) {
    // timeoutSeconds 300 * 0.01 = 3 s: long enough for the agent to start and
    // record itself on a loaded machine under the sanitizers, far below its sleep.
    Engine e;
    auto c = e.client();
    json::array tasks{json::object{
        {"id", "slow"}, {"name", "Slow work"}, {"role", "executor"}, {"timeoutSeconds", 300}}};
    auto id = create_job(c, team_job(e, "team", {{"default", {{"sleep", 30}}}},
                                     {{"team", {{"teamTasks", tasks}, {"maxFixAttempts", 0}}}}));
    auto agent = wait_recorded(e, id, "slow", 1);
    auto job = wait_terminal(c, id, 15s);
    BOOST_TEST_REQUIRE(str(job, "/status") == "failed", dump(job));
    BOOST_TEST(contains(str(job, "/error"), "slow"), dump(job));
    auto t = task_of(team_of(c, id), "slow");
    BOOST_TEST(str(t, "/errorClass") == "timeout", dump(t));
    BOOST_TEST(eventually([&] { return group_gone(static_cast<pid_t>(num(agent, "/pgid"))); }, 3s));
    job_events(c, id);
}

BOOST_AUTO_TEST_CASE(a_missing_agent_binary_fails_the_task_clearly) {
    OmxdProcess process;
    process.start({"--role", "all", "--skip-clone", "--fsync", "off", "--time-scale", "0.01",
                   "--work-root", (process.log_dir() / "runs").string()},
                  {{"JOB_CLI_BIN", "no-such-agent-cli"}});
    HttpClient c(process.port());
    auto id =
        create_job(c, with_options(job_body("autopilot"), {{"team", {{"maxFixAttempts", 0}}}}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "failed", dump(job));
    BOOST_TEST(contains(str(job, "/error"), "agent command not found: no-such-agent-cli"),
               dump(job));
    BOOST_TEST(process.running());
    job_events(c, id);
}

// The attempt's files (prompt, dependency outputs) are written while its start
// commits; when they cannot be, the attempt fails clearly and no agent runs.
BOOST_AUTO_TEST_CASE(an_attempt_whose_files_cannot_be_written_fails_clearly) {
    Engine e;
    auto c = e.client();
    auto id = create_job(c, team_job(e, "autopilot", {}, {{"requireApproval", true}, {"team", {{"maxFixAttempts", 0}}}}));
    wait_status(c, id, "waiting_approval");
    // A file where the run's tasks directory belongs: no task directory can be made.
    auto run_dir = e.process.log_dir() / "runs" / id;
    fs::create_directories(run_dir);
    std::ofstream(run_dir / "tasks") << "in the way\n";
    auto a = action(c, id, "approve");
    BOOST_TEST_REQUIRE(a.status == 200, a.body);
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "failed", dump(job));
    BOOST_TEST(contains(str(job, "/error"), "cannot write the attempt's files"), dump(job));
    BOOST_TEST(recorded_attempts(e, id) == 0u);
    BOOST_TEST(e.process.running());
    job_events(c, id);
}

BOOST_AUTO_TEST_CASE(a_canceled_job_resumes_with_its_unapproved_job_gate_pending_again) {
    Engine e;
    auto c = e.client();
    auto id = create_job(c, team_job(e, "autopilot", {}, {{"requireApproval", true}}));
    wait_status(c, id, "waiting_approval");
    auto r = action(c, id, "cancel");
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    BOOST_TEST(str(r.json(), "/status") == "canceled");
    auto events = job_events(c, id);
    BOOST_TEST(str(events.back(), "/type") == "canceled");
    BOOST_TEST(at(events.back(), "/payload/comment").is_null());
    BOOST_TEST(of_type(events, "team.task.canceled").size() == 3u, types_text(events));

    r = action(c, id, "resume");
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    auto job = wait_status(c, id, "waiting_approval");
    BOOST_TEST(str(job, "/approvalState") == "required");
    BOOST_TEST(recorded_attempts(e, id) == 0u);
    BOOST_TEST_REQUIRE(action(c, id, "approve").status == 200);
    job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    events = job_events(c, id);
    BOOST_TEST(of_type(events, "approval_required").size() == 2u, types_text(events));
}

// -------------------------------------------------- 10. the events' schemas

// Every test case above checks each event it fetches (job_events); this one
// runs last and, after a full run, checks that the runs met every type of the
// catalogue except those that need tmux or a crash.
BOOST_AUTO_TEST_CASE(the_runs_covered_the_event_catalogue) {
    std::set<std::string> missing;
    for (auto& [type, keys] : event_catalogue())
        if (!seen_event_types().count(type)) missing.insert(type);
    for (auto t : {"tmux_session_started", "tmux_session_retained", "tmux_session_closed",
                   "team.claim_recovered"})
        missing.erase(t);
    BOOST_TEST_MESSAGE("event types seen: " << set_text(seen_event_types()));
    namespace utf = boost::unit_test;
    utf::test_case_counter enabled, every(true);
    utf::traverse_test_tree(utf::framework::master_test_suite(), enabled, true);
    utf::traverse_test_tree(utf::framework::master_test_suite(), every, true);
    if (enabled.p_count == every.p_count)
        BOOST_TEST(missing.empty(), "never seen: " << set_text(missing));
}
