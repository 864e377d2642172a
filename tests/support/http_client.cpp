// Blocking HTTP/1.1 test client over one keep-alive connection, with a deadline on every call.
#include "tests/support/http_client.hpp"

#include "tests/support/client_io.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <limits>
#include <optional>

namespace omx::test {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using namespace detail;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Request make_request(std::string_view method, std::string_view target, std::string body,
                     const Headers& headers, std::uint16_t port) {
    Request req;
    auto verb = http::string_to_verb(method);
    if (verb == http::verb::unknown)
        req.method_string(method);
    else
        req.method(verb);
    req.target(target);
    req.version(11);
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    req.body() = std::move(body);
    if (!req.body().empty() || verb == http::verb::post || verb == http::verb::put ||
        verb == http::verb::patch)
        req.prepare_payload();
    for (const auto& [name, value] : headers)
        req.set(name, value);
    return req;
}

HttpResponse to_response(Response&& res) {
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    out.headers = collect_headers(res);
    out.body = std::move(res.body());
    return out;
}

// Outcome of sending one request on the current connection.
struct Attempt {
    std::optional<HttpResponse> response;
    OpResult failure;
    std::string step;
    bool stale = false; // the server had closed the connection: nothing was received
};

} // namespace

struct HttpClient::Impl {
    asio::io_context ioc;
    tcp::socket socket{ioc};
    beast::flat_buffer buffer;
    bool open = false;
    int connections = 0;

    // Closes the connection and completes whatever operation was still pending on it.
    void drop() {
        error_code ignored;
        socket.close(ignored);
        buffer.clear();
        open = false;
        ioc.restart();
        ioc.run();
    }

    void connect(std::uint16_t port, Clock::time_point deadline, const std::string& what,
                 std::chrono::milliseconds timeout) {
        drop();
        auto result = connect_local(ioc, socket, port, deadline);
        if (result.ec) throw_failure(what + ": connecting", result, timeout);
        open = true;
        ++connections;
    }

    Attempt failed(std::string step, OpResult result, bool stale) {
        drop();
        return Attempt{std::nullopt, result, std::move(step), stale};
    }

    // Writes the request while already reading the response, so that an early
    // answer (a 413 before the body was sent) is seen even if the write fails.
    Attempt exchange(Request& req, Clock::time_point deadline) {
        http::response_parser<http::string_body> parser;
        parser.header_limit(64 * 1024);
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        if (req.method() == http::verb::head) parser.skip(true);
        bool sent = false, read = false;
        OpResult got;
        http::async_write(socket, req, [&](error_code ec, std::size_t) { sent = !ec; });
        http::async_read(socket, buffer, parser, [&](error_code ec, std::size_t n) {
            got = {ec, n};
            read = true;
        });
        if (!run_until(ioc, socket, deadline, [&] { return read; }))
            return failed(sent ? "reading the response" : "sending the request",
                          {asio::error::timed_out}, false);
        if (got.ec)
            return failed(sent ? "reading the response" : "sending the request", got,
                          is_disconnect(got.ec) && !parser.got_some());
        auto res = parser.release();
        if (!sent || !res.keep_alive())
            drop(); // a half-sent request leaves the connection unusable
        return Attempt{to_response(std::move(res)), {}, {}, false};
    }
};

boost::json::value HttpResponse::json() const {
    boost::system::error_code ec;
    auto value = boost::json::parse(body, ec);
    if (ec)
        throw std::runtime_error("response body is not JSON (" + ec.message() + "), status " +
                                 std::to_string(status) + ": " + body);
    return value;
}

std::string HttpResponse::header(std::string_view name) const {
    auto it = headers.find(lowercase(name));
    return it == headers.end() ? std::string() : it->second;
}

bool HttpResponse::has_header(std::string_view name) const {
    return headers.contains(lowercase(name));
}

HttpClient::HttpClient(std::uint16_t port) : port_(port), impl_(std::make_unique<Impl>()) {}
HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

bool HttpClient::connected() const {
    return impl_->open;
}
int HttpClient::connections_opened() const {
    return impl_->connections;
}

HttpResponse HttpClient::request(std::string_view method, std::string_view target, std::string body,
                                 Headers headers, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    auto req = make_request(method, target, std::move(body), headers, port_);
    std::string what = "HTTP " + std::string(method) + " " + std::string(target);
    bool reused = impl_->open;
    if (!reused) impl_->connect(port_, deadline, what, timeout);
    auto attempt = impl_->exchange(req, deadline);
    if (!attempt.response && attempt.stale && reused) {
        impl_->connect(port_, deadline, what, timeout);
        attempt = impl_->exchange(req, deadline);
    }
    if (!attempt.response) throw_failure(what + ": " + attempt.step, attempt.failure, timeout);
    return std::move(*attempt.response);
}

HttpResponse HttpClient::get(std::string_view target, Headers headers) {
    return request("GET", target, "", std::move(headers));
}

HttpResponse HttpClient::post_json(std::string_view target, const boost::json::value& body,
                                   Headers headers) {
    headers.emplace("Content-Type", "application/json");
    return request("POST", target, boost::json::serialize(body), std::move(headers));
}

std::string HttpClient::raw_exchange(std::string_view bytes, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    tcp::socket raw(impl_->ioc);
    auto connected = connect_local(impl_->ioc, raw, port_, deadline);
    if (connected.ec) throw_failure("raw_exchange: connecting", connected, timeout);
    std::string received;
    RawReader reader(raw, &received);
    asio::async_write(raw, asio::buffer(bytes), [](error_code, std::size_t) {});
    reader.start();
    run_until(impl_->ioc, raw, deadline, [&] { return reader.done; });
    error_code ignored;
    raw.close(ignored); // a write still pending completes with operation_aborted
    impl_->ioc.restart();
    impl_->ioc.run();
    return received;
}

StallResult HttpClient::raw_stall(std::string_view partial, std::chrono::milliseconds wait) {
    auto setup_deadline = Clock::now() + std::chrono::seconds(10);
    tcp::socket raw(impl_->ioc);
    auto connected = connect_local(impl_->ioc, raw, port_, setup_deadline);
    if (connected.ec) throw_failure("raw_stall: connecting", connected, std::chrono::seconds(10));
    auto sent = await_op(impl_->ioc, raw, setup_deadline, [&](auto h) {
        asio::async_write(raw, asio::buffer(partial), std::move(h));
    });
    if (sent.ec) throw_failure("raw_stall: sending", sent, std::chrono::seconds(10));
    StallResult result;
    RawReader reader(raw, &result.received);
    auto start = Clock::now();
    reader.start();
    bool finished = run_until(impl_->ioc, raw, start + wait, [&] { return reader.done; });
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    result.closed_by_server = finished && is_disconnect(reader.ec);
    return result;
}

} // namespace omx::test
