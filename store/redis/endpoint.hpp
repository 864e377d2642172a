// Where Redis is: parsed from `--redis URL` / REDIS_URL
// (redis://[[user]:password@]host[:port][/db]).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace omx::redis {

struct Endpoint {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::optional<std::string> user, password;
    int db = 0;

    // "redis://host:port/db", without the credentials (for logs).
    std::string display() const;
};

// The endpoint, or a message saying what is wrong with the URL.
std::variant<Endpoint, std::string> parse_url(const std::string& url);

} // namespace omx::redis
