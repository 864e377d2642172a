// Lenient readers of agent output JSON: a missing field or one of the wrong type reads as absent.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace omx::process {

namespace json = boost::json;

// The line as a JSON object, or nullopt (not JSON, truncated, not an object). Never throws
// on bad input.
std::optional<json::object> parse_object_line(std::string_view line);

const json::object* object_at(const json::object& o, std::string_view key);
const json::array* array_at(const json::object& o, std::string_view key);
std::optional<std::string_view> string_at(const json::object& o, std::string_view key);
// "" when absent or not a string.
std::string_view text_at(const json::object& o, std::string_view key);
// An integer, or a number with an integral part (clamped to the int64 range).
std::optional<std::int64_t> int_at(const json::object& o, std::string_view key);
// A token count: a non-negative integer, 0 when absent or invalid.
std::int64_t count_at(const json::object& o, std::string_view key);
std::optional<double> number_at(const json::object& o, std::string_view key);
// True only for the JSON value true.
bool is_true_at(const json::object& o, std::string_view key);

} // namespace omx::process
