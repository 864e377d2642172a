// The team run driven through the pure engine with no agent (team.md):
// decide_step takes the run and moves it on, decide_task_start starts tasks,
// decide_task_result turns an attempt's report into the task state machine's
// transitions, fix rounds, approvals, plans, mailbox traffic, budgets,
// reclaims and the run's end. Every decision's events are stamped with the
// story's clock and applied (apply is the only state change); several stories
// end by checking that folding their log reproduces the live state.

#include "team/core/event_batch.hpp"
#include "team/core/graph.hpp"

#include "tests/unit/team_story.hpp"

#include <boost/test/unit_test.hpp>

using namespace omx::team;
using namespace omx::test::team_story;
using Ids = std::vector<std::string>;
using omx::format_rfc3339;

namespace {

std::string js(const json::value& v) { return json::serialize(v); }

JobRequest ultrawork(int workers, int parallel, int max_fix = 2) {
    auto r = make_request(Mode::ultrawork);
    r.options.workers = workers;
    r.options.team.parallelTasks = parallel;
    r.options.team.maxFixAttempts = max_fix;
    return r;
}

JobRequest autopilot(int max_fix = 2) {
    auto r = make_request(Mode::autopilot);
    r.options.team.maxFixAttempts = max_fix;
    return r;
}

// A single executor task `build` with `attempts` attempts and no fix round.
JobRequest single(int attempts) { return tasks_request({tpl("build", Role::executor, {}, attempts)}, 0); }

void require_refusal(const Decision& d, RefusalKind kind, const std::string& message = {}) {
    BOOST_REQUIRE(d.refusal.has_value());
    BOOST_TEST((d.refusal->kind == kind));
    BOOST_TEST(d.events.empty());
    if (!message.empty()) BOOST_TEST(d.refusal->message == message);
}

std::string status_of(const Story& s, const std::string& id) { return std::string(to_string(s.task(id).status)); }

// Runs a default team graph up to (not including) its verifier.
Story team_before_verifier() {
    auto s = running(make_request(Mode::team));
    for (auto id : {"team-planner", "team-research", "team-designer", "team-developer", "team-executor"}) s.succeed(id);
    return s;
}

} // namespace

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(team_run)

BOOST_AUTO_TEST_CASE(the_first_step_takes_the_run) {
    auto s = created(autopilot());
    BOOST_TEST(!may_start_tasks(s.job));
    auto mark = s.mark();
    s.step();
    BOOST_TEST(s.types_since(mark) == (Ids{"started", "job.status"}));
    BOOST_TEST(s.log[mark].payload.at("workerId").as_string() == "w1");
    BOOST_TEST(s.log[mark + 1].payload.at("from").as_string() == "queued");
    BOOST_TEST(s.log[mark + 1].payload.at("to").as_string() == "running");
    BOOST_TEST(s.job.runStarted);
    BOOST_TEST((s.job.status == JobStatus::running));
    BOOST_TEST(*s.job.startedAt == t0);
    BOOST_TEST(may_start_tasks(s.job));
    // Nothing new by the clock alone: a second step decides nothing.
    BOOST_TEST(s.step_decision().events.empty());
}

// The time a job waits in the queue (e.g. behind --max-agents) is no part of
// "the run's wall clock" (team.md "Scheduling"): decide_step previews its own
// `started` event at `now`, so the budget clock starts when the run is taken.
BOOST_AUTO_TEST_CASE(time_in_the_queue_does_not_count_against_max_minutes) {
    auto s = created(autopilot());
    s.advance(120 * minute); // the job waits for a worker for two hours
    auto mark = s.mark();
    s.step();
    BOOST_TEST(s.count_since(mark, "budget_exceeded") == 0u);
    BOOST_TEST((s.job.status == JobStatus::running));
    BOOST_TEST(*s.job.activeSince == t0 + 120 * minute);
}

BOOST_AUTO_TEST_CASE(new_tasks_are_queued_without_dependencies_and_blocked_with_some) {
    auto s = created(make_request(Mode::team));
    BOOST_TEST(status_of(s, "team-planner") == "queued");
    for (auto id : {"team-research", "team-designer", "team-developer", "team-executor", "team-verifier"})
        BOOST_TEST(status_of(s, id) == "blocked");
    auto own = created(tasks_request({tpl("a", Role::researcher), tpl("b", Role::designer),
                                      tpl("c", Role::developer, {"a", "b"})}));
    BOOST_TEST(status_of(own, "a") == "queued");
    BOOST_TEST(status_of(own, "b") == "queued");
    BOOST_TEST(status_of(own, "c") == "blocked");
}

BOOST_AUTO_TEST_CASE(a_blocked_task_is_queued_once_every_dependency_succeeded) {
    auto s = running(make_request(Mode::team));
    s.succeed("team-planner");
    BOOST_TEST(status_of(s, "team-research") == "queued");
    BOOST_TEST(status_of(s, "team-designer") == "queued");
    BOOST_TEST(status_of(s, "team-developer") == "blocked");
    s.succeed("team-research");
    BOOST_TEST(status_of(s, "team-developer") == "blocked"); // the designer has not succeeded yet
    s.succeed("team-designer");
    BOOST_TEST(status_of(s, "team-developer") == "queued");
    BOOST_TEST(status_of(s, "team-executor") == "blocked");
}

BOOST_AUTO_TEST_CASE(a_task_starts_only_when_it_is_ready) {
    auto s = created(tasks_request({tpl("plan", Role::planner), tpl("build", Role::executor, {"plan"})}));
    // The run has not been taken yet.
    require_refusal(s.start_decision("plan"), RefusalKind::conflict, "task plan cannot start now");
    s.step();
    require_refusal(s.start_decision("ghost"), RefusalKind::not_found, "unknown task 'ghost'");
    require_refusal(s.start_decision("build"), RefusalKind::conflict, "task build cannot start now"); // blocked
    s.start("plan");
    require_refusal(s.start_decision("plan"), RefusalKind::conflict); // already running
    s.finish(s.ok_report("plan"));
    require_refusal(s.start_decision("plan"), RefusalKind::conflict); // succeeded
    s.start("build");
    BOOST_TEST(status_of(s, "build") == "running");
}

BOOST_AUTO_TEST_CASE(a_task_does_not_start_while_the_job_gate_is_pending) {
    auto r = autopilot();
    r.options.requireApproval = true;
    auto s = created(r);
    BOOST_TEST(s.job.jobGatePending);
    BOOST_TEST(s.step_decision().events.empty()); // no step at all before the gate is approved
    BOOST_TEST(!may_start_tasks(s.job));
    require_refusal(s.start_decision("planner"), RefusalKind::conflict);
    s.commit(decide_job_action(s.job, JobAction::approve, std::nullopt));
    s.step();
    BOOST_TEST(s.job.runStarted);
    s.start("planner");
    BOOST_TEST(status_of(s, "planner") == "running");
}

BOOST_AUTO_TEST_CASE(a_started_task_carries_its_claim) {
    auto s = running(autopilot());
    s.advance(5 * second);
    auto mark = s.mark();
    s.start("planner");
    BOOST_TEST(s.types_since(mark) == (Ids{"team.task.started"}));
    auto& p = s.log[mark].payload;
    BOOST_TEST(p.at("taskId").as_string() == "planner");
    BOOST_TEST(p.at("role").as_string() == "planner");
    BOOST_TEST(p.at("attempt").as_int64() == 1);
    BOOST_TEST(p.at("workerId").as_string() == "w1");
    BOOST_TEST(p.at("claimToken").as_string() == "claim-1");
    BOOST_TEST(p.at("pid").as_int64() == 4000);
    auto& t = s.task("planner");
    BOOST_TEST(status_of(s, "planner") == "running");
    BOOST_TEST(t.attempt == 1);
    BOOST_TEST(*t.startedAt == s.now);
    BOOST_TEST(*t.workerId == "w1");
    BOOST_TEST(*t.claimToken == "claim-1");
    BOOST_TEST(*t.lastHeartbeatAt == s.now);
    BOOST_TEST(*t.claimExpiresAt == s.now + lease_ms);
    BOOST_TEST(*t.pid == 4000);
    BOOST_TEST(*current_task_id(s.job.team) == "planner");
}

BOOST_AUTO_TEST_CASE(a_successful_attempt_succeeds_the_task) {
    auto s = running(autopilot());
    s.start("planner");
    s.advance(3 * second);
    auto report = s.ok_report("planner", parse(R"({"summary":"planned"})"), 120);
    auto mark = s.mark();
    s.finish(report);
    BOOST_TEST(s.types_since(mark) == (Ids{"team.task.completed", "team.phase_changed"}));
    auto& p = s.log[mark].payload;
    BOOST_TEST(p.at("taskId").as_string() == "planner");
    BOOST_TEST(p.at("attempt").as_int64() == 1);
    BOOST_TEST(p.at("result").as_string() == "succeeded");
    BOOST_TEST(p.at("errorClass").is_null());
    BOOST_TEST(p.at("error").is_null());
    BOOST_TEST(p.at("notBefore").is_null());
    BOOST_TEST(js(p.at("output")) == js(report.output));
    auto& t = s.task("planner");
    BOOST_TEST(status_of(s, "planner") == "succeeded");
    BOOST_TEST(*t.finishedAt == s.now);
    BOOST_TEST(*t.durationMs == 1000);
    BOOST_TEST(js(t.output) == js(report.output));
    BOOST_TEST(!t.claimToken.has_value());
    BOOST_TEST(!t.workerId.has_value());
    BOOST_TEST(!t.pid.has_value());
    BOOST_TEST(!t.claimExpiresAt.has_value());
    BOOST_TEST(t.usageTotal.totalTokens == 120);
    BOOST_TEST(t.failures == 0);
    BOOST_TEST(status_of(s, "executor") == "queued");
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(a_report_of_an_attempt_that_no_longer_runs_changes_nothing) {
    auto s = running(autopilot());
    s.start("planner");
    auto stale = s.ok_report("planner");
    stale.claimToken = "claim-of-an-older-attempt";
    BOOST_TEST(decide_task_result(s.job, stale).events.empty());
    auto unknown = s.ok_report("planner");
    unknown.taskId = "ghost";
    BOOST_TEST(decide_task_result(s.job, unknown).events.empty());
    auto report = s.ok_report("planner");
    s.finish(report);
    BOOST_TEST(decide_task_result(s.job, report).events.empty()); // reported twice
}

BOOST_AUTO_TEST_CASE(a_failure_with_attempts_left_is_retried_after_exponential_backoff) {
    auto s = running(single(5));
    auto fail_with = [&](double jitter, std::int64_t base, std::int64_t expected_wait, int failures) {
        BOOST_TEST_CONTEXT("failure " << failures) {
            s.start("build");
            s.advance(second);
            auto r = s.failed_report("build");
            r.jitter = jitter;
            r.backoffBaseMs = base;
            auto mark = s.mark();
            s.finish(r);
            auto& done = s.only(mark, "team.task.completed");
            BOOST_TEST(done.payload.at("result").as_string() == "retry");
            BOOST_TEST(done.payload.at("errorClass").as_string() == "exit");
            BOOST_TEST(done.payload.at("error").as_string() == "exited with code 1");
            BOOST_TEST(done.payload.at("notBefore").as_string() == format_rfc3339(s.now + expected_wait));
            auto& t = s.task("build");
            BOOST_TEST(status_of(s, "build") == "queued");
            BOOST_TEST(t.failures == failures);
            BOOST_TEST(t.attempt == failures);
            BOOST_TEST(*t.notBefore == s.now + expected_wait);
            BOOST_TEST(*t.errorClass == "exit");
            BOOST_TEST(t.feedback.at("error").as_string() == "exited with code 1");
            // Not before its backoff ends.
            BOOST_TEST(startable_tasks(s.job.team, s.now).empty());
            BOOST_TEST(startable_tasks(s.job.team, s.now + expected_wait) == (Ids{"build"}));
            BOOST_TEST(*next_wakeup(s.job, s.step_input()) == s.now + expected_wait);
            s.advance(expected_wait);
        }
    };
    fail_with(0.5, 1000, 750, 1);     // 1 s, equal jitter: 500 + 0.5 * 500
    fail_with(0.0, 1000, 1000, 2);    // 2 s: half of it at jitter 0
    fail_with(0.75, 1000, 3500, 3);   // 4 s: 2000 + 0.75 * 2000
    fail_with(0.5, 20000, 45000, 4);  // 160 s capped at 60 s: 30000 + 0.5 * 30000
    // The fifth failure uses up maxAttempts.
    s.start("build");
    auto mark = s.mark();
    s.finish(s.failed_report("build"));
    auto& done = s.only(mark, "team.task.completed");
    BOOST_TEST(done.payload.at("result").as_string() == "failed");
    BOOST_TEST(done.payload.at("notBefore").is_null());
    BOOST_TEST(status_of(s, "build") == "failed");
    BOOST_TEST(s.task("build").failures == 5);
    BOOST_TEST(!s.task("build").notBefore.has_value());
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(every_kind_of_failure_is_retried_while_attempts_are_left) {
    for (std::string cls : {"exit", "killed", "timeout", "hang", "agent_error", "auth", "validation"}) {
        BOOST_TEST_CONTEXT("errorClass " << cls) {
            auto s = running(single(2));
            s.start("build");
            s.finish(s.failed_report("build", cls, "it went wrong"));
            BOOST_TEST(status_of(s, "build") == "queued");
            BOOST_TEST(s.task("build").failures == 1);
            BOOST_TEST(*s.task("build").errorClass == cls);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_failure_that_uses_up_max_attempts_fails_the_task) {
    auto s = running(autopilot());
    s.succeed("planner");
    s.start("executor");
    auto mark = s.mark();
    s.finish(s.failed_report("executor"));
    BOOST_TEST(s.only(mark, "team.task.completed").payload.at("result").as_string() == "failed");
    auto& t = s.task("executor");
    BOOST_TEST(status_of(s, "executor") == "failed");
    BOOST_TEST(t.failures == 1);
    BOOST_TEST(*t.error == "exited with code 1");
    BOOST_TEST(*t.errorClass == "exit");
    BOOST_TEST(!may_start_tasks(s.job)); // a fix round is pending
}

BOOST_AUTO_TEST_CASE(rate_limits_wait_for_retry_after_and_count_from_the_fourth) {
    auto s = running(single(1));
    auto rate_limited = [&](std::optional<int> retry_after, double scale) {
        s.start("build");
        auto r = s.failed_report("build", "rate_limit", "rate limited", std::nullopt);
        r.retryAfterSeconds = retry_after;
        r.timeScale = scale;
        auto mark = s.mark();
        s.finish(r);
        return s.only(mark, "team.task.completed").payload;
    };
    auto first = rate_limited(30, 0.5);
    BOOST_TEST(first.at("result").as_string() == "retry");
    BOOST_TEST(first.at("errorClass").as_string() == "rate_limit");
    BOOST_TEST(*s.task("build").notBefore == s.now + 15'000); // 30 s scaled by 0.5
    BOOST_TEST(s.task("build").failures == 0);
    BOOST_TEST(s.task("build").rateLimits == 1);
    s.advance(15 * second);
    auto second_one = rate_limited(std::nullopt, 1.0); // no retry-after: the backoff
    BOOST_TEST(second_one.at("result").as_string() == "retry");
    BOOST_TEST(*s.task("build").notBefore == s.now + 750);
    BOOST_TEST(s.task("build").failures == 0);
    s.advance(second);
    rate_limited(10, 1.0);
    BOOST_TEST(*s.task("build").notBefore == s.now + 10'000);
    BOOST_TEST(s.task("build").failures == 0);
    BOOST_TEST(s.task("build").rateLimits == 3);
    s.advance(10 * second);
    auto fourth = rate_limited(10, 1.0); // counts: maxAttempts 1 is used up
    BOOST_TEST(fourth.at("result").as_string() == "failed");
    BOOST_TEST(status_of(s, "build") == "failed");
    BOOST_TEST(s.task("build").failures == 1);
    BOOST_TEST(s.task("build").attempt == 4);
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(a_graceful_shutdown_requeues_without_counting) {
    auto s = running(autopilot());
    s.start("planner");
    auto r = s.failed_report("planner", "killed", "stopped: server shutting down", std::nullopt);
    r.shutdown = true;
    auto mark = s.mark();
    s.finish(r);
    auto& p = s.only(mark, "team.task.completed").payload;
    BOOST_TEST(p.at("result").as_string() == "retry");
    BOOST_TEST(p.at("errorClass").is_null());
    BOOST_TEST(p.at("notBefore").is_null());
    BOOST_TEST(status_of(s, "planner") == "queued");
    BOOST_TEST(s.task("planner").failures == 0);
    BOOST_TEST(!s.task("planner").notBefore.has_value());
    s.start("planner");
    BOOST_TEST(s.task("planner").attempt == 2); // a run, not a failure
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(a_hang_is_reported_as_non_reporting_and_retried) {
    auto s = running(single(2));
    s.start("build");
    auto r = s.failed_report("build", "hang", "no output for 600 s", std::nullopt);
    r.idleSeconds = 600;
    auto mark = s.mark();
    s.finish(r);
    BOOST_TEST(s.types_since(mark) == (Ids{"team.task.non_reporting", "team.task.completed"}));
    auto& info = s.log[mark].payload;
    BOOST_TEST(info.at("taskId").as_string() == "build");
    BOOST_TEST(info.at("attempt").as_int64() == 1);
    BOOST_TEST(info.at("idleSeconds").as_int64() == 600);
    BOOST_TEST(s.log[mark + 1].payload.at("result").as_string() == "retry");
    BOOST_TEST(s.log[mark + 1].payload.at("errorClass").as_string() == "hang");
    BOOST_TEST(s.task("build").failures == 1);
}

BOOST_AUTO_TEST_CASE(cancel_cancels_running_queued_and_blocked_tasks) {
    auto s = running(make_request(Mode::team));
    s.succeed("team-planner");
    s.start("team-research");
    auto report = s.ok_report("team-research");
    auto mark = s.mark();
    s.commit(decide_job_action(s.job, JobAction::cancel, std::string("stop")));
    BOOST_TEST(s.count_since(mark, "team.task.canceled") == 5u);
    BOOST_TEST(s.log.back().type == "canceled");
    BOOST_TEST(s.log.back().payload.at("comment").as_string() == "stop");
    for (auto id : {"team-research", "team-designer", "team-developer", "team-executor", "team-verifier"}) {
        BOOST_TEST(status_of(s, id) == "canceled");
        BOOST_TEST(*s.task(id).error == "job canceled");
    }
    BOOST_TEST(status_of(s, "team-planner") == "succeeded");
    BOOST_TEST((s.job.team.phase == Phase::canceled));
    BOOST_TEST(s.job.team.phaseHistory.back().reason == "canceled");
    // The stopped attempt's late report changes nothing; nor does a step.
    BOOST_TEST(decide_task_result(s.job, report).events.empty());
    BOOST_TEST(s.step_decision().events.empty());
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(the_attempt_counter_is_never_reset_and_failures_are) {
    auto s = running(autopilot(1));
    s.succeed("planner");
    s.fail("executor"); // attempt 1, and the step starts fix round 1
    BOOST_TEST(s.job.team.fixAttempts == 1);
    BOOST_TEST(s.task("executor").attempt == 1);
    BOOST_TEST(s.task("executor").failures == 0); // reset by the fix round
    s.fail("executor"); // attempt 2: no fix round left, the run fails
    BOOST_TEST((s.job.status == JobStatus::failed));
    BOOST_TEST(s.task("executor").failures == 1);
    s.commit(decide_job_action(s.job, JobAction::resume, std::nullopt));
    BOOST_TEST(s.task("executor").attempt == 2);
    BOOST_TEST(s.task("executor").failures == 0); // reset by resume
    s.step();
    s.start("executor");
    BOOST_TEST(s.task("executor").attempt == 3);
    BOOST_TEST(s.task("planner").attempt == 1);
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(may_start_tasks_follows_the_run) {
    auto s = created(autopilot());
    BOOST_TEST(!may_start_tasks(s.job)); // not taken
    s.step();
    BOOST_TEST(may_start_tasks(s.job));
    s.succeed("planner");
    s.start("executor");
    s.finish(s.failed_report("executor"));
    BOOST_TEST(!may_start_tasks(s.job)); // a fix round is pending
    s.step();
    BOOST_TEST(may_start_tasks(s.job)); // the fix round started
    s.commit(decide_job_action(s.job, JobAction::cancel, std::nullopt));
    BOOST_TEST(!may_start_tasks(s.job));
}

BOOST_AUTO_TEST_CASE(next_wakeup_is_the_earliest_backoff_or_the_budget_deadline) {
    auto s = created(single(3));
    BOOST_TEST(!next_wakeup(s.job, s.step_input()).has_value()); // not taken: no clock runs
    s.step();
    BOOST_TEST(*next_wakeup(s.job, s.step_input()) == t0 + 60 * minute);
    s.timeScale = 0.5; // maxMinutes in scaled minutes
    BOOST_TEST(*next_wakeup(s.job, s.step_input()) == t0 + 30 * minute);
    s.timeScale = 1.0;
    s.start("build");
    s.finish(s.failed_report("build"));
    BOOST_TEST(*next_wakeup(s.job, s.step_input()) == s.now + 750);
    s.commit(decide_job_action(s.job, JobAction::cancel, std::nullopt));
    BOOST_TEST(!next_wakeup(s.job, s.step_input()).has_value());
}

BOOST_AUTO_TEST_CASE(the_workspace_is_announced_or_fails_the_run) {
    auto s = running(autopilot());
    auto mark = s.mark();
    auto before = s.job.team.tasks.size();
    s.commit(decide_workspace_ready(s.job, "0123abcd", "/runs/job-1/workspace", true));
    BOOST_TEST(s.types_since(mark) == (Ids{"workspace_ready"}));
    auto& p = s.log[mark].payload;
    BOOST_TEST(p.at("repo").as_string() == "owner/name");
    BOOST_TEST(p.at("ref").as_string() == "main");
    BOOST_TEST(p.at("commit").as_string() == "0123abcd");
    BOOST_TEST(p.at("path").as_string() == "/runs/job-1/workspace");
    BOOST_TEST(s.job.team.tasks.size() == before);
    BOOST_TEST((s.job.status == JobStatus::running));

    auto f = running(autopilot());
    f.commit(decide_workspace_failed(f.job, "clone failed"));
    BOOST_TEST((f.job.status == JobStatus::failed));
    BOOST_TEST(*f.job.error == "cannot prepare the workspace: clone failed");
    BOOST_TEST(f.log.back().type == "failed");
    for (auto& t : f.job.team.tasks) BOOST_TEST((t.status == TaskStatus::canceled));
    BOOST_TEST(decide_workspace_ready(f.job, "c", "/p", true).events.empty());
    BOOST_TEST(decide_workspace_failed(f.job, "again").events.empty());
}

// A workspace made afresh after tasks ran (a takeover without a shared work
// root): every task starts over; a reused one, or a first one, changes nothing.
BOOST_AUTO_TEST_CASE(a_lost_workspace_runs_every_task_again_from_the_start) {
    auto s = running(autopilot());
    s.commit(decide_workspace_ready(s.job, "c", "/p", true)); // the first workspace: nothing ran yet
    BOOST_TEST(s.log.back().type == "workspace_ready");
    s.succeed("planner", nullptr, 100);
    s.start("executor");
    auto reused = s.mark();
    s.commit(decide_workspace_ready(s.job, "c", "/p", false));
    BOOST_TEST(s.types_since(reused) == (Ids{"workspace_ready"}));

    auto mark = s.mark();
    s.commit(decide_workspace_ready(s.job, "c", "/elsewhere", true));
    // The run is back at its planning phase.
    BOOST_TEST(s.types_since(mark) == (Ids{"team.claim_recovered", "workspace_ready", "team.phase_changed"}));
    BOOST_TEST(s.log.back().payload.at("to").as_string() == "team-plan");
    auto& p = s.log[mark].payload;
    BOOST_TEST(p.at("reason").as_string() == "workspace lost");
    BOOST_TEST(p.at("taskIds").as_array().size() == s.job.team.tasks.size());
    BOOST_TEST((s.task("planner").status == TaskStatus::queued)); // runs again
    BOOST_TEST(!s.task("executor").claimToken.has_value());
    for (auto& t : s.job.team.tasks) {
        if (t.id == "planner") continue;
        BOOST_TEST((t.status == TaskStatus::blocked), t.id); // waiting for the planner again
        BOOST_TEST(t.reclaims == 0, t.id);
    }
    BOOST_TEST(s.job.team.fixAttempts == 0);
    BOOST_TEST((s.job.status == JobStatus::running));
    s.succeed("planner", nullptr, 100); // and the run goes on from there
    BOOST_TEST((s.task("executor").status == TaskStatus::queued));
}

BOOST_AUTO_TEST_CASE(a_run_whose_tasks_all_succeed_completes_with_its_output_last) {
    auto s = running(autopilot());
    s.succeed("planner", nullptr, 100);
    s.succeed("executor", nullptr, 200);
    s.start("verifier");
    s.finish(s.ok_report("verifier", parse(R"({"status":"pass"})"), 300));
    BOOST_TEST((s.job.status == JobStatus::running)); // completion is the next step's decision
    auto mark = s.mark();
    s.step();
    BOOST_TEST(s.types_since(mark) == (Ids{"team.completed", "team.phase_changed", "completed"}));
    BOOST_TEST(s.log[mark].payload.at("status").as_string() == "succeeded");
    BOOST_TEST(s.log[mark + 1].payload.at("to").as_string() == "complete");
    BOOST_TEST(s.log[mark + 1].payload.at("reason").as_string() == "complete");
    auto& output = s.log.back().payload.at("output").as_object();
    BOOST_TEST(output.at("phase").as_string() == "complete");
    BOOST_TEST(output.at("fixAttempts").as_int64() == 0);
    auto& tasks = output.at("tasks").as_array();
    BOOST_REQUIRE(tasks.size() == 3u);
    BOOST_TEST(js(tasks[1]) ==
               js(json::object{{"id", "executor"}, {"role", "executor"}, {"status", "succeeded"}, {"attempt", 1},
                               {"summary", "executor done"}}));
    BOOST_TEST(output.at("usage").at("totalTokens").as_int64() == 600);
    BOOST_TEST(js(s.job.output) == js(output));
    BOOST_TEST((s.job.status == JobStatus::succeeded));
    BOOST_TEST((s.job.team.phase == Phase::complete));
    BOOST_TEST(*s.job.finishedAt == s.now);
    BOOST_TEST(s.step_decision().events.empty());
    require_refusal(decide_job_action(s.job, JobAction::resume, std::nullopt), RefusalKind::conflict,
                    "only a failed or canceled job can be resumed (job is succeeded)");
    require_refusal(decide_job_action(s.job, JobAction::approve, std::nullopt), RefusalKind::conflict);
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(a_graph_that_can_no_longer_progress_fails) {
    // `b` waits for a task that does not exist: nothing can ever make it ready.
    auto s = running(tasks_request({tpl("a", Role::executor), tpl("b", Role::executor, {"ghost"})}));
    s.start("a");
    s.finish(s.ok_report("a"));
    auto mark = s.mark();
    s.step();
    BOOST_TEST(s.log.back().type == "failed");
    std::string error = "no task can run any more (b wait for tasks that will not succeed)";
    BOOST_TEST(s.log.back().payload.at("error").as_string() == error);
    BOOST_TEST(s.log.back().payload.at("taskId").is_null());
    BOOST_TEST(*s.task("b").error == "run failed: " + error);
    BOOST_TEST(s.count_since(mark, "team.task.canceled") == 1u);
    BOOST_TEST((s.job.status == JobStatus::failed));
    BOOST_TEST(*s.job.error == error);
}

BOOST_AUTO_TEST_CASE(reclaimed_tasks_are_queued_again_three_times_then_fail) {
    auto s = running(autopilot(0));
    for (int i = 1; i <= 3; ++i) {
        s.start("planner");
        auto mark = s.mark();
        s.step({"planner"});
        BOOST_TEST(s.types_since(mark).front() == "team.claim_recovered");
        auto& p = s.log[mark].payload;
        BOOST_TEST(ids_of(p.at("taskIds")) == (Ids{"planner"}));
        BOOST_TEST(p.at("reason").as_string() == "server restarted");
        auto& t = s.task("planner");
        BOOST_TEST(status_of(s, "planner") == "queued");
        BOOST_TEST(t.reclaims == i);
        BOOST_TEST(t.failures == 0);
        BOOST_TEST(t.attempt == i);
        BOOST_TEST(!t.claimToken.has_value());
        BOOST_TEST(!t.workerId.has_value());
        BOOST_TEST(!t.pid.has_value());
    }
    // Tasks that are not running are not reclaimed.
    BOOST_TEST(s.step_decision({"planner", "executor"}).events.empty());
    s.start("planner");
    auto mark = s.mark();
    s.step({"planner"});
    auto& done = s.only(mark, "team.task.completed");
    BOOST_TEST(done.payload.at("result").as_string() == "failed");
    BOOST_TEST(done.payload.at("errorClass").as_string() == "killed");
    BOOST_TEST(done.payload.at("error").as_string() == "the task's worker was lost 4 times");
    BOOST_TEST(s.count_since(mark, "team.claim_recovered") == 0u);
    // No fix round left: the run fails in the same step.
    BOOST_TEST(s.log.back().type == "failed");
    BOOST_TEST(*s.job.error == "task planner failed: the task's worker was lost 4 times");
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(phases_follow_the_stages_with_their_reasons) {
    auto s = running(make_request(Mode::team));
    BOOST_TEST(reasons(s.job) == (Ids{"created"}));
    s.succeed("team-planner");
    BOOST_TEST((s.job.team.phase == Phase::team_prd));
    s.succeed("team-research");
    BOOST_TEST((s.job.team.phase == Phase::team_prd));
    s.succeed("team-designer");
    BOOST_TEST((s.job.team.phase == Phase::team_exec));
    s.succeed("team-developer");
    s.succeed("team-executor");
    BOOST_TEST((s.job.team.phase == Phase::team_verify));
    s.succeed("team-verifier");
    BOOST_TEST((s.job.team.phase == Phase::complete));
    BOOST_TEST(reasons(s.job) ==
               (Ids{"created", "tasks_started", "tasks_started", "verification_required", "complete"}));
    std::vector<std::string> phases;
    for (auto& p : s.job.team.phaseHistory) phases.emplace_back(to_string(p.phase));
    BOOST_TEST(phases == (Ids{"team-plan", "team-prd", "team-exec", "team-verify", "complete"}));
    // Each change is an event {from, to, reason} stamped like the history entry.
    auto changes = s.events_since(0, "team.phase_changed");
    BOOST_REQUIRE(changes.size() == 4u);
    BOOST_TEST(changes[0]->payload.at("from").as_string() == "team-plan");
    BOOST_TEST(changes[0]->payload.at("to").as_string() == "team-prd");
    BOOST_TEST(changes[0]->payload.at("reason").as_string() == "tasks_started");
    BOOST_TEST(s.job.team.phaseHistory[1].enteredAt == changes[0]->createdAt);
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(an_event_batch_sees_its_own_events_and_adds_the_status_change) {
    auto s = created(autopilot());
    EventBatch batch(s.job);
    batch.emit(event_type::started, "Run started by w9", {{"workerId", "w9"}});
    BOOST_TEST(batch.after().runStarted); // later choices of the decision see it
    BOOST_TEST((batch.after().status == JobStatus::running));
    BOOST_TEST(!s.job.runStarted); // the job itself is untouched
    auto d = batch.finish();
    BOOST_TEST(!d.refusal);
    BOOST_REQUIRE(d.events.size() == 2u);
    BOOST_TEST(d.events[1].type == "job.status");
    BOOST_TEST(d.events[1].payload.at("from").as_string() == "queued");
    BOOST_TEST(d.events[1].payload.at("to").as_string() == "running");
    auto change = phase_change(Phase::team_exec, Phase::team_verify, "verification_required");
    BOOST_TEST(change.type == "team.phase_changed");
    BOOST_TEST(js(change.payload) ==
               js(json::object{{"from", "team-exec"}, {"to", "team-verify"}, {"reason", "verification_required"}}));
}

BOOST_AUTO_TEST_CASE(the_target_phase_is_terminal_by_status_else_fix_else_the_earliest_stage) {
    auto s = running(autopilot());
    BOOST_TEST((target_phase(s.job) == Phase::team_plan));
    for (auto [status, phase] : {std::pair{JobStatus::succeeded, Phase::complete},
                                 std::pair{JobStatus::failed, Phase::failed},
                                 std::pair{JobStatus::canceled, Phase::canceled}}) {
        Job copy = s.job;
        copy.status = status;
        BOOST_TEST((target_phase(copy) == phase));
    }
    s.succeed("planner");
    s.succeed("executor");
    s.start("verifier");
    s.finish(s.ok_report("verifier"));
    // Every task succeeded but the run is not complete yet: the phase stays.
    BOOST_TEST((target_phase(s.job) == Phase::team_verify));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(team_run_verdict)

BOOST_AUTO_TEST_CASE(verdict_fails_prefers_the_structured_status_over_the_exit_code) {
    AttemptReport r;
    r.exitCode = 1;
    r.structured = parse(R"({"status":"pass"})");
    BOOST_TEST(!verdict_fails(r));
    r.exitCode = 0;
    r.structured = parse(R"({"status":"fail"})");
    BOOST_TEST(verdict_fails(r));
    r.structured = nullptr;
    BOOST_TEST(!verdict_fails(r));
    r.exitCode = 2;
    BOOST_TEST(verdict_fails(r));
    r.structured = parse(R"({"status":"unsure"})"); // neither pass nor fail: the exit code
    BOOST_TEST(verdict_fails(r));
    r.exitCode = std::nullopt;
    BOOST_TEST(!verdict_fails(r));
}

BOOST_AUTO_TEST_CASE(a_structured_fail_verdict_fails_the_verifier_despite_exit_0) {
    auto s = running(autopilot());
    s.succeed("planner");
    s.succeed("executor");
    s.start("verifier");
    auto mark = s.mark();
    s.finish(s.ok_report("verifier", parse(R"({"status":"fail","findings":"2 tests fail"})")));
    auto& p = s.only(mark, "team.task.completed").payload;
    BOOST_TEST(p.at("result").as_string() == "failed");
    BOOST_TEST(p.at("errorClass").as_string() == "validation");
    BOOST_TEST(p.at("error").as_string() == "verification failed: 2 tests fail");
    BOOST_TEST(status_of(s, "verifier") == "failed");
}

BOOST_AUTO_TEST_CASE(structured_findings_that_are_not_text_are_quoted_as_json) {
    auto s = running(autopilot());
    s.succeed("planner");
    s.succeed("executor");
    s.start("verifier");
    s.finish(s.ok_report("verifier", parse(R"({"status":"fail","findings":{"failing":["a"]}})")));
    BOOST_TEST(*s.task("verifier").error == R"(verification failed: {"failing":["a"]})");
}

BOOST_AUTO_TEST_CASE(a_plain_exit_code_is_the_verdict_without_a_status) {
    auto pass = running(autopilot());
    pass.succeed("planner");
    pass.succeed("executor");
    pass.start("verifier");
    pass.finish(pass.ok_report("verifier")); // `make test` exited 0, no structured result
    BOOST_TEST(status_of(pass, "verifier") == "succeeded");

    auto fail = running(autopilot());
    fail.succeed("planner");
    fail.succeed("executor");
    fail.start("verifier");
    fail.finish(fail.failed_report("verifier", "exit", "exited with code 2", 2));
    BOOST_TEST(status_of(fail, "verifier") == "failed");
    BOOST_TEST(*fail.task("verifier").errorClass == "validation");
    BOOST_TEST(*fail.task("verifier").error == "verification failed: exit code 2");
}

// team.md "A verifier's verdict is its structured status (pass / fail) when it
// gives one, else its exit code": the verdict sentence is the more specific
// rule for verifiers than the table's "exit 0" (docs/DECISIONS.md).
BOOST_AUTO_TEST_CASE(a_structured_pass_verdict_wins_over_a_non_zero_exit) {
    auto s = running(autopilot());
    s.succeed("planner");
    s.succeed("executor");
    s.start("verifier");
    s.finish(s.failed_report("verifier", "exit", "exited with code 1", 1, parse(R"({"status":"pass"})")));
    BOOST_TEST(status_of(s, "verifier") == "succeeded");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(team_run_fix_loop)

BOOST_AUTO_TEST_CASE(a_failed_task_starts_a_fix_round_on_itself_and_its_downstream) {
    auto s = running(autopilot());
    s.succeed("planner");
    s.start("executor");
    s.finish(s.failed_report("executor"));
    auto mark = s.mark();
    s.step();
    BOOST_TEST(s.types_since(mark) == (Ids{"team.retry", "team.phase_changed"}));
    auto& p = s.log[mark].payload;
    std::string reason = "task executor failed: exited with code 1";
    BOOST_TEST(p.at("fixAttempt").as_int64() == 1);
    BOOST_TEST(p.at("maxFixAttempts").as_int64() == 2);
    BOOST_TEST(ids_of(p.at("resetTaskIds")) == (Ids{"executor", "verifier"}));
    BOOST_TEST(p.at("reason").as_string() == reason);
    auto feedback = json::object{{"error", reason}, {"findings", nullptr}, {"approved", false}, {"comment", nullptr}};
    BOOST_TEST(js(p.at("feedback")) == js(feedback));
    auto& phase = s.log[mark + 1].payload;
    BOOST_TEST(phase.at("from").as_string() == "team-exec");
    BOOST_TEST(phase.at("to").as_string() == "team-fix");
    BOOST_TEST(phase.at("reason").as_string() == "fix_attempt");
    BOOST_TEST(s.job.team.fixAttempts == 1);
    BOOST_TEST(status_of(s, "executor") == "queued");
    BOOST_TEST(s.task("executor").failures == 0);
    BOOST_TEST(!s.task("executor").error.has_value());
    BOOST_TEST(status_of(s, "verifier") == "blocked");
    BOOST_TEST(status_of(s, "planner") == "succeeded");
    // The failure goes to every reset task's next prompt.
    BOOST_TEST(js(s.task("executor").feedback) == js(feedback));
    BOOST_TEST(js(s.task("verifier").feedback) == js(feedback));
    BOOST_TEST(s.task("planner").feedback.is_null());
    // The fix round ends when its tasks have run: back to verification.
    s.succeed("executor");
    BOOST_TEST((s.job.team.phase == Phase::team_verify));
    BOOST_TEST(s.job.team.phaseHistory.back().reason == "verification_resumed");
    BOOST_TEST(s.task("executor").feedback.is_null()); // consumed by the successful run
    s.succeed("verifier");
    BOOST_TEST((s.job.status == JobStatus::succeeded));
    BOOST_TEST(s.job.output.at("fixAttempts").as_int64() == 1);
    BOOST_TEST(reasons(s.job) == (Ids{"created", "tasks_started", "fix_attempt", "verification_resumed", "complete"}));
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(a_failing_verdict_resets_the_build_ancestors_their_downstream_and_the_verifier) {
    auto s = team_before_verifier();
    s.start("team-verifier");
    s.finish(s.ok_report("team-verifier", parse(R"({"status":"fail","findings":"2 tests fail"})")));
    auto mark = s.mark();
    s.step();
    auto& p = s.only(mark, "team.retry").payload;
    BOOST_TEST(ids_of(p.at("resetTaskIds")) == (Ids{"team-developer", "team-executor", "team-verifier"}));
    std::string reason = "verifier team-verifier: verification failed: 2 tests fail";
    BOOST_TEST(p.at("reason").as_string() == reason);
    BOOST_TEST(p.at("feedback").at("error").as_string() == reason);
    BOOST_TEST(p.at("feedback").at("findings").as_string() == "2 tests fail");
    BOOST_TEST(js(s.task("team-developer").feedback) == js(p.at("feedback")));
    for (auto id : {"team-planner", "team-research", "team-designer"}) BOOST_TEST(status_of(s, id) == "succeeded");
    BOOST_TEST(status_of(s, "team-developer") == "queued");
    BOOST_TEST(status_of(s, "team-executor") == "blocked");
    BOOST_TEST(status_of(s, "team-verifier") == "blocked");
    BOOST_TEST((s.job.team.phase == Phase::team_fix));
    s.succeed("team-developer");
    BOOST_TEST((s.job.team.phase == Phase::team_fix)); // the executor has not run yet
    s.succeed("team-executor");
    BOOST_TEST((s.job.team.phase == Phase::team_verify));
    s.succeed("team-verifier", parse(R"({"status":"pass"})"));
    BOOST_TEST((s.job.status == JobStatus::succeeded));
    BOOST_TEST(reasons(s.job) == (Ids{"created", "tasks_started", "tasks_started", "verification_required",
                                      "fix_attempt", "verification_resumed", "complete"}));
    BOOST_TEST(s.task("team-developer").attempt == 2);
    BOOST_TEST(s.task("team-planner").attempt == 1);
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(a_failing_verdict_without_build_ancestors_resets_the_direct_dependencies) {
    auto s = running(tasks_request({tpl("look", Role::researcher), tpl("review", Role::verifier, {"look"})}, 1));
    s.succeed("look");
    s.start("review");
    s.finish(s.failed_report("review", "exit", "exited with code 1", 1));
    auto mark = s.mark();
    s.step();
    BOOST_TEST(ids_of(s.only(mark, "team.retry").payload.at("resetTaskIds")) == (Ids{"look", "review"}));
    BOOST_TEST(s.only(mark, "team.retry").payload.at("reason").as_string() ==
               "verifier review: verification failed: exit code 1");
    s.succeed("look");
    BOOST_TEST((s.job.team.phase == Phase::team_verify));
    BOOST_TEST(s.job.team.phaseHistory.back().reason == "verification_resumed");
}

BOOST_AUTO_TEST_CASE(a_fix_round_waits_until_no_task_runs) {
    auto s = running(ultrawork(3, 2));
    s.succeed("planner");
    s.start("executor-1");
    s.start("executor-2");
    s.finish(s.failed_report("executor-1"));
    BOOST_TEST(s.step_decision().events.empty()); // executor-2 still runs
    BOOST_TEST(!may_start_tasks(s.job));
    require_refusal(s.start_decision("executor-3"), RefusalKind::conflict); // no new task while a fix is pending
    s.finish(s.ok_report("executor-2"));
    auto mark = s.mark();
    s.step();
    BOOST_TEST(ids_of(s.only(mark, "team.retry").payload.at("resetTaskIds")) == (Ids{"executor-1", "verifier"}));
    BOOST_TEST(status_of(s, "executor-2") == "succeeded"); // the other branch keeps its result
    BOOST_TEST(status_of(s, "executor-3") == "queued");
    BOOST_TEST((s.job.team.phase == Phase::team_fix));
    s.start("executor-3");
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(spent_fix_rounds_fail_the_run_naming_the_task_and_its_reason) {
    auto s = running(autopilot());
    s.succeed("planner");
    s.fail("executor"); // fix round 1
    s.fail("executor"); // fix round 2
    BOOST_TEST(s.job.team.fixAttempts == 2);
    BOOST_TEST(s.log.back().type != "failed");
    s.start("executor");
    s.finish(s.failed_report("executor"));
    auto mark = s.mark();
    s.step();
    BOOST_TEST(s.count_since(mark, "team.retry") == 0u);
    auto types = s.types_since(mark);
    BOOST_TEST(types == (Ids{"team.task.canceled", "team.completed", "team.phase_changed", "failed"}));
    std::string error = "task executor failed: exited with code 1";
    auto& p = s.log.back().payload;
    BOOST_TEST(p.at("error").as_string() == error);
    BOOST_TEST(p.at("errorClass").as_string() == "exit");
    BOOST_TEST(p.at("taskId").as_string() == "executor");
    BOOST_TEST(s.log[mark].payload.at("taskId").as_string() == "verifier");
    BOOST_TEST(s.log[mark].payload.at("reason").as_string() == "dependency executor failed");
    BOOST_TEST(s.log[mark + 2].payload.at("reason").as_string() == "failed");
    BOOST_TEST((s.job.status == JobStatus::failed));
    BOOST_TEST(*s.job.error == error);
    BOOST_TEST(s.job.finishedAt.has_value());
    BOOST_TEST(s.job.output.at("phase").as_string() == "failed");
    BOOST_TEST(s.job.output.at("fixAttempts").as_int64() == 2);
    BOOST_TEST(status_of(s, "executor") == "failed");
    BOOST_TEST(status_of(s, "verifier") == "canceled");
    BOOST_TEST(*s.task("verifier").error == "dependency executor failed");
    BOOST_TEST(s.task("executor").attempt == 3);
    BOOST_TEST(s.step_decision().events.empty());
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(a_failed_run_cancels_independent_tasks_with_the_run_error) {
    auto s = running(ultrawork(2, 1, 0));
    s.succeed("planner");
    s.fail("executor-1");
    std::string error = "task executor-1 failed: exited with code 1";
    BOOST_TEST(*s.job.error == error);
    BOOST_TEST(status_of(s, "executor-2") == "canceled");
    BOOST_TEST(*s.task("executor-2").error == "run failed: " + error);
    BOOST_TEST(*s.task("verifier").error == "dependency executor-1 failed");
}

BOOST_AUTO_TEST_CASE(a_verifier_that_keeps_failing_fails_the_run_with_its_findings) {
    auto r = make_request(Mode::ralph);
    r.options.team.maxFixAttempts = 0; // no fix round: the first failing verdict ends the run
    auto s = running(r);
    s.succeed("executor");
    s.start("verifier");
    s.finish(s.ok_report("verifier", parse(R"({"status":"fail","findings":"flaky"})")));
    s.step();
    BOOST_TEST((s.job.status == JobStatus::failed));
    BOOST_TEST(*s.job.error == "task verifier failed: verification failed: flaky");
    BOOST_TEST(s.log.back().payload.at("errorClass").as_string() == "validation");
}

BOOST_AUTO_TEST_CASE(resume_reopens_a_failed_run_with_fresh_counters) {
    auto s = running(autopilot(0));
    s.succeed("planner", nullptr, 100);
    s.fail("executor");
    BOOST_TEST((s.job.status == JobStatus::failed));
    auto mark = s.mark();
    s.commit(decide_job_action(s.job, JobAction::resume, std::nullopt));
    BOOST_TEST(s.types_since(mark).front() == "queued");
    BOOST_TEST(s.log[mark].payload.at("reason").as_string() == "resumed");
    BOOST_TEST((s.job.status == JobStatus::queued));
    BOOST_TEST(!s.job.error.has_value());
    BOOST_TEST(s.job.output.is_null());
    BOOST_TEST(!s.job.finishedAt.has_value());
    BOOST_TEST(!s.job.runStarted);
    BOOST_TEST(s.job.activeMs == 0);
    BOOST_TEST(s.job.tokenBaseline == 100);
    BOOST_TEST(s.job.team.fixAttempts == 0);
    BOOST_TEST(status_of(s, "planner") == "succeeded"); // kept
    BOOST_TEST(status_of(s, "executor") == "queued");
    BOOST_TEST(s.task("executor").failures == 0);
    BOOST_TEST(!s.task("executor").error.has_value());
    BOOST_TEST(status_of(s, "verifier") == "blocked");
    BOOST_TEST((s.job.team.phase == Phase::team_exec));
    s.step();
    s.succeed("executor");
    s.succeed("verifier");
    BOOST_TEST((s.job.status == JobStatus::succeeded));
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(team_run_approvals)

BOOST_AUTO_TEST_CASE(an_agent_asking_for_approval_waits_at_an_after_gate) {
    const std::vector<std::pair<std::string, std::string>> asks{
        {R"({"requiresApproval":true,"reason":"deploy to prod?"})", "deploy to prod?"},
        {R"({"requires_approval":true,"reason":"deploy to prod?"})", "deploy to prod?"},
        {R"({"approval":{"required":true,"reason":"deploy to prod?"}})", "deploy to prod?"},
        {R"({"requiresApproval":true})", "the agent asks for approval"},
    };
    for (auto& [structured, reason] : asks) {
        BOOST_TEST_CONTEXT("structured " << structured) {
            auto s = running(autopilot());
            s.start("planner");
            s.advance(second);
            auto mark = s.mark();
            s.finish(s.ok_report("planner", parse(structured)));
            BOOST_TEST(s.types_since(mark) == (Ids{"team.task.completed", "team.task.approval_required",
                                                   "approval_required", "job.status"}));
            BOOST_TEST(s.log[mark].payload.at("result").as_string() == "approval");
            BOOST_TEST(s.log[mark].payload.at("errorClass").is_null());
            auto& task_gate = s.log[mark + 1].payload;
            BOOST_TEST(task_gate.at("taskId").as_string() == "planner");
            BOOST_TEST(task_gate.at("stage").as_string() == "after");
            BOOST_TEST(task_gate.at("reason").as_string() == reason);
            auto& gate = s.log[mark + 2].payload;
            BOOST_TEST(gate.at("gate").as_string() == "after");
            BOOST_TEST(gate.at("taskId").as_string() == "planner");
            BOOST_TEST(gate.at("reason").as_string() == reason);
            BOOST_TEST(s.log[mark + 3].payload.at("to").as_string() == "waiting_approval");
            auto& t = s.task("planner");
            BOOST_TEST(status_of(s, "planner") == "queued");
            BOOST_REQUIRE(t.approval.has_value());
            BOOST_TEST(t.approval->stage == "after");
            BOOST_TEST(t.approval->reason == reason);
            BOOST_TEST(t.approval->requestedAt == s.now);
            BOOST_TEST(t.approval->requests == 1);
            BOOST_TEST(t.failures == 0);
            BOOST_TEST((s.job.status == JobStatus::waiting_approval));
            BOOST_TEST((s.job.approvalState == ApprovalState::required));
            BOOST_TEST(*approval_task_id(s.job.team) == "planner");
            require_refusal(s.start_decision("planner"), RefusalKind::conflict);
            BOOST_TEST(startable_tasks(s.job.team, s.now).empty());
            BOOST_TEST(s.step_decision().events.empty());
        }
    }
    // requiresApproval false asks nothing.
    auto s = running(autopilot());
    s.start("planner");
    s.finish(s.ok_report("planner", parse(R"({"requiresApproval":false,"approval":{"required":false}})")));
    BOOST_TEST(status_of(s, "planner") == "succeeded");
}

BOOST_AUTO_TEST_CASE(an_approved_after_gate_runs_the_task_again_with_the_approvers_comment) {
    auto s = running(autopilot());
    s.start("planner");
    s.finish(s.ok_report("planner", parse(R"({"requiresApproval":true,"reason":"ok?"})")));
    s.advance(minute);
    auto mark = s.mark();
    s.commit(decide_task_action(s.job, "planner", true, std::string("go ahead")));
    BOOST_TEST(s.types_since(mark) == (Ids{"approval", "job.status"}));
    auto& p = s.log[mark].payload;
    BOOST_TEST(p.at("decision").as_string() == "approved");
    BOOST_TEST(p.at("gate").as_string() == "after");
    BOOST_TEST(p.at("taskId").as_string() == "planner");
    BOOST_TEST(p.at("comment").as_string() == "go ahead");
    auto& t = s.task("planner");
    BOOST_TEST(!t.approval.has_value()); // no stale flag
    BOOST_TEST(js(t.feedback) == js(json::object{{"error", nullptr}, {"findings", nullptr}, {"approved", true},
                                                 {"comment", "go ahead"}}));
    BOOST_TEST((s.job.status == JobStatus::running));
    BOOST_TEST((s.job.approvalState == ApprovalState::approved));
    s.start("planner");
    BOOST_TEST(s.task("planner").attempt == 2);
    s.finish(s.ok_report("planner"));
    BOOST_TEST(status_of(s, "planner") == "succeeded");
    BOOST_TEST(s.task("planner").failures == 0); // the re-run did not count
    BOOST_TEST(s.task("planner").feedback.is_null());
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(a_fourth_approval_request_is_a_validation_failure) {
    auto s = running(autopilot());
    auto ask = parse(R"({"requiresApproval":true,"reason":"again?"})");
    for (int i = 1; i <= 3; ++i) {
        s.start("planner");
        s.finish(s.ok_report("planner", ask));
        BOOST_TEST(s.task("planner").approval->requests == i);
        s.commit(decide_job_action(s.job, JobAction::approve, std::nullopt));
    }
    s.start("planner");
    auto mark = s.mark();
    s.finish(s.ok_report("planner", ask));
    BOOST_TEST(s.count_since(mark, "team.task.approval_required") == 0u);
    auto& v = s.only(mark, "team.task.validation_failed").payload;
    BOOST_TEST(v.at("taskId").as_string() == "planner");
    BOOST_TEST(v.at("attempt").as_int64() == 4);
    BOOST_TEST(ids_of(v.at("problems")) == (Ids{"the agent asked for approval a fourth time"}));
    auto& done = s.only(mark, "team.task.completed").payload;
    BOOST_TEST(done.at("result").as_string() == "failed");
    BOOST_TEST(done.at("errorClass").as_string() == "validation");
    BOOST_TEST(done.at("error").as_string() == "invalid result: the agent asked for approval a fourth time");
    BOOST_TEST(status_of(s, "planner") == "failed");
    // A fix round resets the count.
    s.step();
    BOOST_TEST(s.job.team.fixAttempts == 1);
    BOOST_TEST(s.task("planner").afterRequests == 0);
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(rejecting_an_after_gate_fails_the_run_without_a_fix_round) {
    auto s = running(autopilot());
    s.start("planner");
    s.finish(s.ok_report("planner", parse(R"({"requiresApproval":true,"reason":"risky"})")));
    auto mark = s.mark();
    s.commit(decide_job_action(s.job, JobAction::reject, std::string("no")));
    auto types = s.types_since(mark);
    BOOST_TEST(types.front() == "approval");
    BOOST_TEST(s.log[mark].payload.at("gate").as_string() == "after");
    BOOST_TEST(s.log[mark].payload.at("taskId").as_string() == "planner");
    BOOST_TEST(types.back() == "failed");
    BOOST_TEST(s.count_since(mark, "team.retry") == 0u);
    BOOST_TEST(s.log.back().payload.at("error").as_string() == "Rejected by approver");
    BOOST_TEST(s.log.back().payload.at("errorClass").as_string() == "rejected");
    BOOST_TEST(s.log.back().payload.at("taskId").as_string() == "planner");
    BOOST_TEST(status_of(s, "planner") == "failed");
    BOOST_TEST(*s.task("planner").error == "rejected by approver");
    BOOST_TEST(*s.task("planner").errorClass == "rejected");
    BOOST_TEST(status_of(s, "executor") == "canceled");
    BOOST_TEST((s.job.status == JobStatus::failed));
    BOOST_TEST((s.job.approvalState == ApprovalState::rejected));
    BOOST_TEST(s.job.team.fixAttempts == 0);
    BOOST_TEST(s.step_decision().events.empty());
    // resume starts the run again.
    s.commit(decide_job_action(s.job, JobAction::resume, std::nullopt));
    BOOST_TEST(status_of(s, "planner") == "queued");
    BOOST_TEST(!s.task("planner").errorClass.has_value());
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(a_template_task_requiring_approval_waits_at_a_before_gate) {
    auto s = running(tasks_request({tpl("plan", Role::planner), tpl("deploy", Role::executor, {"plan"}, 1, true)}));
    // Not ready yet: no gate.
    BOOST_TEST(s.count_since(0, "team.task.approval_required") == 0u);
    s.start("plan");
    s.finish(s.ok_report("plan"));
    s.advance(second);
    auto mark = s.mark();
    s.step();
    auto& task_gate = s.only(mark, "team.task.approval_required").payload;
    std::string reason = "task deploy requires approval before it starts";
    BOOST_TEST(task_gate.at("taskId").as_string() == "deploy");
    BOOST_TEST(task_gate.at("stage").as_string() == "before");
    BOOST_TEST(task_gate.at("reason").as_string() == reason);
    auto& gate = s.only(mark, "approval_required").payload;
    BOOST_TEST(gate.at("gate").as_string() == "before");
    BOOST_TEST(gate.at("taskId").as_string() == "deploy");
    BOOST_TEST(s.task("deploy").approval->stage == "before");
    BOOST_TEST(s.task("deploy").approval->requestedAt == s.now);
    BOOST_TEST((s.job.status == JobStatus::waiting_approval));
    require_refusal(s.start_decision("deploy"), RefusalKind::conflict);
    BOOST_TEST(s.step_decision().events.empty()); // asked once
    s.commit(decide_task_action(s.job, "deploy", true, std::nullopt));
    BOOST_TEST(s.task("deploy").beforeApproved);
    BOOST_TEST(!s.task("deploy").approval.has_value());
    BOOST_TEST(s.step_decision().events.empty()); // approved: not asked again
    BOOST_TEST(startable_tasks(s.job.team, s.now) == (Ids{"deploy"}));
    s.start("deploy");
    s.finish(s.ok_report("deploy"));
    s.step();
    BOOST_TEST((s.job.status == JobStatus::succeeded));
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(rejecting_a_before_gate_fails_the_task_and_the_run) {
    auto s = running(tasks_request({tpl("plan", Role::planner), tpl("deploy", Role::executor, {"plan"}, 1, true),
                                    tpl("check", Role::verifier, {"deploy"})}));
    s.succeed("plan");
    BOOST_REQUIRE(s.task("deploy").approval.has_value());
    auto mark = s.mark();
    s.commit(decide_job_action(s.job, JobAction::reject, std::string("not today")));
    BOOST_TEST(s.log[mark].payload.at("gate").as_string() == "before");
    BOOST_TEST(s.count_since(mark, "team.retry") == 0u);
    BOOST_TEST(status_of(s, "deploy") == "failed");
    BOOST_TEST(*s.task("deploy").error == "rejected by approver");
    BOOST_TEST(status_of(s, "check") == "canceled");
    BOOST_TEST((s.job.status == JobStatus::failed));
    BOOST_TEST(*s.job.error == "Rejected by approver");
}

BOOST_AUTO_TEST_CASE(several_task_gates_wait_and_the_job_action_takes_the_oldest_first) {
    auto s = running(tasks_request({tpl("a", Role::executor), tpl("b", Role::executor)}, 0, 2));
    s.start("a");
    s.start("b");
    auto ask = parse(R"({"requiresApproval":true,"reason":"look"})");
    s.advance(second);
    s.finish(s.ok_report("b", ask));
    BOOST_TEST((s.job.status == JobStatus::running)); // a still runs
    BOOST_TEST((s.job.approvalState == ApprovalState::required));
    s.advance(second);
    s.finish(s.ok_report("a", ask));
    BOOST_TEST((s.job.status == JobStatus::waiting_approval));
    BOOST_TEST(*approval_task_id(s.job.team) == "b");
    auto mark = s.mark();
    s.commit(decide_job_action(s.job, JobAction::approve, std::string("b first")));
    BOOST_TEST(s.log[mark].payload.at("taskId").as_string() == "b");
    BOOST_TEST(!s.task("b").approval.has_value());
    BOOST_TEST(s.task("a").approval.has_value());
    BOOST_TEST((s.job.approvalState == ApprovalState::required)); // a still waits
    BOOST_TEST((s.job.status == JobStatus::running));             // b is ready to run
    mark = s.mark();
    s.commit(decide_job_action(s.job, JobAction::approve, std::nullopt));
    BOOST_TEST(s.log[mark].payload.at("taskId").as_string() == "a");
    BOOST_TEST((s.job.approvalState == ApprovalState::approved));
    require_refusal(decide_job_action(s.job, JobAction::approve, std::nullopt), RefusalKind::conflict,
                    "nothing is waiting for approval (job is running)");
    require_refusal(decide_task_action(s.job, "a", true, std::nullopt), RefusalKind::conflict);
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(reassign_resets_failures_and_the_downstream_with_the_message_as_instruction) {
    auto s = running(make_request(Mode::team));
    for (auto id : {"team-planner", "team-research", "team-designer"}) s.succeed(id);
    s.start("team-developer");
    s.finish(s.failed_report("team-developer")); // maxAttempts 2: retried
    BOOST_TEST(s.task("team-developer").failures == 1);
    auto mark = s.mark();
    s.commit(decide_mailbox_post(
        s.job, leader_message("m-1", "reassign", "developer", std::string("team-developer"), s.now)));
    BOOST_TEST(s.types_since(mark) == (Ids{"team.mailbox.received", "team.task.reassigned"}));
    auto& p = s.log[mark + 1].payload;
    BOOST_TEST(p.at("taskId").as_string() == "team-developer");
    BOOST_TEST(p.at("messageId").as_string() == "m-1");
    BOOST_TEST(ids_of(p.at("resetTaskIds")) == (Ids{"team-developer", "team-executor", "team-verifier"}));
    auto& t = s.task("team-developer");
    BOOST_TEST(t.failures == 0);
    BOOST_TEST(!t.notBefore.has_value());
    BOOST_TEST(!t.error.has_value());
    BOOST_TEST(t.attempt == 1);
    BOOST_TEST(status_of(s, "team-developer") == "queued");
    auto mail = messages_for(s.job.team, t);
    BOOST_REQUIRE(mail.size() == 1u);
    BOOST_TEST(mail.front()->id == "m-1");
    // A running task is reset too; its attempt's late report is ignored.
    s.start("team-developer");
    auto late = s.ok_report("team-developer");
    s.commit(decide_mailbox_post(
        s.job, leader_message("m-2", "reassign", "developer", std::string("team-developer"), s.now)));
    BOOST_TEST(status_of(s, "team-developer") == "queued");
    BOOST_TEST(decide_task_result(s.job, late).events.empty());
    CHECK_FOLD_EQUALS_LIVE(s);
}

// The API's validator answers 400 for an unknown taskId before the core sees
// it (api/validate_mailbox.cpp); the core refuses it too, and changes nothing.
BOOST_AUTO_TEST_CASE(a_reassign_of_an_unknown_task_is_refused) {
    auto s = running(autopilot());
    s.succeed("planner");
    auto d = decide_mailbox_post(s.job, leader_message("m-1", "reassign", "executor", std::string("ghost"), s.now));
    BOOST_REQUIRE(d.refusal);
    BOOST_TEST((d.refusal->kind == RefusalKind::not_found));
    BOOST_TEST(d.events.empty());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(team_run_plans)

const char* const three_step_plan = R"({"plan_summary":"split","tasks":[
    {"id":"write","role":"developer","subject":"Write the fix"},
    {"id":"test","role":"executor","subject":"Test it","depends_on":["write"]},
    {"id":"docs","role":"researcher","subject":"Update the docs"}]})";

BOOST_AUTO_TEST_CASE(a_valid_plan_replaces_the_autopilot_template) {
    auto s = running(autopilot());
    s.start("planner");
    auto mark = s.mark();
    s.finish(s.ok_report("planner", parse(three_step_plan)));
    BOOST_TEST(s.types_since(mark) == (Ids{"team.task.completed", "team.plan_ready", "team.phase_changed"}));
    auto& p = s.log[mark + 1].payload;
    BOOST_TEST(p.at("fromTaskId").as_string() == "planner");
    BOOST_TEST(p.at("summary").as_string() == "split");
    BOOST_TEST(ids_of(p.at("removedTaskIds")) == (Ids{"executor"}));
    auto& added = p.at("added").as_array();
    BOOST_REQUIRE(added.size() == 3u);
    BOOST_TEST(added[0].at("id").as_string() == "write");
    BOOST_TEST(ids_of(added[0].at("dependencies")) == (Ids{"planner"}));
    BOOST_TEST(ids_of(added[1].at("dependencies")) == (Ids{"write"}));
    BOOST_TEST(ids_of(added[2].at("dependencies")) == (Ids{"planner"}));
    BOOST_TEST(s.log[mark + 2].payload.at("reason").as_string() == "plan_ready");
    BOOST_TEST(s.log[mark + 2].payload.at("to").as_string() == "team-prd");
    BOOST_TEST(task_ids(s.job) == (Ids{"planner", "write", "test", "docs", "verifier"}));
    BOOST_TEST(s.task("verifier").dependencies == (Ids{"test", "docs"})); // every end of the plan
    BOOST_TEST(status_of(s, "write") == "queued");
    BOOST_TEST(status_of(s, "docs") == "queued");
    BOOST_TEST(status_of(s, "test") == "blocked");
    BOOST_TEST(status_of(s, "verifier") == "blocked");
    BOOST_TEST(s.task("write").maxAttempts == 2);
    BOOST_TEST(js(s.job.team.plan) ==
               js(json::object{{"summary", "split"}, {"fromTaskId", "planner"}, {"taskIds", {"write", "test", "docs"}}}));
    s.step();
    BOOST_TEST(startable_tasks(s.job.team, s.now) == (Ids{"docs", "write"})); // stage order
    for (auto id : {"docs", "write", "test", "verifier"}) s.succeed(id);
    BOOST_TEST((s.job.status == JobStatus::succeeded));
    BOOST_TEST(reasons(s.job) == (Ids{"created", "plan_ready", "tasks_started", "verification_required", "complete"}));
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(a_valid_plan_replaces_the_team_template_except_the_verifier) {
    auto s = running(make_request(Mode::team));
    s.start("team-planner");
    auto mark = s.mark();
    s.finish(s.ok_report("team-planner", parse(R"({"tasks":[{"id":"impl","role":"executor","subject":"Do"}]})")));
    BOOST_TEST(ids_of(s.only(mark, "team.plan_ready").payload.at("removedTaskIds")) ==
               (Ids{"team-research", "team-designer", "team-developer", "team-executor"}));
    BOOST_TEST(task_ids(s.job) == (Ids{"team-planner", "impl", "team-verifier"}));
    BOOST_TEST(s.task("impl").dependencies == (Ids{"team-planner"}));
    BOOST_TEST(s.task("team-verifier").dependencies == (Ids{"impl"}));
    BOOST_TEST((s.job.team.phase == Phase::team_exec));
    BOOST_TEST(s.job.team.phaseHistory.back().reason == "plan_ready");
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(an_invalid_plan_fails_the_attempt_listing_every_problem) {
    auto s = running(autopilot());
    s.start("planner");
    auto mark = s.mark();
    s.finish(s.ok_report("planner", parse(R"({"tasks":[
        {"id":"executor","role":"executor","subject":"clash"},
        {"id":"a","role":"planner","subject":"x","depends_on":["nope"]}]})")));
    auto& v = s.only(mark, "team.task.validation_failed").payload;
    Ids problems{"tasks[1].role: a plan may not add a planner", "task id 'executor' already exists in the job",
                 "task 'a' depends on 'nope', which is not a task of the plan"};
    BOOST_TEST(ids_of(v.at("problems")) == problems);
    auto& done = s.only(mark, "team.task.completed").payload;
    BOOST_TEST(done.at("result").as_string() == "failed");
    BOOST_TEST(done.at("errorClass").as_string() == "validation");
    BOOST_TEST(done.at("error").as_string() == "invalid plan: " + problems[0] + "; " + problems[1] + "; " + problems[2]);
    BOOST_TEST(s.count_since(mark, "team.plan_ready") == 0u);
    BOOST_TEST(task_ids(s.job) == (Ids{"planner", "executor", "verifier"}));
    BOOST_TEST(s.job.team.plan.is_null());
    // A normal failure: the fix loop takes it (and the next valid plan still replaces the graph).
    s.step();
    BOOST_TEST(s.job.team.fixAttempts == 1);
    s.succeed("planner", parse(three_step_plan));
    BOOST_TEST(task_ids(s.job) == (Ids{"planner", "write", "test", "docs", "verifier"}));
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(an_invalid_plan_is_retried_while_attempts_are_left) {
    auto s = running(tasks_request({tpl("plan", Role::planner, {}, 2), tpl("do", Role::executor, {"plan"})}));
    s.start("plan");
    s.finish(s.ok_report("plan", parse(R"({"tasks":[]})")));
    BOOST_TEST(status_of(s, "plan") == "queued");
    BOOST_TEST(s.task("plan").failures == 1);
    BOOST_TEST(*s.task("plan").error == "invalid plan: a plan must have between 1 and 32 tasks (it has 0)");
    BOOST_TEST(s.task("plan").notBefore.has_value());
}

BOOST_AUTO_TEST_CASE(a_plan_does_not_change_a_pipeline_or_a_client_graph) {
    auto pipe = running(make_request(Mode::pipeline));
    pipe.start("planner");
    auto mark = pipe.mark();
    pipe.finish(pipe.ok_report("planner", parse(three_step_plan)));
    BOOST_TEST(pipe.count_since(mark, "team.plan_ready") == 0u);
    BOOST_TEST(status_of(pipe, "planner") == "succeeded");
    BOOST_TEST(task_ids(pipe.job) == (Ids{"planner", "executor", "verifier"}));
    BOOST_TEST(pipe.job.team.plan.is_null());

    auto own = running(tasks_request({tpl("plan", Role::planner), tpl("do", Role::executor, {"plan"}),
                                      tpl("check", Role::verifier, {"do"})}));
    own.start("plan");
    mark = own.mark();
    own.finish(own.ok_report("plan", parse(three_step_plan)));
    BOOST_TEST(own.count_since(mark, "team.plan_ready") == 0u);
    BOOST_TEST(task_ids(own.job) == (Ids{"plan", "do", "check"}));
    BOOST_TEST(own.task("plan").output.at("structured").at("plan_summary").as_string() == "split"); // context
}

BOOST_AUTO_TEST_CASE(only_the_first_valid_plan_changes_the_graph) {
    auto s = running(autopilot());
    s.succeed("planner", parse(three_step_plan));
    s.commit(decide_mailbox_post(s.job, leader_message("m-1", "reassign", "planner", std::string("planner"), s.now)));
    s.step();
    auto mark = s.mark();
    s.succeed("planner", parse(R"({"tasks":[{"id":"other","role":"executor","subject":"More"}]})"));
    BOOST_TEST(s.count_since(mark, "team.plan_ready") == 0u);
    BOOST_TEST(status_of(s, "planner") == "succeeded");
    BOOST_TEST(task_ids(s.job) == (Ids{"planner", "write", "test", "docs", "verifier"}));
    BOOST_TEST(s.job.team.plan.at("fromTaskId").as_string() == "planner");
    CHECK_FOLD_EQUALS_LIVE(s);
}

// team.md "the verifier depends on every plan task that nothing else depends
// on" — also when the plan replaces no template task (here: a reassign of the
// planner after the executor ran), so the verifier cannot pass before the
// plan's tasks have run.
BOOST_AUTO_TEST_CASE(the_verifier_waits_for_the_plan_even_when_no_template_task_is_replaced) {
    auto s = running(autopilot());
    s.succeed("planner"); // no plan
    s.succeed("executor");
    s.commit(decide_mailbox_post(s.job, leader_message("m-1", "reassign", "planner", std::string("planner"), s.now)));
    s.start("planner");
    auto mark = s.mark();
    s.finish(s.ok_report("planner", parse(R"({"tasks":[{"id":"write","role":"developer","subject":"Write"}]})")));
    BOOST_TEST(s.count_since(mark, "team.plan_ready") == 1u);
    BOOST_TEST(status_of(s, "write") == "queued");
    auto& deps = s.task("verifier").dependencies;
    BOOST_TEST((std::find(deps.begin(), deps.end(), "write") != deps.end()));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(team_run_budgets)

BOOST_AUTO_TEST_CASE(max_tokens_counts_finished_and_live_usage_of_the_run) {
    auto r = autopilot();
    r.options.maxTokens = 1000;
    auto s = running(r);
    s.succeed("planner", nullptr, 600);
    s.start("executor");
    s.liveTokens = 400;
    BOOST_TEST(s.step_decision().events.empty()); // 1000 of 1000: not past it
    s.liveTokens = 401;
    auto mark = s.mark();
    s.step();
    auto& over = s.only(mark, "budget_exceeded").payload;
    BOOST_TEST(over.at("budget").as_string() == "maxTokens");
    BOOST_TEST(over.at("limit").as_int64() == 1000);
    BOOST_TEST(over.at("used").as_int64() == 1001);
    std::string error = "budget maxTokens exceeded: the run used 1001 of 1000 tokens";
    BOOST_TEST(s.log.back().type == "failed");
    BOOST_TEST(s.log.back().payload.at("error").as_string() == error);
    BOOST_TEST(s.log.back().payload.at("errorClass").as_string() == "budget");
    BOOST_TEST(status_of(s, "executor") == "canceled"); // the running agent is stopped
    BOOST_TEST((s.job.status == JobStatus::failed));
    BOOST_TEST(*s.job.error == error);
    // resume: the budget starts afresh from the tokens used so far.
    s.commit(decide_job_action(s.job, JobAction::resume, std::nullopt));
    BOOST_TEST(s.job.tokenBaseline == 600);
    s.step();
    s.start("executor");
    s.liveTokens = 900;
    BOOST_TEST(s.step_decision().events.empty());
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(max_minutes_counts_running_time_but_not_time_waiting_for_a_person) {
    auto s = running(autopilot()); // maxMinutes 60, run taken at t0
    s.start("planner");
    s.advance(10 * minute);
    s.finish(s.ok_report("planner", parse(R"({"requiresApproval":true})")));
    BOOST_TEST(s.job.activeMs == 10 * minute);
    BOOST_TEST(!s.job.activeSince.has_value()); // the clock stops while waiting
    BOOST_TEST(!next_wakeup(s.job, s.step_input()).has_value());
    s.advance(90 * minute);
    BOOST_TEST(s.step_decision().events.empty());
    s.commit(decide_job_action(s.job, JobAction::approve, std::nullopt));
    BOOST_TEST(*s.job.activeSince == t0 + 100 * minute);
    BOOST_TEST(*next_wakeup(s.job, s.step_input()) == t0 + 150 * minute);
    s.advance(40 * minute);
    BOOST_TEST(s.step_decision().events.empty()); // 50 of 60 minutes
    s.start("planner");
    s.advance(10 * minute);
    auto mark = s.mark();
    s.step();
    auto& over = s.only(mark, "budget_exceeded").payload;
    BOOST_TEST(over.at("budget").as_string() == "maxMinutes");
    BOOST_TEST(over.at("limit").as_int64() == 60);
    BOOST_TEST(over.at("used").as_int64() == 60);
    std::string error = "budget maxMinutes exceeded: the run took 60.00 of 60 minutes";
    BOOST_TEST(s.log.back().payload.at("error").as_string() == error);
    BOOST_TEST(s.log.back().payload.at("errorClass").as_string() == "budget");
    BOOST_TEST(status_of(s, "planner") == "canceled");
    BOOST_TEST((s.job.team.phase == Phase::failed));
    BOOST_TEST(*s.job.error == error);
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(max_minutes_is_measured_in_scaled_minutes) {
    auto s = running(autopilot());
    s.timeScale = 0.01; // a minute lasts 600 ms
    s.start("planner");
    s.advance(35 * second);
    BOOST_TEST(s.step_decision().events.empty());
    s.advance(second);
    auto mark = s.mark();
    s.step();
    BOOST_TEST(s.count_since(mark, "budget_exceeded") == 1u);
    BOOST_TEST((s.job.status == JobStatus::failed));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(team_run_mailbox)

BOOST_AUTO_TEST_CASE(messages_for_a_task_follow_its_id_its_role_or_a_role_list) {
    auto s = running(make_request(Mode::team));
    s.commit(decide_mailbox_post(s.job, leader_message("m-1", "question", "developer")));
    s.commit(decide_mailbox_post(s.job, leader_message("m-2", "notice", json::array{"designer", "developer"})));
    s.commit(decide_mailbox_post(s.job, leader_message("m-3", "instruction", "executor", std::string("team-executor"))));
    s.commit(decide_mailbox_post(s.job, leader_message("m-4", "notice", "leader")));
    s.commit(decide_mailbox_post(s.job, leader_message("m-5", "notice", "verifier")));
    auto ids = [&](const char* task) {
        Ids out;
        for (auto* m : messages_for(s.job.team, s.task(task))) out.push_back(m->id);
        return out;
    };
    BOOST_TEST(ids("team-developer") == (Ids{"m-1", "m-2"}));
    BOOST_TEST(ids("team-designer") == (Ids{"m-2"}));
    BOOST_TEST(ids("team-executor") == (Ids{"m-3"}));
    BOOST_TEST(ids("team-verifier") == (Ids{"m-5"}));
    BOOST_TEST(ids("team-planner").empty());
    // An agent's own mail is not for itself, even when its role matches.
    Message own = leader_message("m-6", "notice", "developer");
    own.from = "team-developer";
    BOOST_TEST(!is_addressed_to(own, s.task("team-developer")));
    Message to_task = leader_message("m-7", "notice", "developer", std::string("team-developer"));
    BOOST_TEST(!is_addressed_to(to_task, s.task("team-executor")));
}

BOOST_AUTO_TEST_CASE(mail_is_marked_delivered_when_a_matching_attempt_starts) {
    auto s = running(autopilot());
    s.commit(decide_mailbox_post(s.job, leader_message("m-1", "instruction", "executor")));
    s.commit(decide_mailbox_post(s.job, leader_message("m-2", "notice", json::array{"executor", "verifier"})));
    s.succeed("planner");
    s.advance(second);
    auto first = s.now;
    auto mark = s.mark();
    s.start("executor", {"m-1", "m-2"});
    BOOST_TEST(s.types_since(mark) == (Ids{"team.task.started", "team.mailbox.delivered"}));
    auto& p = s.log[mark + 1].payload;
    BOOST_TEST(ids_of(p.at("messageIds")) == (Ids{"m-1", "m-2"}));
    BOOST_TEST(p.at("taskId").as_string() == "executor");
    BOOST_TEST(p.at("attempt").as_int64() == 1);
    for (auto& m : s.job.team.mailbox) {
        BOOST_TEST(m.delivered);
        BOOST_TEST(*m.deliveredAt == first);
        BOOST_TEST(m.deliveredTo == (Ids{"executor"}));
    }
    s.finish(s.ok_report("executor"));
    s.step();
    s.advance(second);
    s.start("verifier", {"m-2"});
    BOOST_TEST(s.job.team.mailbox[1].deliveredTo == (Ids{"executor", "verifier"}));
    BOOST_TEST(*s.job.team.mailbox[1].deliveredAt == first); // the first delivery's time
    BOOST_TEST(s.job.team.mailbox[0].deliveredTo == (Ids{"executor"}));
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(agent_mail_is_stored_from_the_task_and_invalid_entries_are_reported) {
    auto s = running(autopilot());
    s.start("planner");
    s.advance(second);
    auto mark = s.mark();
    s.finish(s.ok_report("planner", parse(R"({"mailbox":[
        {"to":"executor","kind":"question","message":"which database?"},
        {"to":"leader","message":"fyi: plan ready"},
        {"to":"designer","message":"no such role here"},
        {"kind":"reassign","to":"executor","message":"agents cannot reassign"},
        "just text",
        {"taskId":"verifier","message":"check the performance"},
        {"to":"executor","message":""}]})")));
    BOOST_TEST(s.types_since(mark) == (Ids{"team.task.completed", "team.mailbox.received", "team.mailbox.received",
                                           "team.mailbox.received", "team.task.output", "team.phase_changed"}));
    auto& box = s.job.team.mailbox;
    BOOST_REQUIRE(box.size() == 3u);
    BOOST_TEST(box[0].id == "mail-1");
    BOOST_TEST(box[0].from == "planner");
    BOOST_TEST(box[0].kind == "question");
    BOOST_TEST(box[0].to.as_string() == "executor");
    BOOST_TEST(box[0].message == "which database?");
    BOOST_TEST(box[0].createdAt == s.now);
    BOOST_TEST(!box[0].delivered);
    BOOST_TEST(box[1].to.as_string() == "leader");
    BOOST_TEST(box[1].kind == "notice");
    BOOST_TEST(box[1].delivered); // leader mail: delivered on receipt
    BOOST_TEST(*box[1].deliveredAt == s.now);
    BOOST_TEST(*box[2].taskId == "verifier");
    BOOST_TEST(box[2].to.as_string() == "verifier");
    auto& out = s.only(mark, "team.task.output").payload;
    BOOST_TEST(out.at("taskId").as_string() == "planner");
    BOOST_TEST(out.at("kind").as_string() == "error");
    BOOST_TEST(out.at("text").as_string() ==
               "mail not sent: mailbox[2]: no task of role 'designer'; "
               "mailbox[3]: kind must be question, instruction or notice; mailbox[4]: not an object; "
               "mailbox[6]: message must be a string of 1 to 4000 characters; ");
    auto for_executor = messages_for(s.job.team, s.task("executor"));
    BOOST_REQUIRE(for_executor.size() == 1u);
    BOOST_TEST(for_executor.front()->id == "mail-1");
    // The next matching attempt delivers it.
    s.step();
    s.start("executor", {"mail-1"});
    BOOST_TEST(box[0].deliveredTo == (Ids{"executor"}));
    CHECK_FOLD_EQUALS_LIVE(s);
}

BOOST_AUTO_TEST_CASE(a_single_mailbox_object_is_one_message) {
    auto s = running(autopilot());
    s.start("planner");
    s.finish(s.ok_report("planner", parse(R"({"mailbox":{"message":"hello"}})")));
    BOOST_REQUIRE(s.job.team.mailbox.size() == 1u);
    BOOST_TEST(s.job.team.mailbox[0].to.as_string() == "leader"); // neither to nor taskId: for leader
    BOOST_TEST(s.job.team.mailbox[0].delivered);
}

BOOST_AUTO_TEST_CASE(agent_mail_is_capped_at_two_hundred_messages) {
    auto s = running(autopilot());
    Decision fill;
    for (int i = 0; i < max_agent_messages; ++i) {
        auto m = leader_message("a-" + std::to_string(i), "notice", "executor");
        m.from = "planner";
        fill.events.push_back({std::string(event_type::mailbox_received), "m", {{"message", to_json(m)}}});
    }
    s.commit(fill);
    s.start("planner");
    auto mark = s.mark();
    s.finish(s.ok_report("planner", parse(R"({"mailbox":[{"to":"executor","message":"one more"}]})")));
    BOOST_TEST(s.count_since(mark, "team.mailbox.received") == 0u);
    BOOST_TEST(s.only(mark, "team.task.output").payload.at("text").as_string() ==
               "mail not sent: mailbox[0]: the mailbox holds 200 messages from agents; ");
}

// team.md "Agents send mail too": a failing verifier's mail (e.g. a question
// to the developer about its findings) is stored like any other.
BOOST_AUTO_TEST_CASE(a_failing_verifier_still_sends_its_mail) {
    auto s = running(autopilot());
    s.succeed("planner");
    s.succeed("executor");
    s.start("verifier");
    s.finish(s.ok_report("verifier", parse(R"({"status":"fail","findings":"slow",
        "mailbox":[{"to":"executor","message":"why is the cache off?"}]})")));
    BOOST_TEST(status_of(s, "verifier") == "failed");
    BOOST_TEST(s.job.team.mailbox.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
