// Byte-bounded UTF-8 text: head and tail cuts on character boundaries, repair, a growing tail.
#include "process/bounded_text.hpp"

namespace omx::process {
namespace {

bool is_continuation(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

// Length of the valid UTF-8 sequence at text[i], or 0 when it is invalid or truncated.
std::size_t valid_sequence_length(std::string_view text, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
    const unsigned char c = b(0);
    if (c < 0x80) return 1;
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + len > text.size()) return 0;
    if (b(1) < lo || b(1) > hi) return 0;
    for (std::size_t k = 2; k < len; ++k)
        if (!is_continuation(b(k))) return 0;
    return len;
}

} // namespace

std::string_view utf8_head(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return text;
    std::size_t end = max_bytes;
    // Step back over the continuation bytes of a character cut at `end`.
    while (end > 0 && is_continuation(static_cast<unsigned char>(text[end])))
        --end;
    return text.substr(0, end);
}

std::string_view utf8_tail(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return text;
    std::size_t begin = text.size() - max_bytes;
    while (begin < text.size() && is_continuation(static_cast<unsigned char>(text[begin])))
        ++begin;
    return text.substr(begin);
}

std::string valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t len = valid_sequence_length(text, i);
        if (len == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(text.substr(i, len));
            i += len;
        }
    }
    return out;
}

void TextTail::assign(std::string_view text) {
    buf_.assign(utf8_tail(text, max_));
    lines_ = false;
}

void TextTail::append(std::string_view text) {
    buf_.append(utf8_tail(text, max_));
    trim();
}

void TextTail::append_line(std::string_view line) {
    if (lines_) buf_ += '\n';
    lines_ = true;
    append(line);
}

void TextTail::clear() {
    buf_.clear();
    lines_ = false;
}

// Amortized: drop the front only once the buffer holds twice the bound.
void TextTail::trim() {
    if (buf_.size() <= 2 * max_) return;
    const std::size_t keep = utf8_tail(buf_, max_).size();
    buf_.erase(0, buf_.size() - keep);
}

} // namespace omx::process
