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

class Sink {
public:
    Sink() : flusher_([this] { run(); }) {}
    ~Sink() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        flusher_.join();
        flush();
    }
    void append(std::string line, bool urgent) {
        std::lock_guard lock(mutex_);
        buffer_ += line;
        if (urgent || buffer_.size() > 64 * 1024) write_out();
    }
    void flush() {
        std::lock_guard lock(mutex_);
        write_out();
    }

private:
    void write_out() {
        std::size_t done = 0;
        while (done < buffer_.size()) {
            ssize_t n = ::write(STDERR_FILENO, buffer_.data() + done, buffer_.size() - done);
            if (n <= 0) break; // stderr gone: drop the logs rather than block the server
            done += static_cast<std::size_t>(n);
        }
        buffer_.clear();
    }
    void run() {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            wake_.wait_for(lock, std::chrono::milliseconds(100));
            write_out();
        }
    }
    std::mutex mutex_;
    std::condition_variable wake_;
    std::string buffer_;
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

void flush() { sink().flush(); }

} // namespace omx::log
