// A minimal keep-alive HTTP/1.1 client for the load generator: requests are
// written as prebuilt raw bytes, responses are read with a small Content-Length
// (or chunked) reader. No pipelining: one request in flight per connection.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omx::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// http://HOST:PORT[/prefix]: the server's address (IPv4 or IPv6 literal, or a
// name resolved once at start).
struct Url {
    std::string host;
    std::uint16_t port = 80;
    std::string prefix; // path prefix without a trailing slash ("" for most)
    tcp::endpoint endpoint;
    std::string host_header() const { return host + ":" + std::to_string(port); }
};

// Parses and resolves; nullopt with `error` set when it cannot.
std::optional<Url> parse_url(std::string_view text, std::string& error);

// A complete request: method, target, Host, optional body (JSON).
std::string raw_request(const Url& url, std::string_view method, std::string_view target,
                        std::string_view body = {}, std::string_view extra_headers = {});

struct Response {
    int status = 0;
    std::string body;           // filled only when asked to keep it
    std::size_t body_bytes = 0; // always
    bool close = false;         // the server closes after this response
};

// One connection. Methods return false (with `error`) on a network or protocol
// failure; the connection is then unusable.
class Connection {
public:
    explicit Connection(const asio::any_io_executor& ex, std::size_t buffer_bytes = 64 * 1024);

    asio::awaitable<bool> connect(const tcp::endpoint& endpoint);
    // Writes `raw` and reads one response into `out`.
    asio::awaitable<bool> roundtrip(std::string_view raw, Response& out, bool keep_body);
    // Reads only a response head (status and headers, for streams); the bytes
    // after it stay buffered and are handed out first by read_some.
    asio::awaitable<bool> write(std::string_view raw);
    asio::awaitable<bool> read_head(Response& out);
    // Appends the next bytes of the stream (the buffered ones first) to `into`;
    // false at EOF or on an error.
    asio::awaitable<bool> read_some(std::string& into);

    bool is_open() const { return socket_.is_open(); }
    void close();
    tcp::socket& socket() { return socket_; }
    const std::string& error() const { return error_; }

private:
    bool fail(std::string what);
    asio::awaitable<bool> fill(); // reads more into the buffer
    // Reads until a whole head is buffered and parses it (begin_ is not moved).
    asio::awaitable<bool> fill_head(Response& out, std::size_t& head_len, std::optional<std::size_t>& content_length,
                                    bool& chunked);
    // 0: complete head parsed; >0: need more bytes; <0: malformed.
    int parse_head(Response& out, std::size_t& head_len, std::optional<std::size_t>& content_length,
                   bool& chunked);

    tcp::socket socket_;
    std::vector<char> buf_;
    std::size_t begin_ = 0, end_ = 0;
    std::string error_;
};

} // namespace omx::bench
