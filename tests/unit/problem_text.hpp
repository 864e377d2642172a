// Helpers for validation tests: problems as one comparable line, strings as JSON text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace omx::test {

// "a | b | c": a failing comparison shows every problem at once.
inline std::string joined(const std::vector<std::string>& problems) {
    std::string out;
    for (const auto& p : problems)
        out += (out.empty() ? "" : " | ") + p;
    return out;
}

// A JSON string literal of plain text (no characters that need escaping).
inline std::string json_quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

} // namespace omx::test
