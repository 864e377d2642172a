// Buffered stderr logger with a flusher thread.
#include "runtime/log.hpp"

#include "runtime/clock.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace omx::log {
namespace {

std::string_view level_name(LogLevel l) {
    switch (l) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
    }
    return "?";
}

// Appenders only take `buffer_mutex_` for a copy into the buffer; the write to
// stderr happens outside it (under `write_mutex_`, which keeps lines in order),
// so a slow or stuck stderr never blocks a thread that logs. Past 8 MiB of
// unwritten lines, lines are dropped and counted.
class Sink {
public:
    Sink() : flusher_([this] { run(); }) {}
    ~Sink() {
        {
            std::lock_guard lock(buffer_mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        flusher_.join();
        flush();
    }
    void append(std::string line, bool urgent) {
        {
            std::lock_guard lock(buffer_mutex_);
            if (buffer_.size() + line.size() > max_buffered) {
                ++dropped_;
                return;
            }
            buffer_ += line;
        }
        if (urgent) wake_.notify_one();
    }
    void flush() {
        std::lock_guard writing(write_mutex_);
        std::string out;
        {
            std::lock_guard lock(buffer_mutex_);
            out.swap(buffer_);
            if (dropped_) {
                out += "log: " + std::to_string(dropped_) + " lines dropped (stderr too slow)\n";
                dropped_ = 0;
            }
        }
        write_out(out);
    }

private:
    static constexpr std::size_t max_buffered = 8 * 1024 * 1024;
    static void write_out(const std::string& text) {
        std::size_t done = 0;
        while (done < text.size()) {
            ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
            if (n <= 0) break; // stderr gone: drop the logs rather than fail the server
            done += static_cast<std::size_t>(n);
        }
    }
    void run() {
        for (;;) {
            {
                std::unique_lock lock(buffer_mutex_);
                wake_.wait_for(lock, std::chrono::milliseconds(100));
                if (stopping_) return;
            }
            flush();
        }
    }
    std::mutex buffer_mutex_, write_mutex_;
    std::condition_variable wake_;
    std::string buffer_;
    std::size_t dropped_ = 0;
    bool stopping_ = false;
    std::thread flusher_;
};

Sink& sink() {
    static Sink s;
    return s;
}

std::atomic<LogLevel> min_level{LogLevel::info};
std::atomic<bool> as_json{false};

} // namespace

void configure(LogLevel level, bool json) {
    min_level = level;
    as_json = json;
}

bool enabled(LogLevel level) { return level >= min_level.load(); }

void write(LogLevel level, std::string_view message, std::initializer_list<Field> fields) {
    if (!enabled(level)) return;
    std::string line;
    std::string time = format_rfc3339(now_ms());
    if (as_json) {
        boost::json::object o{{"time", time}, {"level", level_name(level)}, {"msg", message}};
        for (auto& [k, v] : fields) o[k] = v;
        line = boost::json::serialize(o);
    } else {
        line = time + " " + std::string(level_name(level)) + " " + std::string(message);
        for (auto& [k, v] : fields) {
            line += ' ';
            line += k;
            line += '=';
            bool quote = v.empty() || v.find(' ') != std::string::npos;
            line += quote ? "\"" + v + "\"" : v;
        }
    }
    line.push_back('\n');
    sink().append(std::move(line), level >= LogLevel::warn);
}

void access(std::string_view rid, std::string_view method, std::string_view path, int status, std::size_t bytes,
            long long us) {
    if (!enabled(LogLevel::info)) return;
    if (as_json) {
        write(LogLevel::info, "request",
              {{"rid", std::string(rid)},
               {"method", std::string(method)},
               {"path", std::string(path)},
               {"status", std::to_string(status)},
               {"bytes", std::to_string(bytes)},
               {"us", std::to_string(us)}});
        return;
    }
    bool quote = path.empty() || path.find(' ') != std::string_view::npos;
    std::string line = format_rfc3339(now_ms());
    line.reserve(96 + path.size());
    line += " info request rid=";
    line += rid;
    line += " method=";
    line += method;
    line += quote ? " path=\"" : " path=";
    line += path;
    if (quote) line += '"';
    line += " status=";
    line += std::to_string(status);
    line += " bytes=";
    line += std::to_string(bytes);
    line += " us=";
    line += std::to_string(us);
    line += '\n';
    sink().append(std::move(line), false);
}

void flush() { sink().flush(); }

} // namespace omx::log
