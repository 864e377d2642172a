// Names of the domain enums as they appear in JSON, and their parsers.
#pragma once

#include "team/core/types.hpp"

#include <array>
#include <optional>
#include <string_view>

namespace omx::team {

std::string_view to_string(Provider);
std::string_view to_string(Mode);
std::string_view to_string(Role);
std::string_view to_string(JobStatus);
std::string_view to_string(ApprovalState);
std::string_view to_string(TaskStatus);
std::string_view to_string(Phase);

std::optional<Provider> parse_provider(std::string_view);
std::optional<Mode> parse_mode(std::string_view);
std::optional<Role> parse_role(std::string_view);
std::optional<JobStatus> parse_job_status(std::string_view);
std::optional<ApprovalState> parse_approval_state(std::string_view);
std::optional<TaskStatus> parse_task_status(std::string_view);
std::optional<Phase> parse_phase(std::string_view);

// Every job status, in the order of the enum.
const std::array<JobStatus, 6>& all_job_statuses();

bool is_terminal(JobStatus);
bool is_finished(TaskStatus); // succeeded, failed or canceled

} // namespace omx::team
