// The output parser facade: format detection, plain-text tail, dispatch to the format parsers.
#include "process/output_parser.hpp"

#include "process/format_detect.hpp"
#include "process/json_access.hpp"
#include "process/structured_result.hpp"

#include <exception>

namespace omx::process {
namespace {

bool is_blank(std::string_view line) {
    return line.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

std::unique_ptr<FormatParser> make_parser(OutputFormat format) {
    switch (format) {
    case OutputFormat::codex:
        return make_codex_parser();
    case OutputFormat::claude:
        return make_claude_parser();
    case OutputFormat::gemini:
        return make_gemini_parser();
    case OutputFormat::unknown:
    case OutputFormat::plain:
        break;
    }
    return nullptr;
}

} // namespace

AgentOutputParser::AgentOutputParser(OutputFormat forced) {
    start(forced);
}

void AgentOutputParser::start(OutputFormat format) {
    format_ = format;
    parser_ = make_parser(format);
    if (parser_) plain_.clear();
}

std::vector<OutputItem> AgentOutputParser::feed_stdout_line(std::string_view line) {
    saw_stdout_ = true;
    if (format_ == OutputFormat::plain) {
        plain_.append_line(line);
        return {};
    }
    std::optional<json::object> event = parse_object_line(line);
    if (format_ == OutputFormat::unknown) {
        if (event) {
            if (const auto detected = detect_format(*event); detected != OutputFormat::unknown)
                start(detected);
        } else if (!is_blank(line)) {
            format_ = OutputFormat::plain;
        }
        if (!parser_) {
            plain_.append_line(line);
            return {};
        }
    }
    if (!event) return {}; // malformed or truncated: skipped
    try {
        parser_->on_line(*event, state_);
    } catch (const std::exception&) {
        // A line the parser cannot handle is skipped; what it reported before stays.
    }
    return state_.items.take();
}

void AgentOutputParser::feed_stderr_line(std::string_view line) {
    if (classify_text(line)) stderr_error_ = classify_provider_error(line);
}

ParseOutcome AgentOutputParser::finish(int exit_code) const {
    ParseOutcome out;
    out.format = format_ == OutputFormat::unknown && saw_stdout_ ? OutputFormat::plain : format_;
    out.resultText = valid_utf8(parser_ ? state_.result.view() : plain_.view());
    out.structured = extract_structured(out.resultText);
    out.usage = state_.usage;
    out.threadId = state_.threadId;
    const ProviderError* error = state_.error ? &*state_.error : nullptr;
    if (!error && exit_code != 0)
        error = state_.warning ? &*state_.warning : stderr_error_ ? &*stderr_error_ : nullptr;
    if (error) {
        out.error = error->message;
        out.errorClass = error->errorClass;
        out.retryAfterSeconds = error->retryAfterSeconds;
    }
    if (parser_) parser_->on_exit(exit_code, out);
    out.itemsDropped = state_.items.dropped();
    return out;
}

} // namespace omx::process
