// Incremental text/event-stream parser (no I/O): bytes in, events and comments out.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omx::client {

struct SseEvent {
    std::optional<std::string> id; // only if this frame had an "id:" line
    std::string event = "message"; // "event:" value, "message" if absent
    std::string data;              // "data:" lines joined with "\n"
};

// Follows the WHATWG event-stream rules (CRLF, LF or CR line ends; one space
// after the colon dropped; data lines joined with "\n"), with one difference
// (useful to tests and harmless to clients): a frame is dispatched if it had any
// id, event or data line, so a frame with an "id:" but no "data:" is still visible.
class SseParser {
  public:
    void feed(std::string_view bytes);
    std::optional<SseEvent> pop_event();
    bool has_event() const { return !events_.empty(); }

    const std::vector<std::string>& comments() const {
        return comments_;
    }                                                   // text after ':', one space dropped
    void clear_comments() { comments_.clear(); }        // a long-lived reader keeps memory bounded
    std::optional<int> retry() const { return retry_; } // last valid "retry:" value
    const std::optional<std::string>& last_event_id() const { return last_id_; }

  private:
    void on_line(std::string_view line);
    void on_field(std::string_view name, std::string_view value);
    void dispatch();

    std::string line_;
    bool after_cr_ = false;
    SseEvent frame_;
    bool frame_has_fields_ = false;
    bool frame_has_data_ = false;
    std::deque<SseEvent> events_;
    std::vector<std::string> comments_;
    std::optional<int> retry_;
    std::optional<std::string> last_id_;
};

} // namespace omx::client
