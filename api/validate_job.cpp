// POST /v1/jobs: every rule of api.md checked, every problem collected, defaults filled.
#include "api/validate_job.hpp"

#include "api/validate_common.hpp"
#include "api/validate_task_templates.hpp"
#include "team/core/enums.hpp"
#include "team/core/git_ref.hpp"
#include "team/core/templates.hpp"

#include <boost/json/serialize.hpp>
#include <boost/uuid/detail/sha1.hpp>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>

namespace omx::api {
namespace {

using team::Mode;

constexpr team::Provider all_providers[] = {team::Provider::codex, team::Provider::claude,
                                            team::Provider::gemini};
constexpr Mode all_modes[] = {Mode::team, Mode::autopilot, Mode::ralph, Mode::ultrawork,
                              Mode::pipeline};

constexpr std::string_view top_fields[] = {"provider", "mode", "repo", "ref", "task", "options"};
constexpr std::string_view option_fields[] = {
    "workers",   "maxMinutes", "requireApproval", "keepTmuxSession", "agentCommands",
    "maxTokens", "team"};
constexpr std::string_view team_fields[] = {"maxFixAttempts", "parallelTasks", "tmuxVisualization",
                                            "teamTasks", "extras"};

constexpr std::size_t max_command_bytes = 8 * 1024;
constexpr std::size_t max_extras_bytes = 16 * 1024;
constexpr std::size_t max_team_tasks = 64;
constexpr int max_parallel_tasks = 8;

// --- repo and ref -----------------------------------------------------------

bool is_name(std::string_view s) {
    return !s.empty() && s != "." && s != ".." &&
           std::all_of(s.begin(), s.end(), team::is_portable_filename_char);
}

bool has_space_or_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
    });
}

// A host that cannot be mistaken for a command-line option.
bool is_host(std::string_view host) {
    return !host.empty() && !host.starts_with('-');
}

// owner/name, as on GitHub.
bool is_owner_name(std::string_view repo) {
    const auto slash = repo.find('/');
    return slash != std::string_view::npos && is_name(repo.substr(0, slash)) &&
           is_name(repo.substr(slash + 1));
}

// <scheme>://[user@]host/path with a non-empty host and path.
bool is_remote_url(std::string_view repo, std::string_view scheme) {
    if (!repo.starts_with(scheme)) return false;
    repo.remove_prefix(scheme.size());
    const auto slash = repo.find('/');
    if (slash == std::string_view::npos || slash + 1 == repo.size()) return false;
    auto authority = repo.substr(0, slash);
    if (const auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);
    return is_host(authority);
}

// user@host:path (scp-like syntax, e.g. git@github.com:owner/name.git).
bool is_scp_like(std::string_view repo) {
    const auto at = repo.find('@');
    const auto colon = repo.find(':');
    if (at == std::string_view::npos || colon == std::string_view::npos || colon < at) return false;
    const auto user = repo.substr(0, at);
    const auto host = repo.substr(at + 1, colon - at - 1);
    const bool host_ok = is_host(host) && std::all_of(host.begin(), host.end(), [](char c) {
                             return team::is_portable_filename_char(c) && c != '_';
                         });
    return std::all_of(user.begin(), user.end(), team::is_portable_filename_char) &&
           !user.empty() && host_ok && colon + 1 < repo.size();
}

bool is_local_path(std::string_view repo) {
    if (repo.starts_with("file://")) repo.remove_prefix(7);
    return repo.size() > 1 && repo.starts_with('/');
}

bool is_repo_form(std::string_view repo) {
    return is_owner_name(repo) || is_remote_url(repo, "https://") ||
           is_remote_url(repo, "ssh://") || is_scp_like(repo) || is_local_path(repo);
}

std::string read_repo(const json::value& value, Problems& problems) {
    const auto repo = read_string(value, "repo", 3, 512, problems);
    if (!repo) return {};
    if (repo->starts_with('-'))
        problems.push_back("repo must not start with '-'");
    else if (has_space_or_control(*repo))
        problems.push_back("repo must not contain whitespace or control characters");
    else if (!is_repo_form(*repo))
        problems.push_back("repo must be owner/name, an https://, ssh:// or git@host:path URL, "
                           "or a file:// URL or absolute path");
    return *repo;
}

std::string read_ref(const json::value& value, Problems& problems) {
    const auto ref = read_string(value, "ref", 1, 128, problems);
    if (!ref) return {};
    if (ref->starts_with('-'))
        problems.push_back("ref must not start with '-'");
    else if (!team::is_valid_branch_ref(*ref) && !team::is_full_commit_id(*ref))
        problems.push_back("ref must be a valid git branch or tag name or a full 40-hex commit id");
    return *ref;
}

// --- options ----------------------------------------------------------------

const json::object& empty_object() {
    static const json::object empty;
    return empty;
}

// The object at `key` of `parent`, or an empty object (absent, null, or not an object).
const json::object& object_field(const json::object& parent, std::string_view key,
                                 std::string_view parent_path, Problems& problems) {
    const auto* value = optional_field(parent, key);
    const auto* object =
        value ? read_object(*value, field_path(parent_path, key), problems) : nullptr;
    return object ? *object : empty_object();
}

std::map<team::Role, std::string> read_agent_commands(const json::object& commands,
                                                      Problems& problems) {
    const std::string path = "options.agentCommands";
    std::map<team::Role, std::string> result;
    for (const auto& entry : commands) {
        const auto key_path = field_path(path, entry.key());
        const auto role = team::parse_role(entry.key());
        if (!role) {
            problems.push_back("unknown field '" + key_path + "'");
            continue;
        }
        const auto& value = entry.value();
        if (value.is_null()) continue;
        if (!value.is_string()) {
            problems.push_back(key_path + " must be a string");
        } else if (value.get_string().empty()) {
            problems.push_back(key_path + " must not be empty");
        } else if (value.get_string().size() > max_command_bytes) {
            problems.push_back(key_path + " must not be larger than " +
                               std::to_string(max_command_bytes) + " bytes");
        } else {
            result[*role] = std::string(value.get_string());
        }
    }
    return result;
}

bool allows_team_tasks(Mode mode) {
    return mode == Mode::team || mode == Mode::pipeline;
}

std::optional<std::vector<team::TaskTemplate>>
read_team_tasks(const json::value& value, std::optional<Mode> mode, Problems& problems) {
    const std::string path = "options.team.teamTasks";
    const auto* items = read_array(value, path, problems);
    if (!items || items->empty()) return std::nullopt; // empty: the mode's default graph
    if (mode && !allows_team_tasks(*mode))
        problems.push_back(path + " is only allowed in modes team and pipeline");
    if (items->size() > max_team_tasks)
        problems.push_back(path + " must contain no more than " + std::to_string(max_team_tasks) +
                           " elements");
    const bool strict_order = mode == Mode::pipeline;
    return validate_task_templates(*items, path, strict_order, problems);
}

team::TeamOptions read_team_options(const json::object& team, std::optional<Mode> mode, int workers,
                                    const ServerDefaults& defaults, Problems& problems) {
    const std::string path = "options.team";
    const Mode effective_mode = mode.value_or(Mode::team);
    const int default_parallel =
        effective_mode == Mode::ultrawork ? std::min(workers, max_parallel_tasks) : 1;
    reject_unknown_fields(team, team_fields, path, problems);
    team::TeamOptions t;
    t.maxFixAttempts = int_field(team, "maxFixAttempts", path, 0, 10,
                                 team::default_max_fix_attempts(effective_mode), problems);
    t.parallelTasks =
        int_field(team, "parallelTasks", path, 1, max_parallel_tasks, default_parallel, problems);
    t.tmuxVisualization =
        bool_field(team, "tmuxVisualization", path, defaults.tmuxVisualization, problems);
    if (const auto* tasks = optional_field(team, "teamTasks"))
        t.teamTasks = read_team_tasks(*tasks, mode, problems);
    if (const auto* extras = optional_field(team, "extras"))
        t.extras =
            read_bounded_object(*extras, field_path(path, "extras"), max_extras_bytes, problems)
                .value_or(json::object{});
    return t;
}

team::JobOptions read_options(const json::object& options, std::optional<Mode> mode,
                              const ServerDefaults& defaults, Problems& problems) {
    const std::string path = "options";
    reject_unknown_fields(options, option_fields, path, problems);
    team::JobOptions o;
    o.workers = int_field(options, "workers", path, 1, 16, 1, problems);
    o.maxMinutes = int_field(options, "maxMinutes", path, 5, 480, 60, problems);
    o.requireApproval = bool_field(options, "requireApproval", path, false, problems);
    o.keepTmuxSession =
        bool_field(options, "keepTmuxSession", path, defaults.keepTmuxSession, problems);
    o.agentCommands =
        read_agent_commands(object_field(options, "agentCommands", path, problems), problems);
    if (const auto* tokens = optional_field(options, "maxTokens"))
        o.maxTokens = read_int(*tokens, "options.maxTokens", 1,
                               std::numeric_limits<std::int64_t>::max(), problems);
    o.team = read_team_options(object_field(options, "team", path, problems), mode, o.workers,
                               defaults, problems);
    return o;
}

// --- request hash -------------------------------------------------------------

// JSON text with object keys in sorted order, so equal bodies give equal text.
void write_canonical(const json::value& value, std::string& out) {
    if (const auto* object = value.if_object()) {
        std::vector<const json::key_value_pair*> entries;
        for (const auto& entry : *object)
            entries.push_back(&entry);
        std::sort(entries.begin(), entries.end(),
                  [](auto* a, auto* b) { return a->key() < b->key(); });
        out += '{';
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (i > 0) out += ',';
            out += json::serialize(json::string(entries[i]->key()));
            out += ':';
            write_canonical(entries[i]->value(), out);
        }
        out += '}';
    } else if (const auto* array = value.if_array()) {
        out += '[';
        for (std::size_t i = 0; i < array->size(); ++i) {
            if (i > 0) out += ',';
            write_canonical((*array)[i], out);
        }
        out += ']';
    } else {
        out += json::serialize(value);
    }
}

} // namespace

JobValidation validate_job_request(const json::value& body, const ServerDefaults& defaults) {
    JobValidation result;
    auto& problems = result.problems;
    const auto* object = body.if_object();
    if (!object) {
        problems.push_back("body must be a JSON object");
        return result;
    }
    reject_unknown_fields(*object, top_fields, "", problems);
    team::JobRequest request;
    if (const auto* v = required_field(*object, "provider", "", problems))
        request.provider =
            read_enum(*v, "provider", all_providers, problems).value_or(request.provider);
    std::optional<Mode> mode;
    if (const auto* v = required_field(*object, "mode", "", problems))
        mode = read_enum(*v, "mode", all_modes, problems);
    request.mode = mode.value_or(request.mode);
    if (const auto* v = required_field(*object, "repo", "", problems))
        request.repo = read_repo(*v, problems);
    if (const auto* v = required_field(*object, "ref", "", problems))
        request.ref = read_ref(*v, problems);
    if (const auto* v = required_field(*object, "task", "", problems))
        request.task = read_string(*v, "task", 3, 4000, problems).value_or("");
    request.options =
        read_options(object_field(*object, "options", "", problems), mode, defaults, problems);
    if (problems.empty()) result.request = std::move(request);
    return result;
}

bool is_local_repo(std::string_view repo) {
    return repo.starts_with("file://") || repo.starts_with('/');
}

std::string request_hash(const json::value& body) {
    std::string canonical;
    write_canonical(body, canonical);
    boost::uuids::detail::sha1 sha;
    sha.process_bytes(canonical.data(), canonical.size());
    boost::uuids::detail::sha1::digest_type digest;
    sha.get_digest(digest);
    std::string hex;
    char word[9];
    for (unsigned part : digest) {
        std::snprintf(word, sizeof word, "%08x", part);
        hex += word;
    }
    return hex;
}

} // namespace omx::api
