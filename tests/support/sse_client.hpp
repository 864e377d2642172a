// Blocking Server-Sent Events test client that reads a stream event by event, with deadlines.
#pragma once

#include "tests/support/http_client.hpp"
#include "tools/omx/sse_parser.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omx::test {

// The parser lives in the omx client (tools/omx); the tests use it under their own names.
using SseEvent = omx::client::SseEvent;
using SseParser = omx::client::SseParser;

// One GET on its own connection to 127.0.0.1:<port>. The body may be
// close-delimited, chunked or have a Content-Length. Every wait has a
// deadline; a timeout throws std::runtime_error saying what was awaited.
class SseClient {
  public:
    SseClient();
    ~SseClient();
    SseClient(SseClient&&) noexcept;
    SseClient& operator=(SseClient&&) noexcept;

    // Sends GET target (Accept: text/event-stream unless headers say otherwise)
    // and reads the response head. If the response is not a text/event-stream
    // (a 404 JSON, a 204), its whole body is read into body() and the stream
    // counts as closed.
    void open(std::uint16_t port, std::string_view target, Headers headers = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(10));

    int status() const;
    std::string header(std::string_view name) const; // any case; "" if absent
    const Headers& headers() const;                  // lowercase names
    const std::string& body() const;                 // body of a non-stream response

    // The next event; nullopt once the server closed the stream and every
    // event received was returned. Throws on timeout.
    std::optional<SseEvent> next_event(std::chrono::milliseconds timeout);
    // Exactly n events; throws on timeout or if the stream closes first.
    std::vector<SseEvent> next_events(std::size_t n, std::chrono::milliseconds timeout);
    // Every remaining event until the server closes the stream; throws on timeout.
    std::vector<SseEvent> read_until_closed(std::chrono::milliseconds timeout);
    // Reads (queueing events for next_event) until a comment with exactly this
    // text (after ':' and one space) has been seen; false if the stream closed
    // or the timeout passed first.
    bool wait_for_comment(std::string_view text, std::chrono::milliseconds timeout);

    bool saw_comment(std::string_view text) const;
    std::size_t comment_count() const;
    const std::vector<std::string>& comments() const;
    std::optional<int> retry_value() const;
    std::optional<std::string> last_event_id() const;
    const std::string& transcript() const; // every body byte received so far (decoded if chunked)
    bool closed() const;                   // the server ended the stream (EOF, reset, end of body)
    void close();                          // closes our side

    // Slow reader: connects with SO_RCVBUF = receive_buffer, sends the GET and
    // never reads, so the server's writes back up.
    void open_without_reading(std::uint16_t port, std::string_view target, Headers headers = {},
                              std::chrono::milliseconds timeout = std::chrono::seconds(10),
                              int receive_buffer = 4096);
    // Drains the connection (discarding bytes) and reports whether the server
    // had cut it off: true on EOF or reset, false if data still flows or the
    // connection stays open until the timeout.
    bool is_closed_by_peer(std::chrono::milliseconds timeout);
    std::size_t bytes_drained() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace omx::test
