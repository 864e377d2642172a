// Validation of mailbox posts and of action bodies (api.md "Mailbox", "Actions").
#pragma once

#include "team/core/types.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

namespace omx::api {

// A valid mailbox post; the server adds id, from, createdAt and delivery state.
struct MailboxDraft {
    std::string kind;
    boost::json::value to; // "leader" | role | [roles]
    std::optional<std::string> taskId;
    std::string message;        // trimmed
    boost::json::value payload; // null or object
    boost::json::value meta;    // null or object
};

struct MailboxValidation {
    std::optional<MailboxDraft> draft;
    std::vector<std::string> problems;
};

// Checks a POST /team/mailbox body against the job's current task graph.
// Without `to` the message goes to the task's role (with taskId) or to "leader".
MailboxValidation validate_mailbox_post(const boost::json::value& body, const team::Job& job);

// The optional body of an action: nothing, or {"comment": string <= 4000 chars}.
struct ActionBody {
    std::optional<std::string> comment;
    std::vector<std::string> problems;
};

// `body` is null when the request had no body.
ActionBody validate_action_body(const boost::json::value* body);

} // namespace omx::api
