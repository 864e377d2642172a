// The tmux view (operations.md) with a real tmux on a socket of the test's own:
// a pane per role showing that role's log live, the session kept or closed at
// the end as keepTmuxSession says, and a clear job error when tmux is missing.
#define BOOST_TEST_MODULE tmux_view
#include <boost/test/unit_test.hpp>

#include "tests/integration/team_helpers.hpp"
#include "tests/support/shell.hpp"

#include <thread>
#include <unistd.h>

namespace json = boost::json;
using namespace omx::test;
using namespace std::chrono_literals;

namespace {

// A tmux server of this test only, killed at the end.
struct TmuxSocket {
    std::string name = "omx-test-" + std::to_string(::getpid());
    ~TmuxSocket() { run("kill-server"); }

    // `tmux -L <name> <args>`: its output and exit code.
    std::pair<int, std::string> run(const std::string& args) const {
        auto [code, out] = run_shell("tmux -L " + name + " " + args + " 2>&1");
        return {code, out};
    }
    bool has_session(const std::string& session) const { return run("has-session -t " + session).first == 0; }
};

json::object tmux_options(bool keep) {
    return {{"keepTmuxSession", keep}, {"team", json::object{{"tmuxVisualization", true}}}};
}

json::object developer_says(std::string text) {
    return {{"roles", json::object{{"developer", json::object{{"message", std::move(text)}}}}}};
}

std::string submit(Engine& e, json::object script, json::object options) {
    auto c = e.client();
    auto r = c.post_json("/v1/jobs", team_job(e, "team", std::move(script), std::move(options)));
    BOOST_REQUIRE_EQUAL(r.status, 201);
    return str(r.json(), "/jobId");
}

// The index of the first event of `type`, or events.size().
std::size_t index_of(const json::array& events, std::string_view type) {
    for (std::size_t i = 0; i < events.size(); ++i)
        if (str(events[i], "/type") == type) return i;
    return events.size();
}

} // namespace

BOOST_AUTO_TEST_CASE(panes_show_each_roles_log_and_the_session_is_kept) {
    TmuxSocket tmux;
    Engine e({"--tmux-socket", tmux.name});
    auto id = submit(e, developer_says("the developer was here"), tmux_options(true));
    auto c = e.client();
    auto job = wait_terminal(c, id);
    BOOST_TEST(str(job, "/status") == "succeeded");

    auto events = job_events(c, id);
    auto started = of_type(events, "tmux_session_started");
    BOOST_REQUIRE_EQUAL(started.size(), 1u);
    auto session = str(started[0], "/payload/sessionName");
    BOOST_TEST(session == "omx-" + id.substr(0, 8));
    BOOST_TEST(str(started[0], "/payload/socket") == tmux.name);
    BOOST_TEST(str(started[0], "/payload/attachCommand") == "tmux -L " + tmux.name + " attach -t " + session);
    std::map<std::string, std::string> pane_of; // role -> pane id
    for (auto& p : at(started[0], "/payload/panes").as_array()) pane_of[str(p, "/role")] = str(p, "/paneId");
    BOOST_TEST(pane_of.size() == 6u); // the default template's six roles
    BOOST_REQUIRE(pane_of.count("developer"));

    // The session is kept: the retained event comes just before the terminal one.
    auto retained = index_of(events, "tmux_session_retained");
    BOOST_TEST(retained + 1 == index_of(events, "completed"));
    BOOST_TEST(tmux.has_session(session));

    // Each pane shows its role's log: the developer's message in the developer's pane only.
    std::string developer_pane;
    for (int i = 0; i < 100; ++i) {
        developer_pane = tmux.run("capture-pane -p -t " + pane_of["developer"]).second;
        if (developer_pane.find("the developer was here") != std::string::npos) break;
        std::this_thread::sleep_for(50ms);
    }
    BOOST_TEST(developer_pane.find("the developer was here") != std::string::npos, developer_pane);
    BOOST_TEST(developer_pane.find("team-developer started") != std::string::npos, developer_pane);
    BOOST_TEST(developer_pane.find("job succeeded") != std::string::npos, developer_pane);
    auto planner_pane = tmux.run("capture-pane -p -t " + pane_of["planner"]).second;
    BOOST_TEST(planner_pane.find("the developer was here") == std::string::npos, planner_pane);
    BOOST_TEST(planner_pane.find("team-planner started") != std::string::npos, planner_pane);
    auto titles = tmux.run("list-panes -t " + session + " -F '#{pane_title}'").second;
    BOOST_TEST(titles.find("developer") != std::string::npos, titles);
}

BOOST_AUTO_TEST_CASE(the_session_is_closed_when_not_kept) {
    TmuxSocket tmux;
    Engine e({"--tmux-socket", tmux.name});
    auto id = submit(e, developer_says("short lived"), tmux_options(false));
    auto c = e.client();
    BOOST_TEST(str(wait_terminal(c, id), "/status") == "succeeded");
    auto events = job_events(c, id);
    auto closed = index_of(events, "tmux_session_closed");
    BOOST_REQUIRE(closed < events.size());
    BOOST_TEST(closed + 1 == index_of(events, "completed"));
    BOOST_TEST(index_of(events, "tmux_session_retained") == events.size());
    auto session = str(events[closed], "/payload/sessionName");
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        gone = !tmux.has_session(session);
        if (!gone) std::this_thread::sleep_for(50ms);
    }
    BOOST_TEST(gone, "tmux session " << session << " still exists after the job");
}

BOOST_AUTO_TEST_CASE(missing_tmux_is_a_clear_job_error) {
    Engine e({"--tmux", "/nonexistent/tmux"});
    auto id = submit(e, developer_says("never runs"), tmux_options(false));
    auto c = e.client();
    auto job = wait_terminal(c, id);
    BOOST_TEST(str(job, "/status") == "failed");
    BOOST_TEST(str(job, "/error").find("tmux was not found") != std::string::npos, str(job, "/error"));
    BOOST_TEST(of_type(job_events(c, id), "team.task.started").empty());
    BOOST_TEST(c.get("/v1/healthz").status == 200); // the server goes on
    // A job without the option still runs.
    auto plain = submit(e, developer_says("fine"), {});
    BOOST_TEST(str(wait_terminal(c, plain), "/status") == "succeeded");
}
