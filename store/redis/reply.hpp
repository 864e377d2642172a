// A Redis reply as an owned value (hiredis parses the protocol; reply.cpp
// turns its redisReply tree into this). An error reply is a value, not an
// exception: a failed command is an answer like any other.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace omx::redis {

struct Reply {
    enum class Type { nil, integer, string, status, error, array };
    Type type = Type::nil;
    long long integer = 0;
    std::string text; // string, status, error
    std::vector<Reply> elements;

    bool is_nil() const { return type == Type::nil; }
    bool is_error() const { return type == Type::error; }
    bool is_array() const { return type == Type::array; }
    // The text of a string or status reply; nullopt otherwise.
    std::optional<std::string_view> as_text() const;
    // An integer reply, or a string reply holding a whole number.
    std::optional<long long> as_integer() const;
    // For messages and logs: "nil", "(integer) 3", "ERR …", "[…]".
    std::string describe() const;
};

// The connection failed (refused, lost, timed out) or Redis answered
// something a caller could not use. Commands that fail this way may or may
// not have been applied.
struct RedisError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// `r` itself, or RedisError("<what> failed: <Redis's error>") for an error reply.
const Reply& checked(const Reply& r, std::string_view what);

// A stream entry ([id, [field, value, …]]): its id, or nullptr when the entry
// has another shape (XAUTOCLAIM's deleted entries come back as [id, nil]).
const std::string* entry_id(const Reply& entry);
// The value of `field` in a stream entry, or nullptr when it has another shape or no such field.
const std::string* entry_field(const Reply& entry, std::string_view field);

// The entries of the single stream an XREAD/XREADGROUP reply names
// ([[key, entries]]); nullptr when none came (nil). Throws on another shape.
const Reply* single_stream_entries(const Reply& r);

} // namespace omx::redis
