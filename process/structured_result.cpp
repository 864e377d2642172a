// Finding the structured result in a result text: fenced ```json blocks first, then bare objects.
#include "process/structured_result.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

namespace omx::process {
namespace {

namespace json = boost::json;

// Bytes handed to the JSON parser over all candidate spans: bounds the work on any text.
constexpr std::size_t parse_budget_bytes = 8 * 1024 * 1024;

struct Span {
    std::size_t begin, end; // [begin, end)
};

std::string_view trim(std::string_view s) {
    const auto* ws = " \t\r\f\v";
    const auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

bool is_json_tag(std::string_view tag) {
    if (tag.size() != 4) return false;
    for (std::size_t i = 0; i < 4; ++i)
        if (std::tolower(static_cast<unsigned char>(tag[i])) != "json"[i]) return false;
    return true;
}

std::optional<json::object> parse_object(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.as_object());
}

// The contents of every closed ```json fence, in order. A fence opens with a line of three or
// more backticks and closes with a line of at least as many backticks and nothing else.
std::vector<std::string_view> fenced_json_blocks(std::string_view text) {
    std::vector<std::string_view> blocks;
    std::size_t open_ticks = 0; // 0: outside a fence
    bool json_fence = false;
    std::size_t content_begin = 0;
    for (std::size_t line_begin = 0; line_begin <= text.size();) {
        auto nl = text.find('\n', line_begin);
        if (nl == std::string_view::npos) nl = text.size();
        const std::string_view line = trim(text.substr(line_begin, nl - line_begin));
        const std::size_t ticks = std::min(line.find_first_not_of('`'), line.size());
        if (ticks >= 3) {
            const std::string_view info = trim(line.substr(ticks));
            if (open_ticks == 0) {
                open_ticks = ticks;
                json_fence = is_json_tag(info);
                content_begin = nl + 1;
            } else if (ticks >= open_ticks && info.empty()) {
                if (json_fence && line_begin >= content_begin)
                    blocks.push_back(text.substr(content_begin, line_begin - content_begin));
                open_ticks = 0;
            }
        }
        line_begin = nl + 1;
    }
    return blocks;
}

// Every balanced {...} span, in the order the spans close (inner before outer). Inside a span,
// quotes delimit JSON strings; a line break ends a string that was never closed (JSON strings
// cannot hold one), so a stray quote in prose spoils at most its own line.
std::vector<Span> balanced_spans(std::string_view text) {
    std::vector<Span> spans;
    std::vector<std::size_t> open;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"' || c == '\n')
                in_string = false;
        } else if (c == '{') {
            open.push_back(i);
        } else if (c == '}') {
            if (open.empty()) continue;
            spans.push_back({open.back(), i + 1});
            open.pop_back();
        } else if (c == '"' && !open.empty()) {
            in_string = true;
        }
    }
    return spans;
}

// Cheap test before parsing: an object starts with '{', whitespace, then '"' or '}'.
bool may_be_object(std::string_view span) {
    const auto next = span.find_first_not_of(" \t\r\n", 1);
    return next != std::string_view::npos && (span[next] == '"' || span[next] == '}');
}

std::optional<json::object> last_balanced_object(std::string_view text) {
    const auto spans = balanced_spans(text);
    std::size_t budget = parse_budget_bytes;
    for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        const auto span = text.substr(it->begin, it->end - it->begin);
        if (!may_be_object(span)) continue;
        if (span.size() > budget) break;
        budget -= span.size();
        if (auto o = parse_object(span)) return o;
    }
    return std::nullopt;
}

} // namespace

json::value extract_structured(std::string_view result_text) {
    const auto blocks = fenced_json_blocks(result_text);
    for (auto it = blocks.rbegin(); it != blocks.rend(); ++it)
        if (auto o = parse_object(*it)) return json::value(std::move(*o));
    if (auto o = last_balanced_object(result_text)) return json::value(std::move(*o));
    return nullptr;
}

} // namespace omx::process
