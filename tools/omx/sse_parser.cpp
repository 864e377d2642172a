// Incremental text/event-stream parser (no I/O): bytes in, events and comments out.
#include "tools/omx/sse_parser.hpp"

#include <algorithm>
#include <cctype>

namespace omx::client {
namespace {

std::string_view drop_one_space(std::string_view s) {
    return s.starts_with(' ') ? s.substr(1) : s;
}

bool all_digits(std::string_view s) {
    return !s.empty() && s.size() < 10 &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

} // namespace

void SseParser::feed(std::string_view bytes) {
    for (char c : bytes) {
        if (c == '\n' && after_cr_) {
            after_cr_ = false; // second half of a CRLF
            continue;
        }
        after_cr_ = c == '\r';
        if (c == '\r' || c == '\n') {
            on_line(line_);
            line_.clear();
        } else {
            line_.push_back(c);
        }
    }
}

std::optional<SseEvent> SseParser::pop_event() {
    if (events_.empty()) return std::nullopt;
    SseEvent event = std::move(events_.front());
    events_.pop_front();
    return event;
}

void SseParser::on_line(std::string_view line) {
    if (line.empty()) {
        dispatch();
        return;
    }
    if (line.front() == ':') {
        comments_.emplace_back(drop_one_space(line.substr(1)));
        return;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return on_field(line, "");
    on_field(line.substr(0, colon), drop_one_space(line.substr(colon + 1)));
}

void SseParser::on_field(std::string_view name, std::string_view value) {
    if (name == "retry") {
        if (all_digits(value)) retry_ = std::stoi(std::string(value));
        return;
    }
    if (name == "event") {
        frame_.event = value;
    } else if (name == "data") {
        if (frame_has_data_) frame_.data.push_back('\n');
        frame_.data.append(value);
        frame_has_data_ = true;
    } else if (name == "id") {
        if (value.find('\0') != std::string_view::npos) return;
        frame_.id = value;
        last_id_ = frame_.id;
    } else {
        return; // unknown fields are ignored
    }
    frame_has_fields_ = true;
}

void SseParser::dispatch() {
    if (frame_has_fields_) events_.push_back(std::move(frame_));
    frame_ = SseEvent{};
    frame_has_fields_ = false;
    frame_has_data_ = false;
}

} // namespace omx::client
