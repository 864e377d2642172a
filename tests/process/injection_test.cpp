// No task text can become shell code: templates in every placeholder form and quoting context
// run through rewrite_placeholders, agent_environment and a real /bin/sh, and the program
// receives the task as exactly one argument, verbatim, while no injected command runs.
#define BOOST_TEST_MODULE injection
#include "process/agent_command.hpp"
#include "process/agent_env.hpp"
#include "process/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace team = omx::team;
using namespace omx::process;
using namespace std::chrono_literals;
using omx::test::read_file;
using omx::test::TempDir;

namespace {

// Every kind of trouble for a shell: command separators in and out of quotes, substitutions,
// globs, runs of spaces, newlines, both quotes, backslashes, redirections, variable syntax.
const std::string nasty_task = "\"; touch PWNED; \" '; touch PWNED; ' $(touch PWNED) `touch PWNED` "
                               "* ?  two  spaces   three\nsecond line\\n back\\slash \\\" \\' "
                               "> PWNED_REDIRECT; | touch PWNED & $HOME ${PATH} ${JOB_TASK} {TASK} "
                               "$TASK $$ !! ~ -x \t tab end  \n";

// A shell function that records its arguments: "count", then arg1, arg2, ... each verbatim.
const std::string recorder = "cmd() { printf '%s' \"$#\" > count; i=0; for a in \"$@\"; do "
                             "i=$((i+1)); printf '%s' \"$a\" > \"arg$i\"; done; }; ";

const std::map<std::string, std::string> server_env{{"PATH", "/usr/bin:/bin"},
                                                    {"LANG", "C"},
                                                    {"OMX_API_TOKEN", "server-secret"},
                                                    {"REDIS_PASSWORD", "server-secret"}};

struct Fixture {
    TempDir dir{"omx-injection"};
    team::Job job;
    team::Task task;

    Fixture() {
        job.id = "job-inj";
        job.request.provider = team::Provider::codex;
        job.request.repo = "owner/name";
        job.request.ref = "main";
        job.request.task = nasty_task;
        task.id = "team-executor";
        task.name = nasty_task;
        task.role = team::Role::executor;
    }

    std::vector<std::string> environment() const {
        const auto vars = job_variables({.job = job,
                                         .task = task,
                                         .attempt = 1,
                                         .phase = team::Phase::team_exec,
                                         .prompt = nasty_task,
                                         .paths = {.workdir = dir.path(),
                                                   .run_dir = dir.path(),
                                                   .prompt_file = dir / "prompt.txt",
                                                   .dependency_outputs = dir / "deps.json",
                                                   .inbox = dir / "inbox.jsonl"},
                                         .claim_token = "claim-1"});
        return agent_environment(server_env, {}, vars);
    }

    // Runs `command` (already resolved) in the temp dir; returns its exit code.
    int run(const std::string& command) const {
        asio::io_context io;
        install_reaper(io.get_executor());
        int code = -1;
        auto job = [&]() -> asio::awaitable<void> {
            auto child =
                ChildProcess::spawn(io.get_executor(), {command, dir.path(), environment(), {}});
            co_await child->async_read_lines(
                [](Stream, std::string_view line) { BOOST_TEST_MESSAGE("child: " << line); },
                1 << 20);
            code = (co_await child->async_wait()).code.value_or(-1);
        };
        bool done = false;
        asio::co_spawn(io, job(), [&](std::exception_ptr e) {
            done = true;
            io.stop();
            if (e) std::rethrow_exception(e);
        });
        io.run_for(20s);
        BOOST_REQUIRE_MESSAGE(done, "command did not finish: " + command);
        return code;
    }

    std::vector<std::string> recorded_args() const {
        const int n = std::stoi(read_file(dir / "count"));
        std::vector<std::string> args;
        for (int i = 1; i <= n; ++i)
            args.push_back(read_file(dir / ("arg" + std::to_string(i))));
        return args;
    }

    bool injected_file_exists() const {
        for (const auto& entry : fs::recursive_directory_iterator(dir.path()))
            if (entry.path().filename().string().find("PWNED") != std::string::npos) return true;
        return false;
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(the_nasty_task_holds_what_it_should) {
    for (std::string_view part :
         {"\"", "'", "\\", "\n", "$(", "`", "*", "  ", ";", "{TASK}", "$TASK"})
        BOOST_TEST(nasty_task.find(part) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_placeholder_form_passes_the_task_as_one_verbatim_argument) {
    const std::vector<std::pair<std::string, std::string>> templates{
        {"cmd {TASK}", nasty_task},
        {"cmd \"{TASK}\"", nasty_task},
        {"cmd '{TASK}'", nasty_task},
        {"cmd ${TASK}", nasty_task},
        {"cmd $TASK", nasty_task},
        {"cmd \"${TASK}\"", nasty_task},
        {"cmd '$TASK'", nasty_task},
        {"cmd {task}", nasty_task},
        {"cmd {TASK_NAME}", nasty_task},
        {"cmd \"$PROMPT\"", nasty_task},
        {"cmd pre{TASK}post", "pre" + nasty_task + "post"},
        {"cmd \"Task: {TASK}!\"", "Task: " + nasty_task + "!"},
        {"cmd 'it'\\''s: {TASK} \"ok\"'", "it's: " + nasty_task + " \"ok\""},
        {"cmd \"$JOB_TASK\"", nasty_task},
    };
    for (const auto& [form, expected] : templates) {
        BOOST_TEST_CONTEXT(form) {
            Fixture f;
            const std::string command = rewrite_placeholders(recorder + form);
            BOOST_TEST_MESSAGE(form << "  ->  " << command);
            BOOST_TEST(f.run(command) == 0);
            const auto args = f.recorded_args();
            BOOST_REQUIRE(args.size() == 1u);
            BOOST_TEST(args[0] == expected);
            BOOST_TEST(!f.injected_file_exists());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_printf_template_writes_the_task_verbatim) {
    for (std::string form : {"printf '%s' {TASK} > out", "printf '%s' \"{TASK}\" > out",
                             "printf '%s' '{TASK}' > out", "printf '%s' $TASK > out"}) {
        BOOST_TEST_CONTEXT(form) {
            Fixture f;
            BOOST_TEST(f.run(rewrite_placeholders(form)) == 0);
            BOOST_TEST(read_file(f.dir / "out") == nasty_task);
            BOOST_TEST(!f.injected_file_exists());
        }
    }
}

BOOST_AUTO_TEST_CASE(resolved_templates_from_request_and_environment_are_safe) {
    Fixture f;
    const auto script = f.dir / "record.sh";
    std::ofstream(script) << "#!/bin/sh\n" << recorder << "cmd \"$@\"\n";
    fs::permissions(script, fs::perms::owner_all);
    const std::map<team::Role, std::string> request{{team::Role::executor, "./record.sh {TASK}"}};
    const auto r = resolve_command(team::Provider::codex, team::Role::executor, request, true, {});
    BOOST_TEST(r.source == "request");
    BOOST_TEST(f.run(r.text) == 0);
    BOOST_REQUIRE(f.recorded_args().size() == 1u);
    BOOST_TEST(f.recorded_args()[0] == nasty_task);
    BOOST_TEST(!f.injected_file_exists());
}

BOOST_AUTO_TEST_CASE(the_default_command_passes_prompt_and_workdir_as_single_arguments) {
    Fixture f;
    // A configured binary whose path needs quoting.
    const auto bin_dir = f.dir / "my bin's dir";
    fs::create_directories(bin_dir);
    const auto fake = bin_dir / "codex";
    std::ofstream(fake) << "#!/bin/sh\n" << recorder << "cmd \"$@\"\n";
    fs::permissions(fake, fs::perms::owner_all);
    const auto r = resolve_command(team::Provider::codex, team::Role::executor, {}, false,
                                   {{"JOB_CODEX_CLI_BIN", fake.string()}});
    BOOST_TEST(r.source == "default");
    BOOST_TEST(f.run(r.text) == 0);
    const std::vector<std::string> expected{"exec",
                                            "--json",
                                            "--skip-git-repo-check",
                                            "--sandbox",
                                            "workspace-write",
                                            "--cd",
                                            f.dir.str(),
                                            "--",
                                            nasty_task};
    BOOST_TEST(f.recorded_args() == expected, boost::test_tools::per_element());
    BOOST_TEST(!f.injected_file_exists());
}

BOOST_AUTO_TEST_CASE(the_agent_sees_no_server_secret) {
    Fixture f;
    BOOST_TEST(f.run("env > envdump") == 0);
    const std::string env = read_file(f.dir / "envdump");
    BOOST_TEST(env.find("server-secret") == std::string::npos);
    BOOST_TEST(env.find("OMX_CLAIM_TOKEN=claim-1") != std::string::npos);
    BOOST_TEST(env.find("JOB_TASK_ID=team-executor") != std::string::npos);
}
