// `--sandbox bwrap` against the real omxd and real bubblewrap: an agent writes
// its workspace and run directory and nothing else, and cannot read the token
// files, the state directory or another job's workspace — even where all of
// them lie inside a directory the agents may read (`--sandbox-ro`). The same
// probe without the sandbox does escape, so the test can see an escape.
#define BOOST_TEST_MODULE agent_sandbox_test
#include <boost/test/unit_test.hpp>

#include "tests/integration/api_helpers.hpp"
#include "tests/support/temp_dir.hpp"

#include <fstream>
#include <random>

using namespace omx::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string token = "sandbox-test-token-0123456789";

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Everything of one server in one directory, which agents may read unless covered.
struct SandboxedServer {
    TempDir root{"omx-sandbox"};
    fs::path state = root / "state", runs = root / "runs", outside = root / "outside";
    std::string nonce = std::to_string(std::random_device{}());
    fs::path home_escape = fs::path(std::getenv("HOME") ? std::getenv("HOME") : "/root") / ("omx-escaped-" + nonce);
    fs::path usr_escape = "/usr/omx-escaped-" + nonce, tmp_escape = "/tmp/omx-escaped-" + nonce;
    OmxdProcess process{state, root.path()};

    explicit SandboxedServer(bool sandbox) {
        fs::create_directories(outside);
        std::ofstream(root / "api-tokens") << token << "\n";
        std::vector<std::string> args{"--role", "all", "--skip-clone", "--fsync", "off", "--work-root", runs.string(),
                                      "--api-token-file", (root / "api-tokens").string()};
        if (sandbox) args.insert(args.end(), {"--sandbox", "bwrap", "--sandbox-ro", root.str()});
        process.start(args, {{"JOB_EXECUTOR_CMD", probe()}});
    }
    ~SandboxedServer() {
        std::error_code ignored;
        for (auto& p : {home_escape, usr_escape, tmp_escape}) fs::remove(p, ignored);
    }

    // What the agent tries, each outcome into $JOB_WORKDIR/probe/ (read by the test on the host).
    std::string probe() const {
        auto q = [](const fs::path& p) { return "'" + p.string() + "'"; };
        return "out=\"$JOB_WORKDIR/probe\"; mkdir -p \"$out\"\n"
               "attempt() { if ( eval \"$2\" ) >/dev/null 2>&1; then echo \"$1 yes\"; else echo \"$1 no\"; fi >> \"$out/results\"; }\n"
               "attempt workspace 'echo x > \"$JOB_WORKDIR/written\"'\n"
               "attempt run-dir 'echo x > \"$JOB_RUN_DIR/written\"'\n"
               "attempt outside 'echo x > " + q(outside / "escaped") + "'\n"
               "attempt state 'echo x > " + q(state / "escaped") + "'\n"
               "attempt tmp 'echo x > " + q(tmp_escape) + "'\n"
               "attempt home 'echo x > " + q(home_escape) + "'\n"
               "attempt usr 'echo x > " + q(usr_escape) + "'\n"
               "cat " + q(root / "api-tokens") + " > \"$out/tokens\" 2>&1\n"
               "ls -laR " + q(state) + " > \"$out/state\" 2>&1\n"
               "ls -la " + q(runs) + " > \"$out/runs\" 2>&1\n"
               "cat " + q(runs) + "/*/workspace/marker > \"$out/others\" 2>&1\n"
               "echo \"secret-of-$JOB_ID\" > \"$JOB_WORKDIR/marker\"\n"
               "echo probed\n";
    }

    // Runs one probe job to its end; its id.
    std::string run_probe() {
        HttpClient c(process.port());
        auto body = with_options(job_body("pipeline"), json::parse(R"({"team":{"teamTasks":[
            {"id":"probe","name":"Probe the sandbox","role":"executor"}]}})").as_object());
        Headers auth{{"Authorization", "Bearer " + token}};
        auto created = c.post_json("/v1/jobs", body, auth);
        BOOST_TEST_REQUIRE(created.status == 201, created.body);
        auto id = str(created.json(), "/jobId");
        std::string status;
        BOOST_TEST_REQUIRE(eventually(
            [&] {
                status = str(c.get(job_url(id), auth).json(), "/status");
                return status == "succeeded" || status == "failed" || status == "canceled";
            },
            60s));
        BOOST_TEST_REQUIRE(status == "succeeded", read_text(process.log_path()));
        return id;
    }

    fs::path probe_file(const std::string& id, std::string_view name) const {
        return runs / id / "workspace" / "probe" / name;
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_sandboxed_agent_writes_only_its_workspace_and_run_directory) {
    SandboxedServer s(true);
    auto id = s.run_probe();
    auto results = read_text(s.probe_file(id, "results"));
    BOOST_TEST(results.find("workspace yes") != std::string::npos, results);
    BOOST_TEST(results.find("run-dir yes") != std::string::npos, results);
    BOOST_TEST(fs::exists(s.runs / id / "workspace" / "written"));
    BOOST_TEST(fs::exists(s.runs / id / "written"));
    BOOST_TEST(results.find("outside no") != std::string::npos, results); // read-only
    BOOST_TEST(results.find("usr no") != std::string::npos, results);
    // Its own /tmp, HOME and (covered) state directory take writes that vanish with it.
    for (auto& p : {s.outside / "escaped", s.state / "escaped", s.usr_escape, s.tmp_escape, s.home_escape})
        BOOST_TEST(!fs::exists(p), p);
}

BOOST_AUTO_TEST_CASE(a_sandboxed_agent_cannot_read_tokens_state_or_other_jobs) {
    SandboxedServer s(true);
    auto first = s.run_probe();
    auto second = s.run_probe();
    BOOST_TEST_REQUIRE(fs::exists(s.runs / first / "workspace" / "marker"));
    auto tokens = read_text(s.probe_file(second, "tokens"));
    BOOST_TEST(tokens.find(token) == std::string::npos, tokens);
    auto state = read_text(s.probe_file(second, "state"));
    BOOST_TEST(state.find(first) == std::string::npos, state);
    BOOST_TEST(state.find("events.jsonl") == std::string::npos, state);
    auto runs = read_text(s.probe_file(second, "runs"));
    BOOST_TEST(runs.find(second) != std::string::npos, runs);
    BOOST_TEST(runs.find(first) == std::string::npos, runs);
    auto others = read_text(s.probe_file(second, "others"));
    BOOST_TEST(others.find("secret-of-" + first) == std::string::npos, others);
}

BOOST_AUTO_TEST_CASE(without_the_sandbox_the_same_probe_escapes) {
    SandboxedServer s(false);
    auto first = s.run_probe();
    auto second = s.run_probe();
    BOOST_TEST(fs::exists(s.outside / "escaped"));
    BOOST_TEST(read_text(s.probe_file(second, "tokens")).find(token) != std::string::npos);
    BOOST_TEST(read_text(s.probe_file(second, "others")).find("secret-of-" + first) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_sandbox_that_cannot_start_stops_the_server_with_the_reason) {
    TempDir dir{"omx-sandbox"};
    auto run = OmxdProcess::run_and_capture({"serve", "--listen", "127.0.0.1:0", "--state-dir", (dir / "state").string(),
                                             "--work-root", (dir / "runs").string(), "--sandbox", "bwrap",
                                             "--sandbox-ro", (dir / "missing").string()});
    BOOST_TEST(run.exit_code == 2);
    BOOST_TEST(run.output.find("--sandbox-ro: " + (dir / "missing").string() + " is not a directory") !=
                   std::string::npos,
               run.output);
    auto no_bwrap = OmxdProcess::run_and_capture({"serve", "--listen", "127.0.0.1:0", "--state-dir",
                                                  (dir / "state").string(), "--work-root", (dir / "runs").string(),
                                                  "--sandbox", "bwrap"},
                                                 std::chrono::seconds(20), {{"PATH", dir.str()}});
    BOOST_TEST(no_bwrap.exit_code == 2);
    BOOST_TEST(no_bwrap.output.find("--sandbox bwrap: bwrap is not in PATH") != std::string::npos, no_bwrap.output);
}
