// Line logging (text or JSON) to stderr. Lines are buffered and written by a
// background thread every 100 ms (at once for warnings and errors), so logging
// never waits on the terminal.
#pragma once

#include "runtime/config.hpp"

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace omx::log {

using Field = std::pair<std::string_view, std::string>;

void configure(LogLevel level, bool json);
bool enabled(LogLevel level);
void write(LogLevel level, std::string_view message, std::initializer_list<Field> fields = {});
void flush(); // writes what is buffered now (also at exit and for warnings and errors)
// The access log line of one request (info), formatted without a field list:
// it runs for every request.
void access(std::string_view rid, std::string_view method, std::string_view path, int status, std::size_t bytes,
            long long us);

inline void debug(std::string_view m, std::initializer_list<Field> f = {}) { write(LogLevel::debug, m, f); }
inline void info(std::string_view m, std::initializer_list<Field> f = {}) { write(LogLevel::info, m, f); }
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) { write(LogLevel::warn, m, f); }
inline void error(std::string_view m, std::initializer_list<Field> f = {}) { write(LogLevel::error, m, f); }

} // namespace omx::log
