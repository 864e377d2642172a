// Text kept within byte bounds without splitting a UTF-8 character, and made valid UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace omx::process {

// The longest prefix of `text` of at most max_bytes that does not end inside a character.
std::string_view utf8_head(std::string_view text, std::size_t max_bytes);
// The longest suffix of `text` of at most max_bytes that does not start inside a character.
std::string_view utf8_tail(std::string_view text, std::size_t max_bytes);
// `text` with every invalid UTF-8 sequence replaced by U+FFFD (JSON output must be valid).
std::string valid_utf8(std::string_view text);

// The last max_bytes of a text that grows by appends, in bounded memory.
class TextTail {
  public:
    explicit TextTail(std::size_t max_bytes) : max_(max_bytes) {}

    void assign(std::string_view text);
    void append(std::string_view text);
    // Appends `line`, preceded by '\n' unless it is the first line.
    void append_line(std::string_view line);
    void clear();

    // At most max_bytes, starting on a character boundary.
    std::string_view view() const { return utf8_tail(buf_, max_); }
    bool empty() const { return buf_.empty() && !lines_; }

  private:
    void trim();

    std::size_t max_;
    std::string buf_; // at most 2 * max_ (+ one append) between trims
    bool lines_ = false;
};

} // namespace omx::process
