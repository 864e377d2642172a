// The prompt of an attempt: role instructions, the job's task, the task, its context, all bounded.
#pragma once

#include "team/core/types.hpp"

#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace omx::process {

// What a finished dependency hands on to the tasks after it.
struct DependencyContext {
    std::string task_id;
    team::Role role = team::Role::executor;
    team::TaskStatus status = team::TaskStatus::succeeded;
    std::string summary;
    boost::json::value structured; // null or object
    team::TimeMs finished_at = 0;  // the age of this context, for trimming (0: oldest)
};

// The context of a dependency from its task (summary and structured from its output).
DependencyContext dependency_context(const team::Task& dependency);

// What went wrong or was decided before this attempt.
struct Feedback {
    std::string error;           // the previous failure, or the one a fix round hands over; "" none
    boost::json::value findings; // a failing verifier's findings; null when none
    bool approved = false;       // a person approved the task (its request, or its `before` gate)
    std::string approver_comment; // the approver's comment (approval or rejection); "" when none
};

struct PromptInput {
    team::Role role = team::Role::executor;
    std::string_view job_task;
    std::string_view task_name;
    std::vector<DependencyContext> dependencies; // in graph order
    Feedback feedback;
    std::vector<team::Message> messages; // the mailbox messages delivered with this attempt
};

inline constexpr std::size_t max_prompt_bytes = 64 * 1024;
inline constexpr std::size_t max_dependency_bytes =
    8 * 1024;                                               // summary + structured, each dependency
inline constexpr std::size_t max_message_bytes = 8 * 1024;  // text + payload, each message
inline constexpr std::size_t max_feedback_bytes = 8 * 1024; // each of error, findings, comment
inline constexpr std::size_t max_task_name_bytes = 4 * 1024;

// The role's paragraph followed by the structured-output contract (agents.md).
std::string role_instructions(team::Role role);

// In order: role instructions, the job's task, the task's name, the dependencies' results,
// feedback, mailbox messages; each part bounded, at most max_prompt_bytes in all. When over,
// dependency and message context goes first, oldest first (by finished_at / createdAt), then
// feedback; the instructions, task and name are cut only if they alone exceed the limit. Every
// cut falls on a UTF-8 character boundary.
std::string build_prompt(const PromptInput& input);

// The JOB_DEPENDENCY_OUTPUTS file: {taskId: {role, status, summary, structured}}, unabridged.
std::string dependency_outputs_json(const std::vector<DependencyContext>& dependencies);

} // namespace omx::process
