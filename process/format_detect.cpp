// Output format names and detection of the format from the first recognizable JSON line.
#include "process/format_detect.hpp"

#include "process/json_access.hpp"

namespace omx::process {

std::string_view to_string(OutputFormat f) {
    switch (f) {
    case OutputFormat::unknown:
        return "unknown";
    case OutputFormat::codex:
        return "codex";
    case OutputFormat::claude:
        return "claude";
    case OutputFormat::gemini:
        return "gemini";
    case OutputFormat::plain:
        return "plain";
    }
    return "unknown";
}

OutputFormat detect_format(const json::object& line) {
    const std::string_view type = text_at(line, "type");
    if (type == "thread.started" || type.starts_with("turn.") || type.starts_with("item."))
        return OutputFormat::codex;
    const bool has_session = string_at(line, "session_id").has_value();
    if ((type == "system" && text_at(line, "subtype") == "init") ||
        ((type == "assistant" || type == "user" || type == "result") && has_session))
        return OutputFormat::claude;
    if ((type == "init" && has_session && string_at(line, "model")) ||
        (type == "message" && string_at(line, "role")))
        return OutputFormat::gemini;
    return OutputFormat::unknown;
}

} // namespace omx::process
