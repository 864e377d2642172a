// Scheduling of the team engine over HTTP (team.md, Scheduling and Modes): the
// parallel window (parallelTasks, --max-agents), ultrawork's parallel
// executors, pipeline's strict order, and cancel stopping every agent's whole
// process group. Times come from the scripted agent's timeline.log; every
// event fetched is checked against schemas.md.
#define BOOST_TEST_MODULE team_scheduling
#include <boost/test/unit_test.hpp>

#include "tests/integration/team_helpers.hpp"

using namespace omx::test;

namespace {

json::object sleeping(double seconds) {
    return {{"sleep", seconds}};
}

std::string span_text(const std::map<std::string, Span>& tl) {
    std::ostringstream out;
    out.precision(15);
    for (auto& [k, s] : tl)
        out << k << "[" << s.start << "," << s.end << "] ";
    return out.str();
}

} // namespace

BOOST_AUTO_TEST_CASE(parallel_tasks_lets_independent_branches_overlap) {
    Engine e;
    auto c = e.client();
    auto script =
        json::object{{"roles", {{"researcher", sleeping(0.5)}, {"designer", sleeping(0.5)}}}};
    auto two = create_job(c, team_job(e, "team", script, {{"team", {{"parallelTasks", 2}}}}));
    auto one = create_job(c, team_job(e, "team", script)); // default parallelTasks 1

    auto job = wait_terminal(c, two);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    BOOST_TEST(num(job, "/options/team/parallelTasks") == 2);
    auto tl = timeline(e, two);
    BOOST_TEST(overlap(tl["team-research#1"], tl["team-designer#1"]), span_text(tl));
    // ...and still after the planner, before the developer.
    BOOST_TEST(tl["team-planner#1"].end <=
               std::min(tl["team-research#1"].start, tl["team-designer#1"].start));
    BOOST_TEST(std::max(tl["team-research#1"].end, tl["team-designer#1"].end) <=
               tl["team-developer#1"].start);
    auto events = job_events(c, two);
    auto team = team_of(c, two);
    BOOST_TEST(num(team, "/parallelTasks") == 2);
    BOOST_TEST(num(team, "/metrics/maxDurationMs") >= 500);

    job = wait_terminal(c, one);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    BOOST_TEST(num(job, "/options/team/parallelTasks") == 1);
    tl = timeline(e, one);
    BOOST_TEST(!overlap(tl["team-research#1"], tl["team-designer#1"]), span_text(tl));
    // Stage order, then template order: research before designer.
    BOOST_TEST(tl["team-research#1"].end <= tl["team-designer#1"].start, span_text(tl));
    job_events(c, one);
}

BOOST_AUTO_TEST_CASE(max_agents_bounds_the_server_whatever_parallel_tasks_says) {
    Engine e({"--max-agents", "1"});
    auto c = e.client();
    auto script =
        json::object{{"roles", {{"researcher", sleeping(0.4)}, {"designer", sleeping(0.4)}}}};
    auto a = create_job(c, team_job(e, "team", script, {{"team", {{"parallelTasks", 2}}}}));
    auto b = create_job(c, team_job(e, "autopilot", {{"default", sleeping(0.2)}}));
    for (auto& id : {a, b}) {
        auto job = wait_terminal(c, id);
        BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
        job_events(c, id);
    }
    // No two agents of the server ran at once.
    std::vector<Span> all;
    for (auto& id : {a, b})
        for (auto& [k, s] : timeline(e, id))
            all.push_back(s);
    BOOST_TEST(all.size() == 9u);
    for (std::size_t i = 0; i < all.size(); ++i)
        for (std::size_t j = i + 1; j < all.size(); ++j)
            BOOST_TEST(!overlap(all[i], all[j]), "agents " << i << " and " << j << " overlap");
}

BOOST_AUTO_TEST_CASE(ultrawork_runs_its_executors_at_once_between_planner_and_verifier) {
    Engine e;
    auto c = e.client();
    auto id = create_job(
        c, team_job(e, "ultrawork", {{"roles", {{"executor", sleeping(0.6)}}}}, {{"workers", 3}}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    BOOST_TEST(num(job, "/options/team/parallelTasks") == 3);
    auto team = team_of(c, id);
    BOOST_TEST(task_ids(team) == (std::vector<std::string>{"planner", "executor-1", "executor-2",
                                                           "executor-3", "verifier"}));
    BOOST_TEST(set_text(string_set(at(task_of(team, "verifier"), "/dependencies"))) ==
               set_text({"executor-1", "executor-2", "executor-3"}));
    auto tl = timeline(e, id);
    for (auto [x, y] : {std::pair{"executor-1#1", "executor-2#1"},
                        {"executor-1#1", "executor-3#1"},
                        {"executor-2#1", "executor-3#1"}})
        BOOST_TEST(overlap(tl[x], tl[y]), x << " / " << y << ": " << span_text(tl));
    for (int i = 1; i <= 3; ++i) {
        auto ex = "executor-" + std::to_string(i) + "#1";
        BOOST_TEST(tl["planner#1"].end <= tl[ex].start);
        BOOST_TEST(tl[ex].end <= tl["verifier#1"].start);
        auto r = recorded(e, id, "executor-" + std::to_string(i), 1);
        BOOST_TEST(contains(str(r, "/JOB_TASK_NAME"), std::to_string(i) + " of 3"), dump(r));
    }
    job_events(c, id);
}

BOOST_AUTO_TEST_CASE(pipeline_runs_its_tasks_strictly_in_the_given_order) {
    Engine e;
    auto c = e.client();
    json::array tasks{
        json::object{{"id", "survey"}, {"name", "Survey the code"}, {"role", "researcher"}},
        json::object{{"id", "change"}, {"name", "Change the code"}, {"role", "developer"}},
        json::object{{"id", "check"}, {"name", "Check the change"}, {"role", "designer"}},
        json::object{{"id", "run"}, {"name", "Run it"}, {"role", "executor"}},
    };
    auto id = create_job(c, team_job(e, "pipeline", {{"default", sleeping(0.15)}},
                                     {{"team", {{"teamTasks", tasks}, {"parallelTasks", 4}}}}));
    auto plain = create_job(c, team_job(e, "pipeline", {}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    BOOST_TEST(num(job, "/options/team/maxFixAttempts") == 0);
    auto team = team_of(c, id);
    BOOST_TEST(task_ids(team) == (std::vector<std::string>{"survey", "change", "check", "run"}));
    BOOST_TEST(at(task_of(team, "survey"), "/dependencies").as_array().empty());
    BOOST_TEST(strings_of(at(task_of(team, "change"), "/dependencies")) ==
               std::vector<std::string>{"survey"});
    BOOST_TEST(strings_of(at(task_of(team, "check"), "/dependencies")) ==
               std::vector<std::string>{"change"});
    BOOST_TEST(strings_of(at(task_of(team, "run"), "/dependencies")) ==
               std::vector<std::string>{"check"});
    auto tl = timeline(e, id);
    std::vector<std::string> order{"survey#1", "change#1", "check#1", "run#1"};
    for (std::size_t i = 0; i + 1 < order.size(); ++i)
        BOOST_TEST(tl[order[i]].end <= tl[order[i + 1]].start, span_text(tl));
    job_events(c, id);

    // Without teamTasks: the autopilot three, in order.
    job = wait_terminal(c, plain);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    BOOST_TEST(task_ids(team_of(c, plain)) ==
               (std::vector<std::string>{"planner", "executor", "verifier"}));
    job_events(c, plain);
}

BOOST_AUTO_TEST_CASE(a_pending_fix_round_waits_for_running_branches_and_starts_nothing_new) {
    Engine e;
    auto c = e.client();
    auto script =
        json::object{{"roles",
                      {{"researcher", json::array{json::object{{"exit", 1}}, json::object{}}},
                       {"designer", sleeping(1.0)}}}};
    auto id = create_job(c, team_job(e, "team", script, {{"team", {{"parallelTasks", 2}}}}));
    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    auto events = job_events(c, id);
    auto research = of_type(events, "team.task.completed", "team-research");
    auto designer = of_type(events, "team.task.completed", "team-designer");
    auto retries = of_type(events, "team.retry");
    BOOST_TEST_REQUIRE(research.size() == 2u, types_text(events));
    BOOST_TEST_REQUIRE(designer.size() == 1u, types_text(events));
    BOOST_TEST_REQUIRE(retries.size() == 1u, types_text(events));
    BOOST_TEST(str(research[0], "/payload/result") == "failed");
    // The other branch was not stopped: it finished, and only then did the fix round start.
    BOOST_TEST(str(designer[0], "/payload/result") == "succeeded");
    BOOST_TEST(num(research[0], "/seq") < num(designer[0], "/seq"));
    BOOST_TEST(num(designer[0], "/seq") < num(retries[0], "/seq"));
    // Nothing new started between the failure and the fix round.
    for (auto& s : of_type(events, "team.task.started"))
        BOOST_TEST(!(num(s, "/seq") > num(research[0], "/seq") &&
                     num(s, "/seq") < num(retries[0], "/seq")),
                   "started while a fix round was pending: " << dump(s));
    BOOST_TEST(set_text(string_set(at(retries[0], "/payload/resetTaskIds"))) ==
               set_text({"team-research", "team-developer", "team-executor", "team-verifier"}));
    auto team = team_of(c, id);
    BOOST_TEST(num(task_of(team, "team-designer"), "/attempt") == 1);
    BOOST_TEST(num(task_of(team, "team-research"), "/attempt") == 2);
    BOOST_TEST(num(task_of(team, "team-developer"), "/attempt") == 1);
}

BOOST_AUTO_TEST_CASE(a_running_task_carries_a_lease_renewed_by_heartbeats) {
    Engine e; // heartbeat 10 s * 0.01 = 100 ms, lease 75 s * 0.01 = 750 ms
    auto c = e.client();
    auto id = create_job(c, team_job(e, "autopilot", {{"roles", {{"planner", sleeping(1.5)}}}}));
    auto agent = wait_recorded(e, id, "planner", 1);
    std::this_thread::sleep_for(200ms);
    auto first = task_of(team_of(c, id), "planner");
    std::this_thread::sleep_for(500ms);
    auto team = team_of(c, id);
    auto later = task_of(team, "planner");
    BOOST_TEST(str(later, "/status") == "running");
    BOOST_TEST(str(team, "/currentTaskId") == "planner");
    BOOST_TEST(num(team, "/metrics/activeWorkers") == 1);
    BOOST_TEST(num(later, "/pid") == num(agent, "/pgid"), "the task's pid leads the agent's group");
    BOOST_TEST(str(later, "/claimToken") == str(agent, "/OMX_CLAIM_TOKEN"));
    BOOST_TEST(contains(str(later, "/workerId"), "omxd-"));
    auto beat = ms_of(at(later, "/lastHeartbeatAt"));
    BOOST_TEST(beat > ms_of(at(first, "/lastHeartbeatAt")), dump(first) << " then " << dump(later));
    BOOST_TEST(ms_of(at(later, "/claimExpiresAt")) - beat == 750);
    auto overview = get_json(c, "/v1/monitor/overview");
    BOOST_TEST(contains(dump(at(overview, "/activeAgents")), id));

    auto job = wait_terminal(c, id);
    BOOST_TEST_REQUIRE(str(job, "/status") == "succeeded", dump(job));
    auto events = job_events(c, id);
    auto started = of_type(events, "team.task.started", "planner").at(0);
    // The start is on disk before the agent exists (storage.md): no pid in the
    // event yet; the task's pid (checked above) is set once it is spawned.
    BOOST_TEST(at(started, "/payload/pid").is_null());
    BOOST_TEST(str(started, "/payload/claimToken") == str(agent, "/OMX_CLAIM_TOKEN"));
    auto done = task_of(team_of(c, id), "planner");
    BOOST_TEST(at(done, "/claimToken").is_null());
    BOOST_TEST(at(done, "/pid").is_null());
    BOOST_TEST(num(done, "/durationMs") >= 1500);
}

BOOST_AUTO_TEST_CASE(cancel_stops_every_running_agents_process_group_within_the_kill_grace) {
    Engine e({"--kill-grace", "100"}); // 100 s * 0.01 = 1 s between SIGTERM and SIGKILL
    auto c = e.client();
    auto stubborn = json::object{{"ignore_term", true}, {"child", true}, {"sleep", 30}};
    auto id = create_job(
        c, team_job(e, "ultrawork", {{"roles", {{"executor", stubborn}}}}, {{"workers", 3}}));
    std::vector<pid_t> groups, pids;
    for (int i = 1; i <= 3; ++i) {
        auto r = wait_recorded(e, id, "executor-" + std::to_string(i), 1);
        groups.push_back(static_cast<pid_t>(num(r, "/pgid")));
        pids.push_back(static_cast<pid_t>(num(r, "/pid")));
    }
    BOOST_TEST(std::set<pid_t>(groups.begin(), groups.end()).size() == 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        // Its own group (led by the /bin/sh that runs the command), not the server's or ours.
        BOOST_TEST(groups[i] != ::getpgrp());
        BOOST_TEST(groups[i] != ::getpgid(e.process.pid()));
        BOOST_TEST(!group_gone(groups[i]));
    }
    BOOST_TEST(num(team_of(c, id), "/metrics/activeWorkers") == 3);

    auto canceled_at = std::chrono::steady_clock::now();
    auto r = action(c, id, "cancel", comment_body("wrong branch"));
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    BOOST_TEST(str(r.json(), "/status") == "canceled");
    // They ignore SIGTERM: only SIGKILL after the grace ends them, and it does.
    std::this_thread::sleep_for(300ms);
    for (auto pid : pids)
        BOOST_TEST(::kill(pid, 0) == 0, "agent " << pid << " ended before the kill grace");
    for (auto g : groups)
        BOOST_TEST(eventually([&] { return group_gone(g); }, 1s + 2s),
                   "process group " << g << " outlived the grace");
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - canceled_at);
    BOOST_TEST(took.count() >= 900);

    auto job = get_json(c, job_url(id));
    BOOST_TEST(str(job, "/status") == "canceled");
    auto team = team_of(c, id);
    for (auto& t : at(team, "/tasks").as_array())
        if (str(t, "/id") != "planner") BOOST_TEST(str(t, "/status") == "canceled", dump(t));
    BOOST_TEST(str(team, "/phase") == "canceled");
    BOOST_TEST(num(team, "/metrics/activeWorkers") == 0);
    auto events = job_events(c, id);
    BOOST_TEST(str(events.back(), "/type") == "canceled",
               types_text(events)); // nothing after the terminal event
    BOOST_TEST(str(events.back(), "/payload/comment") == "wrong branch");
    for (auto task : {"executor-1", "executor-2", "executor-3", "verifier"})
        BOOST_TEST(of_type(events, "team.task.canceled", task).size() == 1u,
                   task << ": " << types_text(events));
    BOOST_TEST(action(c, id, "cancel").status == 409);
}
