// The pure core as stories: decide (state + command -> events) and apply
// (state + event -> state) for creation, the job gate, cancel, resume,
// task actions and the mailbox. No I/O.
#include "team/core/apply.hpp"
#include "team/core/decide.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/json_codec.hpp"
#include "team/core/templates.hpp"
#include "tests/unit/team_story.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace omx::team;

namespace {

using omx::test::team_story::leader_message; // its createdAt is the same t0

constexpr TimeMs t0 = 1'795'000'000'000;

// A job driven through decisions the way the actor drives it: stamp, apply.
struct Story {
    Job job;
    std::vector<Event> log;
    TimeMs clock = t0;

    void commit(const Decision& d) {
        BOOST_REQUIRE_MESSAGE(!d.refusal, "unexpected refusal: " + (d.refusal ? d.refusal->message : ""));
        for (auto& draft : d.events) {
            Event e{job.lastSeq + 1, "event-" + std::to_string(log.size() + 1),
                    job.id.empty() ? "job-1" : job.id, draft.type, draft.message, draft.payload, clock++};
            apply(job, e);
            log.push_back(e);
        }
    }
    std::vector<std::string> types_since(std::size_t from) const {
        std::vector<std::string> out;
        for (std::size_t i = from; i < log.size(); ++i) out.push_back(log[i].type);
        return out;
    }
};

JobRequest request(Mode mode = Mode::team, bool require_approval = false) {
    JobRequest r;
    r.provider = Provider::codex;
    r.mode = mode;
    r.repo = "owner/name";
    r.ref = "main";
    r.task = "Fix the flaky test";
    r.options.requireApproval = require_approval;
    r.options.team.maxFixAttempts = default_max_fix_attempts(mode);
    return r;
}

Story created(Mode mode = Mode::team, bool require_approval = false) {
    Story s;
    s.commit(decide_create(request(mode, require_approval), {"job-1", std::nullopt, std::nullopt}));
    return s;
}


} // namespace

BOOST_AUTO_TEST_SUITE(job_lifecycle)

BOOST_AUTO_TEST_CASE(a_created_job_is_queued_with_its_mode_graph) {
    auto s = created();
    BOOST_TEST(s.job.id == "job-1");
    BOOST_TEST((s.job.status == JobStatus::queued));
    BOOST_TEST((s.job.approvalState == ApprovalState::none));
    BOOST_TEST(s.job.team.tasks.size() == 6u);
    BOOST_TEST((s.job.team.phase == Phase::team_plan));
    BOOST_TEST(s.job.team.phaseHistory.size() == 1u);
    BOOST_TEST((find_task(s.job.team, "team-planner")->status == TaskStatus::queued));
    BOOST_TEST((find_task(s.job.team, "team-verifier")->status == TaskStatus::blocked));
    BOOST_TEST(s.job.lastSeq == 1u);
    BOOST_TEST(s.types_since(0) == std::vector<std::string>{"queued"});
}

BOOST_AUTO_TEST_CASE(ralph_starts_in_the_exec_phase) {
    auto s = created(Mode::ralph);
    BOOST_TEST((s.job.team.phase == Phase::team_exec));
}

BOOST_AUTO_TEST_CASE(require_approval_waits_at_the_job_gate) {
    auto s = created(Mode::team, true);
    BOOST_TEST(s.types_since(0) == (std::vector<std::string>{"queued", "approval_required"}));
    BOOST_TEST((s.job.status == JobStatus::waiting_approval));
    BOOST_TEST((s.job.approvalState == ApprovalState::required));
    BOOST_TEST(s.job.jobGateSince.has_value());
}

BOOST_AUTO_TEST_CASE(approving_the_job_gate_queues_the_run_and_leaves_no_stale_flag) {
    auto s = created(Mode::team, true);
    auto mark = s.log.size();
    s.commit(decide_job_action(s.job, JobAction::approve, std::string("ship it")));
    BOOST_TEST(s.types_since(mark) == (std::vector<std::string>{"approval", "job.status"}));
    BOOST_TEST((s.job.status == JobStatus::queued));
    BOOST_TEST((s.job.approvalState == ApprovalState::approved));
    BOOST_TEST(!s.job.jobGatePending);
    BOOST_TEST(!s.job.jobGateSince.has_value());
    BOOST_TEST(s.log[mark].payload.at("comment").as_string() == "ship it");
    // Nothing is pending any more: a second approve is a conflict.
    auto again = decide_job_action(s.job, JobAction::approve, std::nullopt);
    BOOST_REQUIRE(again.refusal);
    BOOST_TEST((again.refusal->kind == RefusalKind::conflict));
}

BOOST_AUTO_TEST_CASE(rejecting_the_job_gate_fails_the_run_and_cancels_every_task) {
    auto s = created(Mode::autopilot, true);
    auto mark = s.log.size();
    s.commit(decide_job_action(s.job, JobAction::reject, std::nullopt));
    auto types = s.types_since(mark);
    BOOST_TEST(types.front() == "approval");
    BOOST_TEST(types.back() == "failed"); // the terminal event is the run's last
    BOOST_TEST(std::count(types.begin(), types.end(), "team.task.canceled") == 3);
    BOOST_TEST((s.job.status == JobStatus::failed));
    BOOST_TEST(*s.job.error == "Rejected by approver");
    BOOST_TEST((s.job.approvalState == ApprovalState::rejected));
    BOOST_TEST((s.job.team.phase == Phase::failed));
    BOOST_TEST(s.job.finishedAt.has_value());
    BOOST_TEST(s.job.output.is_object());
    for (auto& t : s.job.team.tasks) BOOST_TEST((t.status == TaskStatus::canceled));
}

BOOST_AUTO_TEST_CASE(resume_reopens_a_rejected_job_at_its_gate) {
    auto s = created(Mode::autopilot, true);
    s.commit(decide_job_action(s.job, JobAction::reject, std::nullopt));
    auto mark = s.log.size();
    s.commit(decide_job_action(s.job, JobAction::resume, std::nullopt));
    auto types = s.types_since(mark);
    BOOST_TEST(types.front() == "queued");
    BOOST_TEST(std::count(types.begin(), types.end(), "approval_required") == 1);
    BOOST_TEST((s.job.status == JobStatus::waiting_approval));
    BOOST_TEST(!s.job.error.has_value());
    BOOST_TEST(s.job.output.is_null());
    BOOST_TEST(!s.job.finishedAt.has_value());
    BOOST_TEST((s.job.team.phase == Phase::team_plan));
    BOOST_TEST((find_task(s.job.team, "planner")->status == TaskStatus::queued));
    BOOST_TEST((find_task(s.job.team, "executor")->status == TaskStatus::blocked));
}

BOOST_AUTO_TEST_CASE(resume_after_an_approved_gate_does_not_ask_again) {
    auto s = created(Mode::autopilot, true);
    s.commit(decide_job_action(s.job, JobAction::approve, std::nullopt));
    s.commit(decide_job_action(s.job, JobAction::cancel, std::nullopt));
    auto mark = s.log.size();
    s.commit(decide_job_action(s.job, JobAction::resume, std::nullopt));
    auto types = s.types_since(mark);
    BOOST_TEST(std::count(types.begin(), types.end(), "approval_required") == 0);
    BOOST_TEST((s.job.status == JobStatus::queued));
}

BOOST_AUTO_TEST_CASE(cancel_ends_a_queued_job) {
    auto s = created();
    auto mark = s.log.size();
    s.commit(decide_job_action(s.job, JobAction::cancel, std::string("not needed")));
    auto types = s.types_since(mark);
    BOOST_TEST(types.back() == "canceled");
    BOOST_TEST(std::count(types.begin(), types.end(), "team.phase_changed") == 1);
    BOOST_TEST((s.job.status == JobStatus::canceled));
    BOOST_TEST((s.job.team.phase == Phase::canceled));
    BOOST_TEST(s.job.team.phaseHistory.back().reason == "canceled");
    for (auto& t : s.job.team.tasks) {
        BOOST_TEST((t.status == TaskStatus::canceled));
        BOOST_TEST(*t.errorClass == "canceled");
    }
    BOOST_TEST(s.log.back().payload.at("comment").as_string() == "not needed");
}

BOOST_AUTO_TEST_CASE(actions_that_do_not_apply_are_conflicts_that_change_nothing) {
    auto s = created();
    for (auto action : {JobAction::approve, JobAction::reject, JobAction::resume}) {
        auto d = decide_job_action(s.job, action, std::nullopt);
        BOOST_REQUIRE(d.refusal);
        BOOST_TEST((d.refusal->kind == RefusalKind::conflict));
        BOOST_TEST(d.events.empty());
    }
    s.commit(decide_job_action(s.job, JobAction::cancel, std::nullopt));
    auto d = decide_job_action(s.job, JobAction::cancel, std::nullopt);
    BOOST_REQUIRE(d.refusal);
    BOOST_TEST(d.refusal->message == "job is already canceled");
}

BOOST_AUTO_TEST_CASE(task_actions_name_unknown_tasks_and_tasks_without_a_gate) {
    auto s = created();
    auto unknown = decide_task_action(s.job, "nope", true, std::nullopt);
    BOOST_REQUIRE(unknown.refusal);
    BOOST_TEST((unknown.refusal->kind == RefusalKind::not_found));
    auto no_gate = decide_task_action(s.job, "team-planner", true, std::nullopt);
    BOOST_REQUIRE(no_gate.refusal);
    BOOST_TEST((no_gate.refusal->kind == RefusalKind::conflict));
}

BOOST_AUTO_TEST_CASE(a_task_gate_is_approved_by_the_job_level_action_oldest_first) {
    auto s = created(Mode::autopilot);
    // The engine would set the gate; here the event is applied directly.
    s.commit(Decision{{{std::string(event_type::task_approval_required), "gate",
                        {{"taskId", "planner"}, {"stage", "before"}, {"reason", "needs a look"}}}},
                      std::nullopt});
    BOOST_TEST((s.job.approvalState == ApprovalState::required));
    BOOST_TEST(*approval_task_id(s.job.team) == "planner");
    BOOST_TEST((s.job.status == JobStatus::waiting_approval)); // nothing else can run
    s.commit(decide_job_action(s.job, JobAction::approve, std::nullopt));
    BOOST_TEST(!find_task(s.job.team, "planner")->approval.has_value());
    BOOST_TEST((s.job.approvalState == ApprovalState::approved));
    BOOST_TEST((s.job.status == JobStatus::queued));
}

BOOST_AUTO_TEST_CASE(rejecting_a_task_gate_fails_the_task_and_the_run) {
    auto s = created(Mode::autopilot);
    s.commit(Decision{{{std::string(event_type::task_approval_required), "gate",
                        {{"taskId", "planner"}, {"stage", "before"}, {"reason", "risky"}}}},
                      std::nullopt});
    s.commit(decide_task_action(s.job, "planner", false, std::string("too risky")));
    BOOST_TEST((find_task(s.job.team, "planner")->status == TaskStatus::failed));
    BOOST_TEST(*find_task(s.job.team, "planner")->errorClass == "rejected");
    BOOST_TEST((s.job.status == JobStatus::failed));
    BOOST_TEST(s.log.back().payload.at("taskId").as_string() == "planner");
}

BOOST_AUTO_TEST_CASE(leader_mail_is_stored_and_api_mail_is_capped) {
    auto s = created();
    auto m = leader_message("m-1", "notice", "leader");
    s.commit(decide_mailbox_post(s.job, m));
    BOOST_TEST(s.job.team.mailbox.size() == 1u);
    BOOST_TEST(s.log.back().type == "team.mailbox.received");
    for (int i = 2; i <= max_api_messages; ++i)
        s.commit(decide_mailbox_post(s.job, leader_message("m-" + std::to_string(i), "notice", "leader")));
    auto full = decide_mailbox_post(s.job, leader_message("m-201", "notice", "leader"));
    BOOST_REQUIRE(full.refusal);
    BOOST_TEST((full.refusal->kind == RefusalKind::conflict));
}

BOOST_AUTO_TEST_CASE(reassign_resets_the_task_and_everything_downstream) {
    auto s = created(Mode::autopilot);
    s.commit(decide_job_action(s.job, JobAction::cancel, std::nullopt));
    auto mark = s.log.size();
    s.commit(decide_mailbox_post(s.job, leader_message("m-1", "reassign", "executor", std::string("executor"))));
    auto types = s.types_since(mark);
    BOOST_TEST(types.at(0) == "team.mailbox.received");
    BOOST_TEST(types.at(1) == "team.task.reassigned");
    BOOST_TEST(types.at(2) == "queued"); // a finished job is reopened
    auto& reset = s.log[mark + 1].payload.at("resetTaskIds").as_array();
    BOOST_TEST(reset.size() == 2u);
    BOOST_TEST(reset.at(0).as_string() == "executor");
    BOOST_TEST(reset.at(1).as_string() == "verifier");
    BOOST_TEST((s.job.status == JobStatus::queued));
    // Reopening resets canceled tasks too (team.md "Approvals": resume and reassign alike).
    BOOST_TEST((find_task(s.job.team, "planner")->status == TaskStatus::queued));
    BOOST_TEST((find_task(s.job.team, "executor")->status == TaskStatus::blocked));
}

BOOST_AUTO_TEST_CASE(folding_the_log_reproduces_the_live_state) {
    auto s = created(Mode::ultrawork, true);
    s.commit(decide_mailbox_post(s.job, leader_message("m-1", "notice", "leader")));
    s.commit(decide_job_action(s.job, JobAction::reject, std::string("no")));
    s.commit(decide_job_action(s.job, JobAction::resume, std::nullopt));
    s.commit(decide_job_action(s.job, JobAction::approve, std::nullopt));
    s.commit(decide_job_action(s.job, JobAction::cancel, std::nullopt));
    // Through JSON, as recovery reads it.
    std::vector<Event> reread;
    for (auto& e : s.log) reread.push_back(event_from_json(json::parse(json::serialize(to_json(e))).as_object()));
    BOOST_TEST(json::serialize(job_to_record_json(fold(reread))) == json::serialize(job_to_record_json(s.job)));
}

BOOST_AUTO_TEST_CASE(info_events_change_only_the_sequence) {
    auto s = created();
    auto before = json::serialize(job_to_record_json(s.job));
    s.commit(Decision{{{std::string(event_type::job_status), "info", {{"from", "queued"}, {"to", "queued"}}}},
                      std::nullopt});
    auto after = job_to_record_json(s.job);
    BOOST_TEST(after.at("lastSeq").as_uint64() == 2u);
    after["lastSeq"] = 1u;
    BOOST_TEST(json::serialize(after) == before);
}

BOOST_AUTO_TEST_CASE(events_that_cannot_apply_are_errors) {
    auto s = created();
    Event unknown{2, "e", "job-1", "no.such.event", "?", {}, t0};
    BOOST_CHECK_THROW(apply(s.job, unknown), std::runtime_error);
    Event bad_task{2, "e", "job-1", std::string(event_type::task_canceled), "?", {{"taskId", "ghost"}, {"reason", "x"}}, t0};
    BOOST_CHECK_THROW(apply(s.job, bad_task), std::runtime_error);
    Event created_twice = s.log.front();
    BOOST_CHECK_THROW(apply(s.job, created_twice), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
