// The clean environment of an agent process: a few server variables, provider credentials, JOB_*.
#pragma once

#include "team/core/types.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace omx::process {

// Whether a server variable may reach agents without being named by --agent-env: PATH HOME LANG
// LC_ALL TERM USER SHELL TMPDIR, OPENAI_API_KEY OPENAI_BASE_URL CODEX_HOME GEMINI_API_KEY, and
// names starting with ANTHROPIC_, CLAUDE_CODE_ or GOOGLE_. Nothing else (no server secret).
bool is_agent_variable(std::string_view name);

// "NAME=value" entries, sorted by name: the server variables that pass is_agent_variable, the
// `pass_through` names (--agent-env) that the server has, then `job_vars`, which win.
std::vector<std::string> agent_environment(const std::map<std::string, std::string>& server_env,
                                           const std::vector<std::string>& pass_through,
                                           const std::map<std::string, std::string>& job_vars);

// Where an attempt's files are.
struct AttemptPaths {
    std::filesystem::path workdir;            // JOB_WORKDIR: the workspace
    std::filesystem::path run_dir;            // JOB_RUN_DIR: the job's run directory
    std::filesystem::path prompt_file;        // JOB_PROMPT_FILE
    std::filesystem::path dependency_outputs; // JOB_DEPENDENCY_OUTPUTS: the JSON file
    std::filesystem::path inbox;              // JOB_INBOX: the task's JSON-lines inbox
};

// What the JOB_* variables of one attempt are made of.
struct JobVarsInput {
    const team::Job& job;
    const team::Task& task;
    int attempt;       // JOB_ATTEMPT: this attempt's number
    team::Phase phase; // JOB_PHASE: the run's phase as the attempt starts
    std::string_view prompt;
    AttemptPaths paths;
    std::string_view claim_token; // OMX_CLAIM_TOKEN
};

// JOB_ID JOB_PROVIDER JOB_MODE JOB_REPO JOB_REF JOB_TASK JOB_TASK_ID JOB_TASK_NAME JOB_ROLE
// JOB_ATTEMPT JOB_PHASE JOB_PROMPT JOB_PROMPT_FILE JOB_DEPENDENCY_OUTPUTS JOB_WORKDIR JOB_RUN_DIR
// JOB_INBOX and OMX_CLAIM_TOKEN.
std::map<std::string, std::string> job_variables(const JobVarsInput& input);

} // namespace omx::process
