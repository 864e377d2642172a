// GET /metrics during and after real runs: the exposition parses with the
// official Prometheus client's parser (tests/support/parse_metrics.py), has
// every family of operations.md, and its counters move as jobs run.
#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

#include "tests/integration/team_helpers.hpp"
#include "tests/support/shell.hpp"
#include "tests/support/sse_client.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_backend.hpp"

#include <fstream>
#include <thread>

namespace json = boost::json;
using namespace omx::test;
using namespace std::chrono_literals;

namespace {

// The samples of one scrape, parsed by the Prometheus client library.
struct Scrape {
    json::object families; // name -> type
    json::array samples;   // [name, {labels}, value]

    // The sum of the samples named `name` whose labels include `labels`.
    double value(std::string_view name, const std::map<std::string, std::string>& labels = {}) const {
        double sum = 0;
        for (auto& s : samples) {
            auto& a = s.as_array();
            if (a[0].as_string() != name) continue;
            bool match = true;
            for (auto& [k, v] : labels) {
                auto* l = a[1].as_object().if_contains(k);
                match = match && l && l->as_string() == v;
            }
            if (match) sum += a[2].to_number<double>();
        }
        return sum;
    }
};

Scrape scrape(Engine& e) {
    auto c = e.client();
    auto r = c.get("/metrics");
    BOOST_REQUIRE_EQUAL(r.status, 200);
    BOOST_TEST(r.header("content-type").starts_with("text/plain; version=0.0.4"));
    TempDir dir;
    auto file = dir.path() / "metrics.txt";
    std::ofstream(file) << r.body;
    // Debian's python3, which python3-prometheus-client is installed for (not a pyenv one on PATH).
    std::string command = "/usr/bin/python3 " + std::string(OMX_SOURCE_DIR) + "/tests/support/parse_metrics.py " +
                          file.string() + " 2>&1";
    auto [status, out] = run_shell(command);
    BOOST_REQUIRE_MESSAGE(status == 0, out << "\n--- exposition:\n" << r.body);
    auto parsed = json::parse(out).as_object();
    return {parsed.at("families").as_object(), parsed.at("samples").as_array()};
}

template <class Pred>
Scrape scrape_until(Engine& e, Pred pred, std::string_view what) {
    for (int i = 0; i < 200; ++i) {
        auto s = scrape(e);
        if (pred(s)) return s;
        std::this_thread::sleep_for(25ms);
    }
    BOOST_FAIL("the metrics never showed " << what);
    return {};
}

} // namespace

BOOST_AUTO_TEST_CASE(every_family_parses_and_counters_move_as_jobs_run) {
    Engine e({"--fsync", "always"});
    auto before = scrape(e);
    // The parser names counters without _total; every family of operations.md is there.
    for (auto [name, type] : {std::pair{"omx_jobs", "gauge"}, {"omx_jobs_created", "counter"},
                              {"omx_jobs_finished", "counter"}, {"omx_tasks_started", "counter"},
                              {"omx_tasks_retried", "counter"}, {"omx_tasks_failed", "counter"},
                              {"omx_agents_running", "gauge"}, {"omx_agent_tokens", "counter"},
                              {"omx_http_requests", "counter"}, {"omx_http_request_duration_seconds", "histogram"},
                              {"omx_sse_clients", "gauge"}, {"omx_event_appends", "counter"},
                              {"omx_fsync_duration_seconds", "histogram"}, {"omx_process_spawns", "counter"},
                              {"omx_process_spawn_failures", "counter"}}) {
        auto* t = before.families.if_contains(name);
        BOOST_TEST((t && *t == type), name << " is missing or not a " << type);
    }
    BOOST_TEST(before.value("omx_jobs_created_total") == 0);

    // A job whose developer reports tokens and sleeps, watched over SSE meanwhile.
    auto c = e.client();
    json::object script{{"default", json::object{{"tokens", json::array{100, 20}}}},
                        {"roles", json::object{{"developer", json::object{{"sleep", 2}, {"tokens", json::array{100, 20}}}}}}};
    auto r = c.post_json("/v1/jobs", team_job(e, "team", script));
    BOOST_REQUIRE_EQUAL(r.status, 201);
    auto id = str(r.json(), "/jobId");
    SseClient stream;
    stream.open(e.process.port(), "/v1/jobs/" + id + "/events");
    BOOST_REQUIRE_EQUAL(stream.status(), 200);
    // (On Redis the by-status gauge follows the job's record, written just after the change.)
    auto during = scrape_until(
        e, [](const Scrape& s) { return s.value("omx_agents_running") >= 1 && s.value("omx_jobs", {{"status", "running"}}) == 1; },
        "a running agent of the running job");
    BOOST_TEST(during.value("omx_sse_clients") >= 1);

    // A job whose developer fails both its attempts, with no fix round.
    json::object failing{{"roles", json::object{{"developer", json::object{{"exit", 3}}}}}};
    json::object no_fix{{"team", json::object{{"maxFixAttempts", 0}}}};
    auto failed_id = str(c.post_json("/v1/jobs", team_job(e, "team", failing, no_fix)).json(), "/jobId");

    BOOST_TEST(str(wait_terminal(c, id), "/status") == "succeeded");
    auto failed_job = wait_terminal(c, failed_id);
    stream.close();
    auto after = scrape_until(
        e,
        [](const Scrape& s) {
            return s.value("omx_sse_clients") == 0 && s.value("omx_agents_running") == 0 &&
                   s.value("omx_jobs", {{"status", "succeeded"}}) == 1;
        },
        "no SSE client and no agent left, the finished job counted");

    BOOST_TEST(str(failed_job, "/status") == "failed");
    BOOST_TEST(after.value("omx_jobs_created_total", {{"mode", "team"}, {"provider", "codex"}}) == 2);
    BOOST_TEST(after.value("omx_jobs_finished_total", {{"mode", "team"}, {"outcome", "succeeded"}}) == 1);
    BOOST_TEST(after.value("omx_jobs_finished_total", {{"mode", "team"}, {"outcome", "failed"}}) == 1);
    BOOST_TEST(after.value("omx_jobs", {{"status", "succeeded"}}) == 1);
    BOOST_TEST(after.value("omx_tasks_started_total", {{"role", "developer"}}) >= 1);
    BOOST_TEST(after.value("omx_tasks_started_total") >= 6 + 1);
    BOOST_TEST(after.value("omx_tasks_retried_total", {{"role", "developer"}}) == 1); // maxAttempts 2
    BOOST_TEST(after.value("omx_tasks_failed_total", {{"role", "developer"}}) == 1);
    // The six roles of the succeeding job report 100 input tokens each, at least.
    BOOST_TEST(after.value("omx_agent_tokens_total", {{"provider", "codex"}, {"kind", "input"}}) >= 600);
    BOOST_TEST(after.value("omx_agent_tokens_total", {{"kind", "output"}}) >= 120);
    BOOST_TEST(after.value("omx_process_spawns_total") >= after.value("omx_tasks_started_total"));
    BOOST_TEST(after.value("omx_event_appends_total") > 20);
    if (!on_redis_backend()) BOOST_TEST(after.value("omx_fsync_duration_seconds_count") > 0); // the file store's
    BOOST_TEST(after.value("omx_http_requests_total", {{"route", "jobs_create"}, {"status", "201"}}) == 2);
    BOOST_TEST(after.value("omx_http_requests_total", {{"route", "metrics"}}) >= 2);
    BOOST_TEST(after.value("omx_http_request_duration_seconds_count", {{"route", "jobs_create"}}) == 2);

}

BOOST_AUTO_TEST_CASE(a_missing_agent_binary_counts_as_a_spawn_failure) {
    Engine e;
    e.env["JOB_CLI_BIN"] = "no-such-agent-cli";
    e.process.stop();
    e.restart();
    auto c = e.client();
    auto r = c.post_json("/v1/jobs", with_options(job_body("autopilot"), {{"team", json::object{{"maxFixAttempts", 0}}}}));
    BOOST_REQUIRE_EQUAL(r.status, 201);
    BOOST_TEST(str(wait_terminal(c, str(r.json(), "/jobId")), "/status") == "failed");
    BOOST_TEST(scrape(e).value("omx_process_spawn_failures_total") >= 1);
}
