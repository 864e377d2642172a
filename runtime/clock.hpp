// Wall-clock time in milliseconds and its RFC 3339 form (2026-11-21T13:55:02.123Z).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace omx {

std::int64_t now_ms();
std::string format_rfc3339(std::int64_t ms);
std::optional<std::int64_t> parse_rfc3339(std::string_view);

} // namespace omx
