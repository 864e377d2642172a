// The log file of one attempt: every line of stdout and stderr, prefixed with
// its stream and time, up to a size cap; past it a marker line, and the rest
// is counted but not stored.
#pragma once

#include "process/child_process.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace omx::process {

class AttemptLog {
public:
    // Creates the file (and its directories); throws std::system_error.
    AttemptLog(const std::filesystem::path& path, std::uint64_t cap);
    ~AttemptLog();
    AttemptLog(const AttemptLog&) = delete;
    AttemptLog& operator=(const AttemptLog&) = delete;

    void line(Stream stream, std::string_view text);
    void note(std::string_view text); // a line from omx itself ("omx | …")
    void flush();
    // Also hands every piece of text written to `mirror` (another copy of the
    // log, e.g. in Redis for API nodes on other machines).
    void mirror(std::function<void(std::string_view)> mirror) { mirror_ = std::move(mirror); }

    std::uint64_t stored() const { return stored_; }
    std::uint64_t dropped() const { return dropped_; }

private:
    void append(std::string_view tag, std::string_view text);
    int fd_ = -1;
    std::uint64_t cap_;
    std::uint64_t stored_ = 0, dropped_ = 0;
    bool capped_ = false;
    std::string buffer_;
    std::function<void(std::string_view)> mirror_;
};

} // namespace omx::process
