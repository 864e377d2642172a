// A default team job run end to end by the real `codex` CLI (npm, pinned by
// tools/install-agents.sh) against the mock Responses API server: all six
// roles succeed, and the overview's token totals are the sum of the usage
// the mock reported for every request it answered.
#define BOOST_TEST_MODULE codex_team
#include "tests/support/http_client.hpp"
#include "tests/support/json_util.hpp"
#include "tests/support/mock_model.hpp"
#include "tests/support/omxd_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace omx::test;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t mock_input_tokens = 42, mock_output_tokens = 7; // per answered request

int answered_requests(const fs::path& request_log) {
    std::ifstream in(request_log);
    int n = 0;
    for (std::string line; std::getline(in, line);) {
        auto v = json::parse(line);
        if (v.at("method") == "POST" && v.at("path").as_string().starts_with("/v1/responses")) ++n;
    }
    return n;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_default_team_job_with_codex_succeeds_and_counts_the_mocks_tokens) {
    BOOST_REQUIRE_MESSAGE(fs::exists(OMX_CODEX_BIN), "codex is not installed at " OMX_CODEX_BIN ": run tools/install-agents.sh");
    TempDir dir("omx-codex-team");
    MockModel mock(dir, "hi");
    write_codex_config(dir / "codex_home", mock.port());
    fs::create_directories(dir / "home");
    fs::create_directories(dir / "tmp"); // codex_home must not lie in codex's temp dir (docs/CODEX_MOCK.md)

    OmxdProcess omxd(dir / "state", dir.path());
    omxd.start({"--role", "all", "--skip-clone", "--fsync", "off"},
               {{"HOME", (dir / "home").string()},
                {"TMPDIR", (dir / "tmp").string()},
                {"OPENAI_API_KEY", "test-key-not-secret"},
                {"CODEX_HOME", (dir / "codex_home").string()},
                {"JOB_CODEX_CLI_BIN", OMX_CODEX_BIN}});
    HttpClient c(omxd.port());
    auto created = c.post_json("/v1/jobs", json::object{{"provider", "codex"},
                                                        {"mode", "team"},
                                                        {"repo", "acme/widget"},
                                                        {"ref", "main"},
                                                        {"task", "Say hi from every role of the team"}});
    BOOST_REQUIRE_EQUAL(created.status, 201);
    std::string id = str(created.json(), "/jobId");

    json::value job;
    auto deadline = std::chrono::steady_clock::now() + 120s;
    do {
        std::this_thread::sleep_for(200ms);
        job = c.get("/v1/jobs/" + id).json();
    } while ((str(job, "/status") == "queued" || str(job, "/status") == "running") &&
             std::chrono::steady_clock::now() < deadline);
    BOOST_TEST_MESSAGE("job: " << json::serialize(job));
    BOOST_REQUIRE_EQUAL(str(job, "/status"), "succeeded");

    auto& tasks = at(job, "/output/tasks").as_array();
    BOOST_TEST(tasks.size() == 6u);
    std::set<std::string> roles;
    for (auto& t : tasks) {
        BOOST_TEST(t.at("status").as_string() == "succeeded");
        BOOST_TEST(t.at("summary").as_string() == "hi from mock");
        roles.emplace(t.at("role").as_string());
    }
    BOOST_TEST(roles.size() == 6u);

    int requests = answered_requests(mock.request_log());
    BOOST_TEST(requests >= 6);
    auto overview = c.get("/v1/monitor/overview").json();
    BOOST_TEST(num(overview, "/tokens/inputTokens") == requests * mock_input_tokens);
    BOOST_TEST(num(overview, "/tokens/outputTokens") == requests * mock_output_tokens);
    BOOST_TEST(num(overview, "/tokens/totalTokens") == requests * (mock_input_tokens + mock_output_tokens));
    BOOST_TEST(num(job, "/output/usage/totalTokens") == requests * (mock_input_tokens + mock_output_tokens));
}
