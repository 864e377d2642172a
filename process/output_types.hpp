// What the agent output parsers produce: the detected format, completed items and the outcome.
#pragma once

#include "team/core/types.hpp"

#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace omx::process {

namespace json = boost::json;

enum class OutputFormat { unknown, codex, claude, gemini, plain };

std::string_view to_string(OutputFormat);

// One completed agent item, the payload of a team.task.output event.
struct OutputItem {
    std::string kind; // message | command | file_change | tool | plan | error
    std::string text; // at most max_item_text_bytes
    std::optional<int> exitCode;
};

// What one attempt's output amounts to once the process has exited.
struct ParseOutcome {
    OutputFormat format = OutputFormat::unknown;
    std::string resultText;                // the agent's final message, at most max_result_bytes
    json::value structured;                // null or object (structured_result.hpp)
    omx::team::Usage usage;                // as mapped in schemas.md
    std::optional<std::string> threadId;   // codex thread_id, claude/gemini session_id
    std::optional<std::string> error;      // the provider's error, at most max_error_bytes
    std::optional<std::string> errorClass; // rate_limit | auth | agent_error
    std::optional<int> retryAfterSeconds;  // only with rate_limit, when the provider says
    std::size_t itemsDropped = 0;          // completed items past max_items
};

// Bounds of one attempt's parse.
inline constexpr std::size_t max_items = 200;
inline constexpr std::size_t max_result_bytes = 64 * 1024;   // the tail is kept
inline constexpr std::size_t max_item_text_bytes = 4 * 1024; // the head is kept
inline constexpr std::size_t max_error_bytes = 4 * 1024;     // the head is kept

} // namespace omx::process
