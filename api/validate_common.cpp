// Field readers shared by the request validators.
#include "api/validate_common.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <limits>

namespace omx::api {
namespace {

void add(Problems& problems, std::string_view path, std::string_view rule) {
    problems.push_back(std::string(path) + " " + std::string(rule));
}

// An integer JSON number as int64; uint64 values past int64 report `too_big`.
std::optional<std::int64_t> integer_value(const json::value& value, bool& too_big) {
    if (value.is_int64()) return value.get_int64();
    if (!value.is_uint64()) return std::nullopt;
    const auto u = value.get_uint64();
    too_big = u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (too_big) return std::nullopt;
    return static_cast<std::int64_t>(u);
}

} // namespace

std::string field_path(std::string_view parent, std::string_view key) {
    if (parent.empty()) return std::string(key);
    return std::string(parent) + "." + std::string(key);
}

std::string index_path(std::string_view parent, std::size_t index) {
    return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::size_t char_count(std::string_view utf8) {
    // Every code point has exactly one byte that is not a continuation byte.
    return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

void reject_unknown_fields(const json::object& object, std::span<const std::string_view> known,
                           std::string_view path, Problems& problems) {
    for (const auto& entry : object) {
        const std::string_view key = entry.key();
        if (std::find(known.begin(), known.end(), key) == known.end())
            problems.push_back("unknown field '" + field_path(path, key) + "'");
    }
}

const json::value* optional_field(const json::object& object, std::string_view key) {
    const json::value* value = object.if_contains(key);
    return value && !value->is_null() ? value : nullptr;
}

const json::value* required_field(const json::object& object, std::string_view key,
                                  std::string_view parent, Problems& problems) {
    const json::value* value = optional_field(object, key);
    if (!value) add(problems, field_path(parent, key), "is required");
    return value;
}

std::optional<std::int64_t> read_int(const json::value& value, std::string_view path,
                                     std::int64_t min, std::int64_t max, Problems& problems) {
    bool too_big = false;
    const auto n = integer_value(value, too_big);
    if (too_big || (n && *n > max)) {
        add(problems, path, "must not be greater than " + std::to_string(max));
        return std::nullopt;
    }
    if (!n) {
        add(problems, path, "must be an integer number");
        return std::nullopt;
    }
    if (*n < min) {
        add(problems, path, "must not be less than " + std::to_string(min));
        return std::nullopt;
    }
    return n;
}

std::optional<bool> read_bool(const json::value& value, std::string_view path, Problems& problems) {
    if (value.is_bool()) return value.get_bool();
    add(problems, path, "must be a boolean");
    return std::nullopt;
}

std::optional<std::string> read_string(const json::value& value, std::string_view path,
                                       std::size_t min_chars, std::size_t max_chars,
                                       Problems& problems) {
    if (!value.is_string()) {
        add(problems, path, "must be a string");
        return std::nullopt;
    }
    const std::string_view text = value.get_string();
    const auto length = char_count(text);
    if (length >= min_chars && length <= max_chars) return std::string(text);
    if (min_chars == 0)
        add(problems, path,
            "must be shorter than or equal to " + std::to_string(max_chars) + " characters");
    else
        add(problems, path,
            "must be between " + std::to_string(min_chars) + " and " + std::to_string(max_chars) +
                " characters");
    return std::nullopt;
}

const json::object* read_object(const json::value& value, std::string_view path,
                                Problems& problems) {
    if (const auto* object = value.if_object()) return object;
    add(problems, path, "must be an object");
    return nullptr;
}

const json::array* read_array(const json::value& value, std::string_view path, Problems& problems) {
    if (const auto* array = value.if_array()) return array;
    add(problems, path, "must be an array");
    return nullptr;
}

std::optional<json::object> read_bounded_object(const json::value& value, std::string_view path,
                                                std::size_t max_bytes, Problems& problems) {
    const auto* object = read_object(value, path, problems);
    if (!object) return std::nullopt;
    if (json::serialize(*object).size() <= max_bytes) return *object;
    add(problems, path,
        "must not be larger than " + std::to_string(max_bytes) + " bytes when serialized");
    return std::nullopt;
}

int int_field(const json::object& object, std::string_view key, std::string_view parent, int min,
              int max, int fallback, Problems& problems) {
    const auto* value = optional_field(object, key);
    if (!value) return fallback;
    const auto n = read_int(*value, field_path(parent, key), min, max, problems);
    return n ? static_cast<int>(*n) : fallback;
}

bool bool_field(const json::object& object, std::string_view key, std::string_view parent,
                bool fallback, Problems& problems) {
    const auto* value = optional_field(object, key);
    if (!value) return fallback;
    return read_bool(*value, field_path(parent, key), problems).value_or(fallback);
}

std::string one_of_message(std::string_view path, std::span<const std::string_view> names) {
    std::string message = std::string(path) + " must be one of the following values: ";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) message += ", ";
        message += names[i];
    }
    return message;
}

} // namespace omx::api
