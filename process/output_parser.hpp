// The agent runner's output parser: fed stdout and stderr line by line while the agent runs,
// it detects the format, reports completed items and live usage, and sums up the attempt.
// Pure: no I/O.
#pragma once

#include "process/bounded_text.hpp"
#include "process/output_types.hpp"
#include "process/provider_error.hpp"
#include "process/stream_state.hpp"

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace omx::process {

class AgentOutputParser {
  public:
    // `forced`: parse as this format; unknown detects it from the first lines (see feed).
    explicit AgentOutputParser(OutputFormat forced = OutputFormat::unknown);

    // One line of stdout, without its newline (the caller cuts lines over 1 MiB). Returns the
    // items this line completed (none past the first max_items). Until the format is known: a
    // JSON line of a known format decides it, a blank line or a JSON object of no known format
    // decides nothing, anything else means plain.
    std::vector<OutputItem> feed_stdout_line(std::string_view line);
    // One line of stderr: rate-limit and auth failures said there are kept in case the process
    // exits non-zero with no error in its stdout.
    void feed_stderr_line(std::string_view line);

    // Live: as reported so far.
    const omx::team::Usage& usage() const { return state_.usage; }
    // unknown until detected.
    OutputFormat format() const { return format_; }

    // The attempt's outcome once the process exited with `exit_code`. An error the provider
    // reported (codex turn.failed, claude is_error, gemini status error) is always an error;
    // a non-fatal error line, or a rate limit / auth failure on stderr, only with a non-zero
    // exit code. Undetected output counts as plain.
    ParseOutcome finish(int exit_code) const;

  private:
    void start(OutputFormat format);

    OutputFormat format_ = OutputFormat::unknown;
    bool saw_stdout_ = false;
    std::unique_ptr<FormatParser> parser_; // null while unknown and for plain
    StreamState state_;
    TextTail plain_{max_result_bytes}; // stdout while unknown or plain
    std::optional<ProviderError> stderr_error_;
};

} // namespace omx::process
