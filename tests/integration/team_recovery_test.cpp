// After a crash (kill -9 of omxd), the agents of the old run must not keep
// running beside the new attempt: a restarted server kills every process
// that carries a claim token of a task that was running (found through
// /proc/<pid>/environ, also when the process left its leader), reclaims the
// task without counting a failure, and runs it again.
#define BOOST_TEST_MODULE team_recovery
#include <boost/test/unit_test.hpp>

#include "tests/integration/team_helpers.hpp"
#include "tests/support/test_backend.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <fstream>

using namespace omx::test;

namespace {

// Live (not zombie) processes in a process group, from /proc.
int live_members(pid_t pgid) {
    int n = 0;
    for (auto& entry : fs::directory_iterator("/proc")) {
        auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(entry.path() / "stat");
        std::string stat;
        std::getline(in, stat);
        auto close = stat.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(stat.substr(close + 2));
        char state = 0;
        long ppid = 0, group = 0;
        rest >> state >> ppid >> group;
        if (group == pgid && state != 'Z') ++n;
    }
    return n;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_restart_kills_the_old_runs_agents_and_reruns_their_task) {
    Engine engine({"--kill-grace", "1", "--fsync", "always"}, 1.0);
    auto c = engine.client();
    auto body = team_job(engine, "autopilot",
                         {{"roles", json::object{{"planner", json::array{json::object{{"child", true}, {"sleep", 60}},
                                                                          json::object{}}}}}});
    auto created = c.post_json("/v1/jobs", body);
    BOOST_TEST_REQUIRE(created.status == 201, created.body);
    auto id = str(created.json(), "/jobId");
    auto first = wait_recorded(engine, id, "planner", 1);
    pid_t pgid = static_cast<pid_t>(num(first, "/pgid"));
    std::this_thread::sleep_for(300ms); // the agent starts its grandchild
    BOOST_TEST_REQUIRE(live_members(pgid) >= 3); // sh -c, the agent, its child

    // A crash: the leader (`sh -c`) dies with the server (PR_SET_PDEATHSIG);
    // the agent it started and the agent's child do not.
    int before = live_members(pgid);
    engine.process.kill(SIGKILL);
    BOOST_TEST_REQUIRE(engine.process.wait_exit(5s).has_value());
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (live_members(pgid) == before && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    BOOST_TEST_REQUIRE(live_members(pgid) == before - 1);
    BOOST_TEST_REQUIRE(live_members(pgid) >= 1); // still holding the old claim token

    engine.process.set_listen_port(engine.process.port());
    engine.process.start({"--role", "all", "--skip-clone", "--fsync", "always", "--kill-grace", "1", "--work-root",
                          (engine.process.log_dir() / "runs").string()},
                         {{"JOB_CLI_BIN", scripted_agent}});
    if (on_redis_backend()) // the new worker takes the job over once the dead one's lease ran out, killing them first
        BOOST_TEST(eventually([&] { return live_members(pgid) == 0; }, 10s));
    else
        BOOST_TEST(live_members(pgid) == 0); // killed during start-up, before anything runs again
    auto job = wait_terminal(c, id);
    BOOST_TEST(str(job, "/status") == "succeeded", dump(job));

    auto events = job_events(c, id);
    auto reclaimed = of_type(events, "team.claim_recovered");
    BOOST_TEST_REQUIRE(reclaimed.size() == 1u);
    BOOST_TEST(str(reclaimed[0], "/payload/reason") == "server restarted");
    BOOST_TEST(str(reclaimed[0], "/payload/taskIds/0") == "planner");
    auto planner = task_of(team_of(c, id), "planner");
    BOOST_TEST(num(planner, "/attempt") == 2);
    BOOST_TEST(num(planner, "/failures") == 0);
    BOOST_TEST(str(wait_recorded(engine, id, "planner", 2), "/OMX_CLAIM_TOKEN") !=
               str(first, "/OMX_CLAIM_TOKEN"));
}

// SIGTERM while agents run: they are stopped, their tasks go back to queued
// without counting a failure, and the state on disk needs no repair — every
// record is as new as its log, no temporary file is left, no task is running.
BOOST_AUTO_TEST_CASE(a_graceful_shutdown_leaves_nothing_to_repair, *boost::unit_test::precondition(file_store_only)) {
    Engine engine({"--kill-grace", "1", "--fsync", "always"}, 1.0);
    auto c = engine.client();
    auto created = c.post_json("/v1/jobs", team_job(engine, "ultrawork", {{"default", json::object{{"sleep", 60}}}},
                                                    {{"workers", 2}}));
    BOOST_TEST_REQUIRE(created.status == 201, created.body);
    auto id = str(created.json(), "/jobId");
    wait_recorded(engine, id, "planner", 1);

    int status = engine.process.stop(std::chrono::seconds(10));
    BOOST_TEST_REQUIRE(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0);

    auto dir = engine.process.state_dir() / id;
    std::ifstream log(dir / "events.jsonl");
    std::vector<json::value> events;
    for (std::string line; std::getline(log, line);) events.push_back(parse(line));
    std::ifstream in(dir / "record.json");
    std::stringstream text;
    text << in.rdbuf();
    auto record = parse(text.str());
    BOOST_TEST(num(record, "/lastSeq") == static_cast<std::int64_t>(events.size()));
    BOOST_TEST(str(events.back(), "/type") == "team.task.completed");
    BOOST_TEST(str(events.back(), "/payload/result") == "retry");
    BOOST_TEST(at(events.back(), "/payload/errorClass").is_null());
    for (auto& t : at(record, "/job/team/tasks").as_array()) {
        BOOST_TEST(t.at("status").as_string() != "running", t.at("id").as_string());
        BOOST_TEST(t.at("failures").as_int64() == 0);
    }
    for (auto& entry : fs::recursive_directory_iterator(engine.process.state_dir()))
        BOOST_TEST(entry.path().extension() != ".tmp", entry.path().string());
}
