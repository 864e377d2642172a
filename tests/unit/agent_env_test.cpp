// The agent environment: only allowed server variables, pass-through names and JOB_* (which win).
#include "process/agent_env.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

using namespace omx::process;
namespace team = omx::team;

namespace {

using Env = std::map<std::string, std::string>;

// The entries back as a map (each entry must be NAME=value).
Env as_map(const std::vector<std::string>& entries) {
    Env out;
    for (const auto& e : entries) {
        const auto eq = e.find('=');
        BOOST_REQUIRE(eq != std::string::npos);
        out[e.substr(0, eq)] = e.substr(eq + 1);
    }
    return out;
}

const Env server_env{{"PATH", "/usr/bin:/bin"},
                     {"HOME", "/home/omx"},
                     {"LANG", "C.UTF-8"},
                     {"LC_ALL", "C"},
                     {"TERM", "xterm"},
                     {"USER", "omx"},
                     {"SHELL", "/bin/sh"},
                     {"TMPDIR", "/tmp"},
                     {"OPENAI_API_KEY", "sk-1"},
                     {"OPENAI_BASE_URL", "http://llm"},
                     {"CODEX_HOME", "/c"},
                     {"ANTHROPIC_API_KEY", "a-1"},
                     {"ANTHROPIC_BASE_URL", "http://a"},
                     {"CLAUDE_CODE_USE_BEDROCK", "1"},
                     {"GEMINI_API_KEY", "g-1"},
                     {"GOOGLE_CLOUD_PROJECT", "p"},
                     // Never: server secrets and configuration, look-alikes of allowed names.
                     {"OMX_API_TOKEN", "secret"},
                     {"REDIS_PASSWORD", "secret"},
                     {"REDIS_URL", "redis://:pw@h"},
                     {"AWS_SECRET_ACCESS_KEY", "secret"},
                     {"OPENAI_API_KEY_OMX", "secret"},
                     {"OPENAI_ORG", "o"},
                     {"GEMINI_API_KEY2", "secret"},
                     {"ANTHROPIC", "secret"},
                     {"CLAUDE_API_KEY", "secret"},
                     {"GOOGLE", "secret"},
                     {"PATHX", "x"},
                     {"path", "x"},
                     {"LD_PRELOAD", "/evil.so"},
                     {"JOB_CODEX_DEVELOPER_CMD", "cmd"},
                     {"JOB_CLI_BIN", "bin"},
                     {"JOB_TASK", "from server"},
                     {"OMX_CLAIM_TOKEN", "old"},
                     {"MY_TOOL_TOKEN", "t"}};

} // namespace

BOOST_AUTO_TEST_SUITE(process_agent_env)

BOOST_AUTO_TEST_CASE(keeps_the_basics_and_provider_credentials_only) {
    const auto env = as_map(agent_environment(server_env, {}, {}));
    const std::vector<std::string> kept{"PATH",
                                        "HOME",
                                        "LANG",
                                        "LC_ALL",
                                        "TERM",
                                        "USER",
                                        "SHELL",
                                        "TMPDIR",
                                        "OPENAI_API_KEY",
                                        "OPENAI_BASE_URL",
                                        "CODEX_HOME",
                                        "ANTHROPIC_API_KEY",
                                        "ANTHROPIC_BASE_URL",
                                        "CLAUDE_CODE_USE_BEDROCK",
                                        "GEMINI_API_KEY",
                                        "GOOGLE_CLOUD_PROJECT"};
    for (const auto& name : kept) {
        BOOST_TEST_CONTEXT(name) {
            BOOST_REQUIRE(env.count(name) == 1u);
            BOOST_TEST(env.at(name) == server_env.at(name));
        }
    }
    BOOST_TEST(env.size() == kept.size()); // nothing else: every secret and look-alike dropped
}

BOOST_AUTO_TEST_CASE(is_agent_variable_takes_exact_names_and_listed_prefixes) {
    BOOST_TEST(is_agent_variable("ANTHROPIC_AUTH_TOKEN"));
    BOOST_TEST(is_agent_variable("CLAUDE_CODE_MAX_OUTPUT_TOKENS"));
    BOOST_TEST(is_agent_variable("GOOGLE_APPLICATION_CREDENTIALS"));
    BOOST_TEST(!is_agent_variable("OMX_API_TOKEN"));
    BOOST_TEST(!is_agent_variable("REDIS_PASSWORD"));
    BOOST_TEST(!is_agent_variable("OPENAI_API_KEY_OMX"));
    BOOST_TEST(!is_agent_variable("CODEX_HOME2"));
    BOOST_TEST(!is_agent_variable("ANTHROPIC_"));
    BOOST_TEST(!is_agent_variable(""));
}

BOOST_AUTO_TEST_CASE(pass_through_names_come_from_the_server_when_set) {
    const auto env =
        as_map(agent_environment(server_env, {"MY_TOOL_TOKEN", "NOT_SET_ANYWHERE"}, {}));
    BOOST_TEST(env.at("MY_TOOL_TOKEN") == "t");
    BOOST_TEST(env.count("NOT_SET_ANYWHERE") == 0u);
    BOOST_TEST(env.count("OMX_API_TOKEN") == 0u);
}

BOOST_AUTO_TEST_CASE(job_variables_win_and_entries_are_sorted_and_verbatim) {
    const Env job{
        {"JOB_TASK", "a=b\nline two"}, {"OMX_CLAIM_TOKEN", "claim-1"}, {"PATH", "/job/bin"}};
    const auto entries = agent_environment(server_env, {"JOB_TASK"}, job);
    std::vector<std::string> names;
    for (const auto& e : entries)
        names.push_back(e.substr(0, e.find('=')));
    BOOST_TEST(std::is_sorted(names.begin(), names.end()));
    const auto env = as_map(entries);
    BOOST_TEST(env.at("JOB_TASK") == "a=b\nline two");
    BOOST_TEST(env.at("OMX_CLAIM_TOKEN") == "claim-1");
    BOOST_TEST(env.at("PATH") == "/job/bin");
    BOOST_TEST(env.count("JOB_CODEX_DEVELOPER_CMD") == 0u);
    BOOST_TEST(std::count(entries.begin(), entries.end(), "JOB_TASK=a=b\nline two") == 1);
}

BOOST_AUTO_TEST_CASE(job_variables_cover_the_whole_table) {
    team::Job job;
    job.id = "job-1";
    job.request.provider = team::Provider::claude;
    job.request.mode = team::Mode::ultrawork;
    job.request.repo = "owner/name";
    job.request.ref = "main";
    job.request.task = "Fix \"it\"; $(rm -rf /)";
    team::Task task;
    task.id = "executor-2";
    task.name = "Carry out part 2 of 3 of the plan";
    task.role = team::Role::executor;
    const std::string prompt = "the prompt";
    const auto vars =
        job_variables({.job = job,
                       .task = task,
                       .attempt = 3,
                       .phase = team::Phase::team_exec,
                       .prompt = prompt,
                       .paths = {.workdir = "/runs/job-1/workspace",
                                 .run_dir = "/runs/job-1",
                                 .prompt_file = "/runs/job-1/tasks/executor-2/3.prompt",
                                 .dependency_outputs = "/runs/job-1/tasks/executor-2/3.deps.json",
                                 .inbox = "/runs/job-1/tasks/executor-2/inbox.jsonl"},
                       .claim_token = "claim-xyz"});
    const Env expected{{"JOB_ID", "job-1"},
                       {"JOB_PROVIDER", "claude"},
                       {"JOB_MODE", "ultrawork"},
                       {"JOB_REPO", "owner/name"},
                       {"JOB_REF", "main"},
                       {"JOB_TASK", "Fix \"it\"; $(rm -rf /)"},
                       {"JOB_TASK_ID", "executor-2"},
                       {"JOB_TASK_NAME", "Carry out part 2 of 3 of the plan"},
                       {"JOB_ROLE", "executor"},
                       {"JOB_ATTEMPT", "3"},
                       {"JOB_PHASE", "team-exec"},
                       {"JOB_PROMPT", "the prompt"},
                       {"JOB_PROMPT_FILE", "/runs/job-1/tasks/executor-2/3.prompt"},
                       {"JOB_DEPENDENCY_OUTPUTS", "/runs/job-1/tasks/executor-2/3.deps.json"},
                       {"JOB_WORKDIR", "/runs/job-1/workspace"},
                       {"JOB_RUN_DIR", "/runs/job-1"},
                       {"JOB_INBOX", "/runs/job-1/tasks/executor-2/inbox.jsonl"},
                       {"OMX_CLAIM_TOKEN", "claim-xyz"}};
    BOOST_TEST(vars.size() == expected.size());
    for (const auto& [name, value] : expected) {
        BOOST_TEST_CONTEXT(name) {
            BOOST_REQUIRE(vars.count(name) == 1u);
            BOOST_TEST(vars.at(name) == value);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
