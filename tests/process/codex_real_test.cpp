// The real `codex` CLI (npm @openai/codex, installed by tools/install-agents.sh)
// run through the agent runner against a mock Responses API server on
// loopback: a plain reply, a turn that runs a shell command in the workspace,
// and an HTTP 500. Nothing leaves the machine (docs/CODEX_MOCK.md).
#define BOOST_TEST_MODULE codex_real
#include "process/agent_attempt.hpp"
#include "process/agent_command.hpp"
#include "process/agent_env.hpp"
#include "tests/support/mock_model.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>
#include <unistd.h>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace omx::process;
using namespace std::chrono_literals;

namespace {

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

struct CodexRun {
    AttemptResult result;
    std::vector<OutputItem> items;
    fs::path workspace;
};

CodexRun run_codex(const std::string& scenario, const std::string& prompt) {
    BOOST_REQUIRE_MESSAGE(fs::exists(OMX_CODEX_BIN),
                          "codex is not installed at " OMX_CODEX_BIN ": run tools/install-agents.sh");
    omx::test::TempDir dir("omx-codex");
    omx::test::MockModel mock(dir, scenario);
    CodexRun run;
    run.workspace = dir / "workspace";
    fs::create_directories(run.workspace);
    fs::create_directories(dir / "home");
    fs::create_directories(dir / "tmp"); // codex_home must not lie in codex's temp dir (docs/CODEX_MOCK.md)
    omx::test::write_codex_config(dir / "codex_home", mock.port());

    std::map<std::string, std::string> server_env{{"PATH", std::string(std::getenv("PATH"))},
                                                  {"HOME", (dir / "home").string()},
                                                  {"LANG", "C.UTF-8"},
                                                  {"TMPDIR", (dir / "tmp").string()},
                                                  {"OPENAI_API_KEY", "test-key-not-secret"},
                                                  {"CODEX_HOME", (dir / "codex_home").string()},
                                                  {"JOB_CODEX_CLI_BIN", OMX_CODEX_BIN},
                                                  {"OMX_API_TOKEN", "server-secret"}};
    auto command = resolve_command(omx::team::Provider::codex, omx::team::Role::developer, {}, false, server_env);
    BOOST_TEST(command.source == "default");
    std::map<std::string, std::string> job_vars{{"JOB_WORKDIR", run.workspace.string()}, {"JOB_PROMPT", prompt}};
    AttemptSpec spec;
    spec.command = command.text;
    spec.workdir = run.workspace;
    spec.log_path = dir / "tasks" / "team-developer" / "1.log";
    spec.environment = agent_environment(server_env, {}, job_vars);
    spec.timeout = 60s;
    spec.idle_timeout = 60s;

    asio::io_context io;
    install_reaper(io.get_executor());
    AgentAttempt attempt(io.get_executor(), spec, {nullptr, [&](const OutputItem& i) { run.items.push_back(i); }, nullptr});
    bool done = false;
    auto body = [&]() -> asio::awaitable<void> { run.result = co_await attempt.async_run(); };
    asio::co_spawn(io, body(), [&](std::exception_ptr e) {
        done = true;
        io.stop();
        if (e) std::rethrow_exception(e);
    });
    io.run_for(90s);
    BOOST_REQUIRE_MESSAGE(done, "codex did not finish");
    BOOST_TEST_MESSAGE("codex log:\n" << read_text(spec.log_path));
    if (scenario == "tool") {
        auto created = run.workspace / "hello.txt";
        BOOST_TEST(fs::exists(created));
        BOOST_TEST(read_text(created) == "created-by-codex\n");
    }
    return run;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_plain_reply) {
    auto run = run_codex("hi", "say hi");
    auto& r = run.result;
    BOOST_TEST(r.ok, "codex failed: " << r.error.value_or("?") << "\nstderr: " << r.stderrTail);
    BOOST_TEST((r.parsed.format == OutputFormat::codex));
    BOOST_TEST(r.parsed.resultText == "hi from mock");
    BOOST_TEST(r.parsed.usage.inputTokens == 42);
    BOOST_TEST(r.parsed.usage.outputTokens == 7);
    BOOST_TEST(r.parsed.usage.totalTokens == 49);
    BOOST_TEST(r.parsed.threadId.has_value());
    BOOST_REQUIRE(run.items.size() == 1u);
    BOOST_TEST(run.items[0].kind == "message");
}

BOOST_AUTO_TEST_CASE(a_turn_that_runs_a_shell_command_in_the_workspace) {
    auto run = run_codex("tool", "TOOL: create hello.txt");
    auto& r = run.result;
    BOOST_TEST(r.ok, "codex failed: " << r.error.value_or("?") << "\nstderr: " << r.stderrTail);
    BOOST_TEST(r.parsed.resultText == "Done: I ran the command and created hello.txt.");
    BOOST_TEST(r.parsed.usage.inputTokens == 84); // cumulative over the thread's two requests
    BOOST_TEST(r.parsed.usage.outputTokens == 14);
    BOOST_REQUIRE(run.items.size() == 2u);
    BOOST_TEST(run.items[0].kind == "command");
    BOOST_TEST(run.items[0].text.find("created-by-codex") != std::string::npos);
    BOOST_TEST(run.items[0].exitCode.value() == 0);
    BOOST_TEST(run.items[1].kind == "message");
}

BOOST_AUTO_TEST_CASE(an_http_500_is_a_clean_failure_with_codex_s_message) {
    auto run = run_codex("error500", "say hi");
    auto& r = run.result;
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.exitCode.value() == 1);
    BOOST_TEST(*r.errorClass == "agent_error");
    BOOST_REQUIRE(r.error.has_value());
    BOOST_TEST(!r.error->empty());
    BOOST_TEST_MESSAGE("codex error: " << *r.error);
}
