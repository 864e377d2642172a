// Jobs run end to end by the real `codex` CLI (npm, pinned by
// tools/install-agents.sh) against the mock Responses API server: a default
// team job, whose six roles succeed and whose token totals in the overview are
// the sum of the usage the mock reported; and codex under --sandbox bwrap.
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

// omxd running every task with the real codex against the mock (one scenario).
struct CodexServer {
    enum class Sandbox { off, bwrap };
    explicit CodexServer(const std::string& scenario, Sandbox sandbox = Sandbox::off)
        : mock(dir, scenario), omxd(dir / "state", dir.path()) {
        BOOST_REQUIRE_MESSAGE(fs::exists(OMX_CODEX_BIN), "codex is not installed at " OMX_CODEX_BIN ": run tools/install-agents.sh");
        write_codex_config(dir / "codex_home", mock.port());
        fs::create_directories(dir / "home");
        fs::create_directories(dir / "tmp"); // codex_home must not lie in codex's temp dir (docs/CODEX_MOCK.md)
        std::vector<std::string> args{"--role", "all", "--skip-clone", "--fsync", "off", "--work-root", (dir / "runs").string()};
        if (sandbox == Sandbox::bwrap) // codex's install readable, its CODEX_HOME writable
            args.insert(args.end(), {"--sandbox", "bwrap", "--sandbox-ro", std::string(OMX_SOURCE_DIR) + "/.tools",
                                     "--sandbox-rw", (dir / "codex_home").string()});
        omxd.start(args, {{"HOME", (dir / "home").string()},
                          {"TMPDIR", (dir / "tmp").string()},
                          {"OPENAI_API_KEY", "test-key-not-secret"},
                          {"CODEX_HOME", (dir / "codex_home").string()},
                          {"JOB_CODEX_CLI_BIN", OMX_CODEX_BIN}});
    }

    // Submits the job and waits for its end; the job's JSON.
    json::value run(const json::object& body) {
        HttpClient c(omxd.port());
        auto created = c.post_json("/v1/jobs", body);
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
        return job;
    }

    TempDir dir{"omx-codex-team"};
    MockModel mock;
    OmxdProcess omxd;
};

} // namespace

BOOST_AUTO_TEST_CASE(a_default_team_job_with_codex_succeeds_and_counts_the_mocks_tokens) {
    CodexServer server("hi");
    auto job = server.run(json::object{{"provider", "codex"},
                                       {"mode", "team"},
                                       {"repo", "acme/widget"},
                                       {"ref", "main"},
                                       {"task", "Say hi from every role of the team"}});
    BOOST_REQUIRE_EQUAL(str(job, "/status"), "succeeded");
    HttpClient c(server.omxd.port());
    auto& mock = server.mock;

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

// codex inside omx's sandbox, itself sandboxing its shell command (nested
// bubblewrap): the command runs and writes the workspace.
BOOST_AUTO_TEST_CASE(under_the_bwrap_sandbox_codex_runs_its_shell_command_in_the_workspace) {
    CodexServer server("tool", CodexServer::Sandbox::bwrap);
    auto body = json::parse(R"({"provider":"codex","mode":"pipeline","repo":"acme/widget","ref":"main",
        "task":"TOOL: create hello.txt",
        "options":{"team":{"teamTasks":[{"id":"dev","name":"Create the file","role":"developer"}]}}})");
    auto job = server.run(body.as_object());
    BOOST_REQUIRE_EQUAL(str(job, "/status"), "succeeded");
    auto id = str(job, "/id");
    std::ifstream created(server.dir / "runs" / id / "workspace" / "hello.txt");
    std::string text((std::istreambuf_iterator<char>(created)), std::istreambuf_iterator<char>());
    BOOST_TEST(text == "created-by-codex\n");
    auto& tasks = at(job, "/output/tasks").as_array();
    BOOST_REQUIRE_EQUAL(tasks.size(), 1u);
    BOOST_TEST(tasks[0].at("summary").as_string() == "Done: I ran the command and created hello.txt.");
}
