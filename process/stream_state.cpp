// The capped item sink and the usage mapping shared by every format parser.
#include "process/stream_state.hpp"

#include <cmath>
#include <limits>

namespace omx::process {

void ItemSink::emit(std::string_view kind, std::string_view text,
                    std::optional<std::int64_t> exit_code) {
    if (kept_ >= max_items) {
        ++dropped_;
        return;
    }
    ++kept_;
    std::optional<int> code;
    if (exit_code && *exit_code >= std::numeric_limits<int>::min() &&
        *exit_code <= std::numeric_limits<int>::max())
        code = static_cast<int>(*exit_code);
    fresh_.push_back({std::string(kind), valid_utf8(utf8_head(text, max_item_text_bytes)), code});
}

std::vector<OutputItem> ItemSink::take() {
    std::vector<OutputItem> out;
    out.swap(fresh_);
    return out;
}

std::int64_t add_tokens(std::int64_t a, std::int64_t b) {
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    return b > max - a ? max : a + b;
}

omx::team::Usage make_usage(std::int64_t input, std::int64_t cached, std::int64_t output,
                            std::optional<double> cost_usd) {
    omx::team::Usage u;
    u.inputTokens = input;
    u.cachedInputTokens = cached;
    u.outputTokens = output;
    u.totalTokens = add_tokens(input, output);
    if (cost_usd && *cost_usd >= 0 && *cost_usd < 1e9)
        u.costUsd = std::round(*cost_usd * 1e9) / 1e9;
    return u;
}

} // namespace omx::process
