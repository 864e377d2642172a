// Strict readers and small writers of JSON fields; read errors name the bad field's path.
#pragma once

#include "runtime/clock.hpp"
#include "team/core/types.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace omx::team::json_fields {

// ---- errors ---------------------------------------------------------------

// A field that is missing or has the wrong type or value. path() is relative
// to the object being read ("tasks[1].status"); within() prefixes it.
class FieldError : public std::runtime_error {
  public:
    FieldError(std::string path, std::string problem)
        : std::runtime_error(path.empty() ? problem : "field '" + path + "': " + problem),
          path_(std::move(path)), problem_(std::move(problem)) {}
    const std::string& path() const { return path_; }
    const std::string& problem() const { return problem_; }

  private:
    std::string path_, problem_;
};

[[noreturn]] inline void fail(std::string_view path, std::string problem) {
    throw FieldError(std::string(path), std::move(problem));
}

inline std::string_view kind_name(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null:
        return "null";
    case json::kind::bool_:
        return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
        return "an integer";
    case json::kind::double_:
        return "a number";
    case json::kind::string:
        return "a string";
    case json::kind::array:
        return "an array";
    case json::kind::object:
        return "an object";
    }
    return "?";
}

[[noreturn]] inline void wrong_type(std::string_view path, std::string_view expected,
                                    const json::value& got) {
    fail(path, "expected " + std::string(expected) + ", got " + std::string(kind_name(got)));
}

// "team" + "tasks[1].status" -> "team.tasks[1].status"; "tasks" + "[1]" -> "tasks[1]".
inline std::string join_path(std::string_view outer, std::string_view inner) {
    if (inner.empty()) return std::string(outer);
    if (outer.empty()) return std::string(inner);
    return std::string(outer) + (inner.front() == '[' ? "" : ".") + std::string(inner);
}

// Runs read(), prefixing the path of any FieldError it throws with `path`.
template <class F> auto within(std::string_view path, F&& read) {
    try {
        return read();
    } catch (const FieldError& e) {
        fail(join_path(path, e.path()), e.problem());
    }
}

// ---- converters: (const json::value&, path) -> T ---------------------------

inline const json::object& as_object(const json::value& v, std::string_view path) {
    if (auto p = v.if_object()) return *p;
    wrong_type(path, "an object", v);
}

inline const json::array& as_array(const json::value& v, std::string_view path) {
    if (auto p = v.if_array()) return *p;
    wrong_type(path, "an array", v);
}

template <class T> T as_integer(const json::value& v, std::string_view path) {
    if (auto p = v.if_int64(); p && std::in_range<T>(*p)) return static_cast<T>(*p);
    if (auto p = v.if_uint64(); p && std::in_range<T>(*p)) return static_cast<T>(*p);
    if (v.is_int64() || v.is_uint64()) fail(path, "integer out of range");
    wrong_type(path, "an integer", v);
}

inline double as_double(const json::value& v, std::string_view path) {
    if (auto p = v.if_double()) return *p;
    if (auto p = v.if_int64()) return static_cast<double>(*p);
    if (auto p = v.if_uint64()) return static_cast<double>(*p);
    wrong_type(path, "a number", v);
}

// bool, integers, double, std::string and json::object.
template <class T> T as(const json::value& v, std::string_view path) {
    if constexpr (std::is_same_v<T, bool>) {
        if (auto p = v.if_bool()) return *p;
        wrong_type(path, "a boolean", v);
    } else if constexpr (std::is_integral_v<T>) {
        return as_integer<T>(v, path);
    } else if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(as_double(v, path));
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (auto p = v.if_string()) return std::string(*p);
        wrong_type(path, "a string", v);
    } else {
        static_assert(std::is_same_v<T, json::object>, "unsupported field type");
        return as_object(v, path);
    }
}

// An RFC 3339 UTC timestamp string, as milliseconds.
inline TimeMs as_time(const json::value& v, std::string_view path) {
    auto s = as<std::string>(v, path);
    if (auto ms = parse_rfc3339(s)) return *ms;
    fail(path, "expected an RFC 3339 UTC timestamp, got '" + s + "'");
}

// An enum by its JSON name, e.g. as_enum(parse_role).
template <class E> auto as_enum(std::optional<E> (*parse)(std::string_view)) {
    return [parse](const json::value& v, std::string_view path) -> E {
        auto s = as<std::string>(v, path);
        if (auto e = parse(s)) return *e;
        fail(path, "unknown value '" + s + "'");
    };
}

// A null or object, kept verbatim.
inline json::value as_object_or_null(const json::value& v, std::string_view path) {
    if (v.is_null() || v.is_object()) return v;
    wrong_type(path, "an object or null", v);
}

// An object decoded by read(const json::object&), errors prefixed with its path.
template <class F> auto as_decoded(F read) {
    return [read](const json::value& v, std::string_view path) {
        const auto& o = as_object(v, path);
        return within(path, [&] { return read(o); });
    };
}

// An array whose elements each go through convert.
template <class F> auto as_vector_of(F convert) {
    return [convert](const json::value& v, std::string_view path) {
        const auto& arr = as_array(v, path);
        std::vector<std::decay_t<decltype(convert(v, path))>> out;
        out.reserve(arr.size());
        for (std::size_t i = 0; i < arr.size(); ++i)
            out.push_back(convert(arr[i], std::string(path) + "[" + std::to_string(i) + "]"));
        return out;
    };
}

// ---- fields of an object ----------------------------------------------------

inline const json::value& member(const json::object& o, std::string_view key) {
    if (auto p = o.if_contains(key)) return *p;
    fail(key, "missing");
}

template <class F> auto field(const json::object& o, std::string_view key, F convert) {
    return convert(member(o, key), key);
}

// Missing or null -> nullopt.
template <class F>
auto optional_field(const json::object& o, std::string_view key, F convert)
    -> std::optional<std::decay_t<decltype(convert(std::declval<const json::value&>(), key))>> {
    auto p = o.if_contains(key);
    if (!p || p->is_null()) return std::nullopt;
    return convert(*p, key);
}

template <class T> T get_field(const json::object& o, std::string_view key) {
    return field(o, key, as<T>);
}

template <class T> std::optional<T> get_optional(const json::object& o, std::string_view key) {
    return optional_field(o, key, as<T>);
}

// A null-or-object member kept verbatim; missing -> null.
inline json::value get_object_or_null(const json::object& o, std::string_view key) {
    return optional_field(o, key, as_object_or_null).value_or(nullptr);
}

// ---- writers ----------------------------------------------------------------

struct ValueFrom {
    template <class T> json::value operator()(const T& x) const { return json::value_from(x); }
};

inline json::value time_json(TimeMs ms) {
    return json::string(format_rfc3339(ms));
}

// null when absent, else encode(*v).
template <class T, class F = ValueFrom>
json::value nullable(const std::optional<T>& v, F encode = {}) {
    return v ? json::value(encode(*v)) : json::value(nullptr);
}

template <class T, class F> json::array array_of(const std::vector<T>& items, F encode) {
    json::array out;
    out.reserve(items.size());
    for (const auto& x : items)
        out.emplace_back(encode(x));
    return out;
}

// Appends every member of `from` to `into`, in order.
inline void append(json::object& into, json::object from) {
    for (auto& kv : from)
        into.emplace(kv.key(), std::move(kv.value()));
}

} // namespace omx::team::json_fields
