// What a format parser accumulates while an attempt's stdout streams in, and the interface of
// the per-format parsers that fill it.
#pragma once

#include "process/bounded_text.hpp"
#include "process/output_types.hpp"
#include "process/provider_error.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omx::process {

// Completed items: the first max_items are kept (text cut to max_item_text_bytes), the rest
// only counted.
class ItemSink {
  public:
    void emit(std::string_view kind, std::string_view text,
              std::optional<std::int64_t> exit_code = std::nullopt);
    // The items emitted since the last take().
    std::vector<OutputItem> take();
    std::size_t dropped() const { return dropped_; }

  private:
    std::vector<OutputItem> fresh_;
    std::size_t kept_ = 0;
    std::size_t dropped_ = 0;
};

struct StreamState {
    omx::team::Usage usage; // live: as reported so far
    std::optional<std::string> threadId;
    TextTail result{max_result_bytes};
    std::optional<ProviderError> error;   // the provider's error: fails the attempt
    std::optional<ProviderError> warning; // an error line that fails nothing by itself: reported
                                          // only when the process exits non-zero
    ItemSink items;
};

// Usage as schemas.md maps it: totalTokens = input + output, cost rounded to 1e-9 (the JSON
// parser may be one ULP off).
omx::team::Usage make_usage(std::int64_t input, std::int64_t cached, std::int64_t output,
                            std::optional<double> cost_usd = std::nullopt);
// a + b, saturating at the int64 maximum (token counts are never negative).
std::int64_t add_tokens(std::int64_t a, std::int64_t b);

// One provider's stream-json dialect. Parsers keep only what they need between lines.
class FormatParser {
  public:
    virtual ~FormatParser() = default;
    // One stdout line that parsed as a JSON object.
    virtual void on_line(const json::object& line, StreamState& state) = 0;
    // What the exit code adds to the outcome (gemini: 41 is an auth failure).
    virtual void on_exit(int exit_code, ParseOutcome& outcome) const {}
};

std::unique_ptr<FormatParser> make_codex_parser();
std::unique_ptr<FormatParser> make_claude_parser();
std::unique_ptr<FormatParser> make_gemini_parser();

} // namespace omx::process
