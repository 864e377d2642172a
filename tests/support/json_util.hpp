// Small JSON helpers for integration tests: parse with a readable error, JSON Pointer lookups.
#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace omx::test {

// Parses text; throws std::runtime_error quoting it if it is not JSON.
inline boost::json::value parse(std::string_view text) {
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec);
    if (ec) throw std::runtime_error("not JSON (" + ec.message() + "): " + std::string(text));
    return value;
}

inline std::string dump(const boost::json::value& value) {
    return boost::json::serialize(value);
}

// The value at a JSON Pointer such as "/team/metrics/total"; throws naming the
// pointer and the document if there is none.
inline const boost::json::value& at(const boost::json::value& doc, std::string_view pointer) {
    boost::system::error_code ec;
    const auto* found = doc.find_pointer(pointer, ec);
    if (found == nullptr)
        throw std::runtime_error("no " + std::string(pointer) + " in " + dump(doc));
    return *found;
}

inline bool has(const boost::json::value& doc, std::string_view pointer) {
    boost::system::error_code ec;
    return doc.find_pointer(pointer, ec) != nullptr;
}

// The string at pointer; throws if absent or not a string.
inline std::string str(const boost::json::value& doc, std::string_view pointer) {
    const auto& v = at(doc, pointer);
    if (!v.is_string())
        throw std::runtime_error(std::string(pointer) + " is not a string in " + dump(doc));
    return std::string(v.get_string());
}

// The integer at pointer; throws if absent or not an integer.
inline std::int64_t num(const boost::json::value& doc, std::string_view pointer) {
    const auto& v = at(doc, pointer);
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64()) return static_cast<std::int64_t>(v.get_uint64());
    throw std::runtime_error(std::string(pointer) + " is not an integer in " + dump(doc));
}

} // namespace omx::test
