#include "store/redis/reply.hpp"

#include <charconv>

namespace omx::redis {

std::optional<std::string_view> Reply::as_text() const {
    if (type == Type::string || type == Type::status) return std::string_view(text);
    return std::nullopt;
}

std::optional<long long> Reply::as_integer() const {
    if (type == Type::integer) return integer;
    if (type != Type::string) return std::nullopt;
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

const Reply& checked(const Reply& r, std::string_view what) {
    if (r.is_error()) throw RedisError(std::string(what) + " failed: " + r.text);
    return r;
}

const std::string* entry_id(const Reply& entry) {
    if (!entry.is_array() || entry.elements.size() != 2 || !entry.elements[1].is_array()) return nullptr;
    return &entry.elements[0].text;
}

const std::string* entry_field(const Reply& entry, std::string_view field) {
    if (!entry_id(entry)) return nullptr;
    auto& fields = entry.elements[1].elements;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
        if (fields[i].text == field) return &fields[i + 1].text;
    return nullptr;
}

const Reply* single_stream_entries(const Reply& r) {
    if (r.is_nil() || (r.is_array() && r.elements.empty())) return nullptr;
    if (!r.is_array() || !r.elements[0].is_array() || r.elements[0].elements.size() != 2)
        throw RedisError("an odd stream read reply: " + r.describe());
    return &r.elements[0].elements[1];
}

std::string Reply::describe() const {
    switch (type) {
    case Type::nil: return "nil";
    case Type::integer: return "(integer) " + std::to_string(integer);
    case Type::string:
    case Type::status:
    case Type::error: return text;
    case Type::array: {
        std::string out = "[";
        for (std::size_t i = 0; i < elements.size(); ++i) out += (i ? ", " : "") + elements[i].describe();
        return out + "]";
    }
    }
    return "?";
}

} // namespace omx::redis
