// Mailbox posts and action comments: field rules plus checks against the job's tasks.
#include "api/validate_mailbox.hpp"

#include "api/validate_common.hpp"
#include "team/core/enums.hpp"

#include <algorithm>
#include <set>

namespace omx::api {
namespace {

constexpr std::string_view mailbox_fields[] = {"kind",   "message", "to",
                                               "taskId", "payload", "meta"};
constexpr std::string_view kinds[] = {"question", "instruction", "notice", "reassign"};
constexpr std::string_view action_fields[] = {"comment"};
constexpr std::size_t max_message_chars = 4000;
constexpr std::size_t max_object_bytes = 16 * 1024;

std::string_view trim(std::string_view s) {
    constexpr std::string_view space = " \t\n\r\f\v";
    const auto first = s.find_first_not_of(space);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(space) - first + 1);
}

std::string read_kind(const json::value& value, Problems& problems) {
    const auto it = value.is_string()
                        ? std::find(std::begin(kinds), std::end(kinds), value.get_string())
                        : std::end(kinds);
    if (it != std::end(kinds)) return std::string(*it);
    problems.push_back(one_of_message("kind", kinds));
    return {};
}

std::string read_message(const json::value& value, Problems& problems) {
    if (!value.is_string()) {
        problems.push_back("message must be a string");
        return {};
    }
    const auto text = trim(value.get_string());
    if (text.empty())
        problems.push_back("message must not be blank");
    else if (char_count(text) > max_message_chars)
        problems.push_back("message must be between 1 and 4000 characters");
    return std::string(text);
}

const team::Task* find_task(const team::Job& job, std::string_view id) {
    const auto& tasks = job.team.tasks;
    const auto it = std::find_if(tasks.begin(), tasks.end(), [&](auto& t) { return t.id == id; });
    return it == tasks.end() ? nullptr : &*it;
}

bool has_role(const team::Job& job, team::Role role) {
    const auto& tasks = job.team.tasks;
    return std::any_of(tasks.begin(), tasks.end(), [&](auto& t) { return t.role == role; });
}

// One addressee role: a role name with at least one task in the job.
bool check_role(const json::value& value, const std::string& path, const team::Job& job,
                Problems& problems) {
    const auto role = read_enum(value, path, team::all_roles, problems);
    if (!role) return false;
    if (has_role(job, *role)) return true;
    problems.push_back(path + ": no task with role '" + std::string(team::to_string(*role)) +
                       "' in this job");
    return false;
}

bool check_role_list(const json::array& roles, const team::Job& job, Problems& problems) {
    if (roles.empty()) {
        problems.push_back("to must contain at least 1 elements");
        return false;
    }
    bool ok = true;
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < roles.size(); ++i) {
        const auto path = index_path("to", i);
        if (!check_role(roles[i], path, job, problems)) {
            ok = false;
        } else if (!seen.insert(roles[i].get_string()).second) {
            problems.push_back(path + ": duplicate role '" + std::string(roles[i].get_string()) +
                               "'");
            ok = false;
        }
    }
    return ok;
}

// `to`: "leader", a role with a task, or a non-empty array of such roles.
bool check_to(const json::value& to, const team::Job& job, Problems& problems) {
    if (to.is_string() && to.get_string() == "leader") return true;
    if (const auto* roles = to.if_array()) return check_role_list(*roles, job, problems);
    if (to.is_string() && team::parse_role(to.get_string()))
        return check_role(to, "to", job, problems);
    problems.push_back("to must be 'leader', a role (planner, researcher, designer, developer, "
                       "executor, verifier) or an array of roles");
    return false;
}

bool names_role(const json::value& to, team::Role role) {
    const auto name = team::to_string(role);
    if (to.is_string()) return to.get_string() == name;
    const auto& roles = to.get_array();
    return std::any_of(roles.begin(), roles.end(),
                       [&](auto& r) { return r.is_string() && r.get_string() == name; });
}

const team::Task* read_task_id(const json::value& value, const team::Job& job, Problems& problems) {
    const auto id = read_string(value, "taskId", 0, SIZE_MAX, problems);
    if (!id) return nullptr;
    if (const auto* task = find_task(job, *id)) return task;
    problems.push_back("taskId: unknown task id '" + *id + "'");
    return nullptr;
}

json::value read_optional_object(const json::object& body, std::string_view key,
                                 Problems& problems) {
    const auto* value = optional_field(body, key);
    if (!value) return nullptr;
    auto object = read_bounded_object(*value, key, max_object_bytes, problems);
    return object ? json::value(std::move(*object)) : json::value(nullptr);
}

} // namespace

MailboxValidation validate_mailbox_post(const json::value& body, const team::Job& job) {
    MailboxValidation result;
    auto& problems = result.problems;
    const auto* object = body.if_object();
    if (!object) {
        problems.push_back("body must be a JSON object");
        return result;
    }
    reject_unknown_fields(*object, mailbox_fields, "", problems);
    MailboxDraft draft;
    if (const auto* v = required_field(*object, "kind", "", problems))
        draft.kind = read_kind(*v, problems);
    if (const auto* v = required_field(*object, "message", "", problems))
        draft.message = read_message(*v, problems);
    const auto* to = optional_field(*object, "to");
    const bool to_ok = to && check_to(*to, job, problems);
    const team::Task* task = nullptr;
    if (const auto* v = optional_field(*object, "taskId")) {
        task = read_task_id(*v, job, problems);
        if (task) draft.taskId = task->id;
    } else if (draft.kind == "reassign") {
        problems.push_back("taskId is required when kind is reassign");
    }
    if (to_ok && task && !names_role(*to, task->role))
        problems.push_back("to does not name the role '" +
                           std::string(team::to_string(task->role)) + "' of task '" + task->id +
                           "'");
    if (to)
        draft.to = *to;
    else if (task)
        draft.to = team::to_string(task->role);
    else
        draft.to = "leader";
    draft.payload = read_optional_object(*object, "payload", problems);
    draft.meta = read_optional_object(*object, "meta", problems);
    if (problems.empty()) result.draft = std::move(draft);
    return result;
}

ActionBody validate_action_body(const json::value* body) {
    ActionBody result;
    if (!body) return result;
    const auto* object = body->if_object();
    if (!object) {
        result.problems.push_back("body must be a JSON object");
        return result;
    }
    reject_unknown_fields(*object, action_fields, "", result.problems);
    if (const auto* comment = optional_field(*object, "comment"))
        result.comment = read_string(*comment, "comment", 0, max_message_chars, result.problems);
    if (!result.problems.empty()) result.comment.reset();
    return result;
}

} // namespace omx::api
