// Building blocks of request validation: typed field readers that collect
// class-validator style problems ("<path> must be ...") instead of throwing.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace omx::api {

namespace json = boost::json;
using Problems = std::vector<std::string>;

// "options" + "team" -> "options.team"; "" + "task" -> "task".
std::string field_path(std::string_view parent, std::string_view key);
// "to" + 2 -> "to[2]".
std::string index_path(std::string_view parent, std::size_t index);

// Characters as people count them: Unicode code points of UTF-8 text.
std::size_t char_count(std::string_view utf8);

// "unknown field '<path>'" for every key of `object` not in `known`.
void reject_unknown_fields(const json::object& object, std::span<const std::string_view> known,
                           std::string_view path, Problems& problems);

// The field's value, or nullptr when it is absent or null (null means "not set").
const json::value* optional_field(const json::object& object, std::string_view key);
// Like optional_field, but an absent field is the problem "<path> is required".
const json::value* required_field(const json::object& object, std::string_view key,
                                  std::string_view parent, Problems& problems);

// Each reader returns the value if it obeys the rule, else records one problem.
// Integers are JSON integers only: 1.5, 2.0 and "2" are not integer numbers.
std::optional<std::int64_t> read_int(const json::value& value, std::string_view path,
                                     std::int64_t min, std::int64_t max, Problems& problems);
std::optional<bool> read_bool(const json::value& value, std::string_view path, Problems& problems);
// Length in characters; min_chars 0 means "only an upper bound".
std::optional<std::string> read_string(const json::value& value, std::string_view path,
                                       std::size_t min_chars, std::size_t max_chars,
                                       Problems& problems);
const json::object* read_object(const json::value& value, std::string_view path,
                                Problems& problems);
const json::array* read_array(const json::value& value, std::string_view path, Problems& problems);
// An object whose serialized JSON is at most max_bytes long.
std::optional<json::object> read_bounded_object(const json::value& value, std::string_view path,
                                                std::size_t max_bytes, Problems& problems);

// Optional fields with a default: the value when present and valid, else `fallback`.
int int_field(const json::object& object, std::string_view key, std::string_view parent, int min,
              int max, int fallback, Problems& problems);
bool bool_field(const json::object& object, std::string_view key, std::string_view parent,
                bool fallback, Problems& problems);

// "<path> must be one of the following values: a, b, c".
std::string one_of_message(std::string_view path, std::span<const std::string_view> names);

// A string naming one of `all` (by its to_string name), else the one_of problem.
template <class Enum, std::size_t N>
std::optional<Enum> read_enum(const json::value& value, std::string_view path, const Enum (&all)[N],
                              Problems& problems) {
    std::vector<std::string_view> names;
    for (Enum e : all) {
        names.push_back(to_string(e));
        if (value.is_string() && value.get_string() == names.back()) return e;
    }
    problems.push_back(one_of_message(path, names));
    return std::nullopt;
}

} // namespace omx::api
