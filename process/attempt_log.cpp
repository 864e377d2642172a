// Attempt log file with a size cap.
#include "process/attempt_log.hpp"

#include "runtime/clock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace omx::process {

AttemptLog::AttemptLog(const std::filesystem::path& path, std::uint64_t cap) : cap_(cap) {
    std::filesystem::create_directories(path.parent_path());
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
}

AttemptLog::~AttemptLog() {
    flush();
    if (fd_ >= 0) ::close(fd_);
}

void AttemptLog::line(Stream stream, std::string_view text) { append(stream == Stream::out ? "out" : "err", text); }

void AttemptLog::note(std::string_view text) { append("omx", text); }

void AttemptLog::append(std::string_view tag, std::string_view text) {
    std::string entry = format_rfc3339(now_ms());
    entry += ' ';
    entry += tag;
    entry += " | ";
    entry += text;
    entry += '\n';
    if (capped_ || stored_ + entry.size() > cap_) {
        if (!capped_) {
            capped_ = true;
            std::string marker = format_rfc3339(now_ms()) + " omx | log capped at " + std::to_string(cap_) +
                                 " bytes: further output is counted, not stored\n";
            buffer_ += marker;
        }
        dropped_ += text.size() + 1;
        return;
    }
    stored_ += entry.size();
    buffer_ += entry;
    flush(); // line by line, so a live view of the log (tmux) never lags
}

void AttemptLog::flush() {
    if (mirror_ && !buffer_.empty()) mirror_(buffer_);
    std::size_t done = 0;
    while (done < buffer_.size()) {
        ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break; // a full disk loses log text, never the attempt
        done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
}

} // namespace omx::process
