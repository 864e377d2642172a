// The server's agent slots (--max-agents): never more agents at once than
// allowed, and handed out round-robin so a job with many ready tasks does
// not starve a job with one. Agents are the scripted agent
// (tests/agents/scripted_agent.py), which logs its start and end under flock.
#define BOOST_TEST_MODULE team_capacity
#include <boost/test/unit_test.hpp>

#include "tests/integration/team_helpers.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace omx::test;
using namespace std::chrono_literals;

namespace {

struct Mark {
    double time;
    bool start;
    std::string job, task;
};

std::vector<Mark> timeline(const fs::path& record) {
    std::vector<Mark> marks;
    std::ifstream in(record / "timeline.log");
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        Mark m;
        std::string what;
        int attempt = 0;
        fields >> m.time >> what >> m.job >> m.task >> attempt;
        m.start = what == "start";
        marks.push_back(m);
    }
    std::sort(marks.begin(), marks.end(), [](const Mark& a, const Mark& b) { return a.time < b.time; });
    return marks;
}

int max_overlap(const std::vector<Mark>& marks) {
    int now = 0, most = 0;
    for (auto& m : marks) most = std::max(most, now += m.start ? 1 : -1);
    return most;
}

// omxd running jobs with the scripted agent and `max_agents` slots (no time scaling).
Engine with_slots(int max_agents) { return Engine({"--max-agents", std::to_string(max_agents)}, 1.0); }

std::string submit(Engine& engine, std::string_view mode, json::object script, json::object options = {}) {
    auto c = engine.client();
    auto r = c.post_json("/v1/jobs", team_job(engine, mode, std::move(script), std::move(options)));
    BOOST_REQUIRE_EQUAL(r.status, 201);
    return str(r.json(), "/jobId");
}

std::string await_end(Engine& engine, const std::string& id, std::chrono::seconds limit) {
    auto c = engine.client();
    return str(wait_terminal(c, id, limit), "/status");
}

} // namespace

BOOST_AUTO_TEST_CASE(twenty_jobs_share_four_agent_slots) {
    auto engine = with_slots(4);
    std::vector<std::string> jobs;
    for (int i = 0; i < 20; ++i)
        // 0.4 s per agent: long enough that all four slots fill on a loaded machine too.
        jobs.push_back(submit(engine, "ultrawork", {{"default", json::object{{"sleep", 0.4}}}}, {{"workers", 2}}));
    for (auto& id : jobs) BOOST_TEST(await_end(engine, id, 60s) == "succeeded", id);
    auto marks = timeline(engine.record);
    BOOST_TEST(marks.size() == 20u * 4 * 2); // planner, 2 executors, verifier: a start and an end each
    BOOST_TEST(max_overlap(marks) == 4);
}

BOOST_AUTO_TEST_CASE(a_job_with_twelve_ready_tasks_does_not_starve_a_job_with_one) {
    auto engine = with_slots(4);
    auto big = submit(engine, "ultrawork", {{"roles", json::object{{"executor", json::object{{"sleep", 1.0}}}}}},
                             {{"workers", 12}});
    // Once the big job's executors hold every slot, a small job arrives.
    auto deadline = std::chrono::steady_clock::now() + 20s;
    auto executors_running = [&] {
        int n = 0;
        for (auto& m : timeline(engine.record)) n += m.start && m.task.starts_with("executor-");
        return n;
    };
    while (executors_running() < 4 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
    BOOST_REQUIRE_EQUAL(executors_running(), 4);
    auto small = submit(engine, "pipeline", {},
                               {{"team", json::object{{"teamTasks", json::array{json::object{
                                                                        {"id", "only"}, {"name", "The one task"}, {"role", "executor"}}}}}}});
    BOOST_TEST(await_end(engine, small, 30s) == "succeeded");
    BOOST_TEST(await_end(engine, big, 60s) == "succeeded");

    auto marks = timeline(engine.record);
    double small_start = 0;
    std::vector<double> big_executor_starts;
    for (auto& m : marks) {
        if (m.start && m.job == small) small_start = m.time;
        if (m.start && m.job == big && m.task.starts_with("executor-")) big_executor_starts.push_back(m.time);
    }
    BOOST_REQUIRE_EQUAL(big_executor_starts.size(), 12u);
    // The first wave of freed slots (the four first executors end together)
    // includes the waiting small job; without round-robin it would start only
    // after the big job's last executor. Agents log their start after the
    // interpreter's start-up, so starts within one wave are compared loosely.
    BOOST_TEST(small_start < big_executor_starts[7]);
    BOOST_TEST(max_overlap(marks) <= 4);
}
