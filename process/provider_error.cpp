// Classifying provider errors by status code and wording; finding the retry delay they ask for.
#include "process/provider_error.hpp"

#include "process/bounded_text.hpp"
#include "process/output_types.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <initializer_list>

namespace omx::process {
namespace {

constexpr std::size_t max_scanned_bytes = 64 * 1024;

std::string lowercase(std::string_view text) {
    text = utf8_head(text, max_scanned_bytes);
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// `number` as a token of its own: not part of a longer number or a decimal fraction.
bool contains_number(std::string_view text, std::string_view number) {
    for (auto pos = text.find(number); pos != std::string_view::npos;
         pos = text.find(number, pos + 1)) {
        const auto end = pos + number.size();
        const bool left_ok = pos == 0 || (!is_digit(text[pos - 1]) && text[pos - 1] != '.');
        const bool right_ok = end == text.size() || !is_digit(text[end]);
        if (left_ok && right_ok) return true;
    }
    return false;
}

template <std::size_t N>
bool contains_any(std::string_view text, const std::array<std::string_view, N>& words) {
    for (auto w : words)
        if (text.find(w) != std::string_view::npos) return true;
    return false;
}

constexpr std::array<std::string_view, 7> rate_limit_words{
    "rate_limit",        "rate limit",         "ratelimit",     "rate-limit",
    "too many requests", "resource_exhausted", "quota exceeded"};
constexpr std::array<std::string_view, 6> auth_words{
    "authentication", "unauthorized", "unauthenticated", "api key", "api_key", "apikey"};

std::optional<std::string> classify_lower(std::string_view lower) {
    if (contains_any(lower, rate_limit_words) || contains_number(lower, "429")) return "rate_limit";
    if (contains_any(lower, auth_words) || contains_number(lower, "401") ||
        contains_number(lower, "403"))
        return "auth";
    return std::nullopt;
}

bool starts_with(std::string_view s, std::size_t i, std::string_view word) {
    return s.substr(i, word.size()) == word;
}

bool is_separator(char c) {
    return c == ' ' || c == '-' || c == '_' || c == ':' || c == '=' || c == '"' || c == '\'' ||
           c == '\\' || c == '\t';
}

// The delay named right after "retry" or "try again" ending at `i`: "-after: 30", " in 2.5s".
std::optional<int> delay_after(std::string_view s, std::size_t i) {
    double unit = 1.0; // seconds per unit of the number
    // Connecting words between "retry" and the number; "ms" in them means milliseconds.
    constexpr std::array<std::string_view, 5> words{"after", "ing", "in", "delay", "ms"};
    for (int n = 0; n <= static_cast<int>(words.size()); ++n) {
        while (i < s.size() && is_separator(s[i]))
            ++i;
        if (i < s.size() && is_digit(s[i])) break;
        std::string_view matched;
        for (auto w : words)
            if (starts_with(s, i, w)) {
                matched = w;
                break;
            }
        if (matched.empty()) return std::nullopt;
        if (matched == "ms") unit = 0.001;
        i += matched.size();
    }
    if (i >= s.size() || !is_digit(s[i])) return std::nullopt;
    double value = 0;
    std::size_t digits = 0;
    for (; i < s.size() && is_digit(s[i]); ++i)
        if (++digits <= 9) value = value * 10 + (s[i] - '0');
    if (i + 1 < s.size() && s[i] == '.' && is_digit(s[i + 1])) {
        double scale = 0.1;
        for (++i; i < s.size() && is_digit(s[i]); ++i, scale /= 10)
            value += scale * (s[i] - '0');
    }
    while (i < s.size() && s[i] == ' ')
        ++i;
    std::size_t unit_end = i;
    while (unit_end < s.size() && std::isalpha(static_cast<unsigned char>(s[unit_end])))
        ++unit_end;
    const std::string_view suffix = s.substr(i, unit_end - i);
    if (suffix == "ms" || suffix.starts_with("milli"))
        unit = 0.001;
    else if (suffix == "m" || suffix.starts_with("min"))
        unit = 60;
    else if (suffix == "h" || suffix.starts_with("hour"))
        unit = 3600;
    const double seconds = std::ceil(value * unit - 1e-9);
    if (seconds >= max_retry_after_seconds) return max_retry_after_seconds;
    return seconds <= 0 ? 0 : static_cast<int>(seconds);
}

} // namespace

std::optional<std::string> classify_text(std::string_view text) {
    return classify_lower(lowercase(text));
}

ProviderError classify_provider_error(std::string_view message,
                                      std::optional<std::int64_t> http_status,
                                      std::string_view hint) {
    ProviderError e;
    e.message = valid_utf8(utf8_head(message, max_error_bytes));
    if (http_status == 429)
        e.errorClass = "rate_limit";
    else if (http_status == 401 || http_status == 403)
        e.errorClass = "auth";
    else if (auto by_hint = classify_text(hint))
        e.errorClass = *by_hint;
    else
        e.errorClass = classify_text(message).value_or("agent_error");
    if (e.errorClass == "rate_limit") e.retryAfterSeconds = retry_after_seconds(message);
    return e;
}

std::optional<int> retry_after_seconds(std::string_view text) {
    const std::string lower = lowercase(text);
    const std::string_view s = lower;
    for (std::string_view anchor : {"retry", "try again"})
        for (auto pos = s.find(anchor); pos != std::string_view::npos;
             pos = s.find(anchor, pos + 1))
            if (auto delay = delay_after(s, pos + anchor.size())) return delay;
    return std::nullopt;
}

} // namespace omx::process
