// decide(state, input) -> events: what an API command means for a job, or why
// it does not apply. Pure; the job actor appends and applies what it returns.
#pragma once

#include "team/core/events.hpp"
#include "team/core/types.hpp"

#include <optional>
#include <string>
#include <vector>

namespace omx::team {

enum class RefusalKind { conflict /* 409 */, not_found /* 404 */ };

struct Refusal {
    RefusalKind kind;
    std::string message;
};

struct Decision {
    std::vector<EventDraft> events;
    std::optional<Refusal> refusal;

    static Decision refuse(RefusalKind kind, std::string message) {
        return Decision{{}, Refusal{kind, std::move(message)}};
    }
};

struct CreateInput {
    std::string jobId;
    std::optional<std::string> idempotencyKey, requestHash;
};

Decision decide_create(const JobRequest&, const CreateInput&);

enum class JobAction { approve, reject, cancel, resume };
std::optional<JobAction> parse_job_action(std::string_view);
std::string_view to_string(JobAction);

Decision decide_job_action(const Job&, JobAction, const std::optional<std::string>& comment);
Decision decide_task_action(const Job&, std::string_view taskId, bool approve,
                            const std::optional<std::string>& comment);

inline constexpr int max_api_messages = 200;
// `message` is complete (id, from, createdAt set by the caller).
Decision decide_mailbox_post(const Job&, const Message& message);

} // namespace omx::team
