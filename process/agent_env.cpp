// Agent environment: an allow-list of server variables, --agent-env names, and the JOB_* table.
#include "process/agent_env.hpp"

#include "team/core/enums.hpp"

#include <algorithm>
#include <array>

namespace omx::process {
namespace {

constexpr std::array<std::string_view, 12> agent_names = {
    "PATH",  "HOME",   "LANG",           "LC_ALL",          "TERM",       "USER",
    "SHELL", "TMPDIR", "OPENAI_API_KEY", "OPENAI_BASE_URL", "CODEX_HOME", "GEMINI_API_KEY"};

constexpr std::array<std::string_view, 3> agent_prefixes = {"ANTHROPIC_", "CLAUDE_CODE_",
                                                            "GOOGLE_"};

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

} // namespace

bool is_agent_variable(std::string_view name) {
    if (std::find(agent_names.begin(), agent_names.end(), name) != agent_names.end()) return true;
    return std::any_of(agent_prefixes.begin(), agent_prefixes.end(), [&](std::string_view prefix) {
        return name.size() > prefix.size() && name.starts_with(prefix);
    });
}

std::vector<std::string> agent_environment(const std::map<std::string, std::string>& server_env,
                                           const std::vector<std::string>& pass_through,
                                           const std::map<std::string, std::string>& job_vars) {
    std::map<std::string, std::string> chosen;
    for (const auto& [name, value] : server_env)
        if (is_agent_variable(name) || contains(pass_through, name)) chosen[name] = value;
    for (const auto& [name, value] : job_vars)
        chosen[name] = value;

    std::vector<std::string> entries;
    entries.reserve(chosen.size());
    for (const auto& [name, value] : chosen)
        if (!name.empty() && name.find('=') == std::string::npos)
            entries.push_back(name + '=' + value);
    return entries;
}

std::map<std::string, std::string> job_variables(const JobVarsInput& in) {
    const team::JobRequest& request = in.job.request;
    return {
        {"JOB_ID", in.job.id},
        {"JOB_PROVIDER", std::string(team::to_string(request.provider))},
        {"JOB_MODE", std::string(team::to_string(request.mode))},
        {"JOB_REPO", request.repo},
        {"JOB_REF", request.ref},
        {"JOB_TASK", request.task},
        {"JOB_TASK_ID", in.task.id},
        {"JOB_TASK_NAME", in.task.name},
        {"JOB_ROLE", std::string(team::to_string(in.task.role))},
        {"JOB_ATTEMPT", std::to_string(in.attempt)},
        {"JOB_PHASE", std::string(team::to_string(in.phase))},
        {"JOB_PROMPT", std::string(in.prompt)},
        {"JOB_PROMPT_FILE", in.paths.prompt_file.string()},
        {"JOB_DEPENDENCY_OUTPUTS", in.paths.dependency_outputs.string()},
        {"JOB_WORKDIR", in.paths.workdir.string()},
        {"JOB_RUN_DIR", in.paths.run_dir.string()},
        {"JOB_INBOX", in.paths.inbox.string()},
        {"OMX_CLAIM_TOKEN", std::string(in.claim_token)},
    };
}

} // namespace omx::process
