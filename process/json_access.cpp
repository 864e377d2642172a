// Lenient JSON field readers for parsing agent output that may be malformed or unexpected.
#include "process/json_access.hpp"

#include <boost/json/parse.hpp>

#include <cmath>
#include <limits>

namespace omx::process {

std::optional<json::object> parse_object_line(std::string_view line) {
    json::parse_options opts;
    opts.max_depth = 128; // tool inputs may nest deeper than the default 32
    boost::system::error_code ec;
    json::value v = json::parse(line, ec, {}, opts);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.as_object());
}

const json::object* object_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

const json::array* array_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v ? v->if_array() : nullptr;
}

std::optional<std::string_view> string_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (!v || !v->is_string()) return std::nullopt;
    return std::string_view(v->get_string());
}

std::string_view text_at(const json::object& o, std::string_view key) {
    return string_at(o, key).value_or(std::string_view{});
}

std::optional<std::int64_t> int_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    constexpr auto int_max = std::numeric_limits<std::int64_t>::max();
    if (v->is_uint64())
        return v->get_uint64() > static_cast<std::uint64_t>(int_max)
                   ? int_max
                   : static_cast<std::int64_t>(v->get_uint64());
    if (v->is_double()) {
        const double d = v->get_double();
        if (!std::isfinite(d)) return std::nullopt;
        if (d >= 9.2e18) return int_max;
        if (d <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
        return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
}

std::int64_t count_at(const json::object& o, std::string_view key) {
    const auto n = int_at(o, key);
    return n && *n > 0 ? *n : 0;
}

std::optional<double> number_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (!v || !v->is_number()) return std::nullopt;
    const double d = v->to_number<double>();
    if (!std::isfinite(d)) return std::nullopt;
    return d;
}

bool is_true_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_bool() && v->get_bool();
}

} // namespace omx::process
