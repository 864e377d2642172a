// Synchronous HTTP/1.1 over TCP for the omx client: one request and its answer,
// and an event stream read piece by piece as the bytes arrive. Every wait has a
// deadline. Beast stays in http.cpp.
#pragma once

#include "tools/omx/server_url.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omx::client {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string> headers; // lowercase names; repeats joined with ", "
    std::string body;

    std::string header(std::string_view name) const; // any case; "" if absent
};

// The server could not be talked to: no address, connection refused or reset,
// a deadline passed, or an answer that is not HTTP. Not an HTTP error status.
class TransportError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// One request on a connection of its own (Connection: close). `target` is the
// API path with its query; the server URL's base path is put before it. Host,
// Content-Length and a User-Agent are set; `headers` come last. Throws
// TransportError; an HTTP error status is a normal answer.
HttpResponse http_request(const ServerUrl& server, std::string_view method, std::string_view target,
                          const HeaderList& headers = {}, std::string body = "",
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A GET whose body is read as it arrives (Server-Sent Events).
class EventStream {
  public:
    explicit EventStream(ServerUrl server);
    ~EventStream();
    EventStream(const EventStream&) = delete;
    EventStream& operator=(const EventStream&) = delete;

    // Connects, sends GET target and reads the response head, all within
    // timeout. Throws TransportError.
    void open(std::string_view target, const HeaderList& headers,
              std::chrono::milliseconds timeout);
    int status() const;
    std::string header(std::string_view name) const; // any case; "" if absent
    bool is_event_stream() const;                    // Content-Type text/event-stream

    // The whole body of an answer that is not a stream (an error, a 204).
    std::string read_body(std::chrono::milliseconds timeout);
    // The next bytes of the body, waiting at most idle_timeout for any;
    // nullopt once the server ended the body. Throws TransportError if the
    // connection breaks or nothing arrives in time.
    std::optional<std::string> read_some(std::chrono::milliseconds idle_timeout);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace omx::client
