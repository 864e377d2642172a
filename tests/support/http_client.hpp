// Blocking HTTP/1.1 test client over one keep-alive connection, with a deadline on every call.
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace omx::test {

using Headers = std::map<std::string, std::string>;

struct HttpResponse {
    int status = 0;
    Headers headers; // names in lowercase; repeated fields joined with ", "
    std::string body;

    // The body parsed as JSON; throws std::runtime_error quoting the body if it is not.
    boost::json::value json() const;
    // The value of a header (name in any case), or "" if absent.
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
};

// What raw_stall saw after sending a partial request.
struct StallResult {
    bool closed_by_server = false; // EOF or reset before the wait ran out
    std::string received;
    std::chrono::milliseconds elapsed{
        0}; // from the end of sending to close (or to the end of the wait)
};

// Talks to http://127.0.0.1:<port>. Reuses one connection across requests and
// reconnects transparently when the server closed it (a request that got no
// byte of response on a reused connection is sent once more on a new one).
// Every call has a deadline; a timeout throws std::runtime_error naming the
// request and the step that timed out, and drops the connection.
class HttpClient {
  public:
    explicit HttpClient(std::uint16_t port);
    ~HttpClient();
    HttpClient(HttpClient&&) noexcept;
    HttpClient& operator=(HttpClient&&) noexcept;

    // Host is set; Content-Length when there is a body (or for POST/PUT/PATCH);
    // headers are added last and replace fields of the same name.
    HttpResponse request(std::string_view method, std::string_view target, std::string body = "",
                         Headers headers = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
    HttpResponse get(std::string_view target, Headers headers = {});
    HttpResponse post_json(std::string_view target, const boost::json::value& body,
                           Headers headers = {});

    // On a fresh connection: sends bytes as they are, then returns everything
    // received until the server closes (or resets) the connection or the timeout.
    std::string raw_exchange(std::string_view bytes, std::chrono::milliseconds timeout);
    // On a fresh connection: sends partial, sends nothing more, and waits up to
    // wait for the server to close the connection.
    StallResult raw_stall(std::string_view partial, std::chrono::milliseconds wait);

    // Whether the kept-alive connection is open (as far as the client knows).
    bool connected() const;
    // Number of TCP connections opened by request() so far (to check keep-alive).
    int connections_opened() const;
    std::uint16_t port() const { return port_; }

  private:
    struct Impl;
    std::uint16_t port_;
    std::unique_ptr<Impl> impl_;
};

} // namespace omx::test
