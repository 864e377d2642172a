// The server address of the client: `http://host[:port][/prefix]`, parsed and checked.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace omx::client {

struct ServerUrl {
    std::string host; // name or address; an IPv6 address without its brackets
    std::uint16_t port = 80;
    std::string base_path; // "" or "/prefix" (no trailing slash), put before every API path

    std::string host_header() const; // "host:port" ("[::1]:port" for IPv6)
    std::string text() const;        // "http://host:port/prefix", for messages
};

// Parses --server / OMX_SERVER. A missing scheme means http; https and every
// other scheme, user info, a query or a fragment are refused with a
// one-line reason (omx speaks plain HTTP/1.1 only).
std::variant<ServerUrl, std::string> parse_server_url(std::string_view url);

// Percent-encodes everything but RFC 3986's unreserved characters, so that an id
// or a cursor becomes exactly one path segment or query value.
std::string url_encode(std::string_view text);

} // namespace omx::client
