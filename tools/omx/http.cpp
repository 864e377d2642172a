// Synchronous HTTP/1.1 over TCP for the omx client: one request and its answer,
// and an event stream read piece by piece as the bytes arrive. Each operation is
// started asynchronously on a private io_context and run to completion, so that
// Beast's tcp_stream deadline bounds every wait.
#include "tools/omx/http.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <cctype>

namespace omx::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using std::chrono::milliseconds;

constexpr std::size_t header_limit = 64 * 1024;
constexpr std::uint64_t body_limit = 256ull * 1024 * 1024; // attempt logs are the largest answers
constexpr char user_agent[] = "omx/1";

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::map<std::string, std::string> collect_headers(const http::fields& fields) {
    std::map<std::string, std::string> out;
    for (const auto& field : fields) {
        auto [it, inserted] = out.emplace(lowercase(field.name_string()), field.value());
        if (!inserted) it->second.append(", ").append(field.value());
    }
    return out;
}

std::string find_header(const std::map<std::string, std::string>& headers, std::string_view name) {
    auto it = headers.find(lowercase(name));
    return it == headers.end() ? std::string() : it->second;
}

bool is_disconnect(const error_code& ec) {
    return ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == http::error::end_of_stream ||
           ec == http::error::partial_message;
}

std::string seconds_text(milliseconds d) {
    auto tenths = (d.count() + 50) / 100;
    return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") +
           " s";
}

// "<what>: timed out after 5 s" or "<what>: Connection refused".
[[noreturn]] void fail(const std::string& what, const error_code& ec, milliseconds timeout) {
    if (ec == beast::error::timeout)
        throw TransportError(what + ": timed out after " + seconds_text(timeout));
    if (is_disconnect(ec)) throw TransportError(what + ": the server closed the connection");
    throw TransportError(what + ": " + ec.message());
}

// One TCP connection to the server, driven synchronously.
struct Connection {
    explicit Connection(ServerUrl s) : server(std::move(s)) {}

    ServerUrl server;
    asio::io_context ioc;
    beast::tcp_stream stream{ioc};
    beast::flat_buffer buffer;

    void run() {
        ioc.restart();
        ioc.run();
    }

    void connect(milliseconds timeout) {
        const std::string what = "cannot connect to " + server.text();
        tcp::resolver resolver(ioc);
        error_code ec;
        auto endpoints = resolver.resolve(server.host, std::to_string(server.port), ec);
        if (ec)
            throw TransportError(what + ": cannot resolve '" + server.host + "': " + ec.message());
        stream.expires_after(timeout);
        error_code result;
        stream.async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { result = e; });
        run();
        if (result == asio::error::connection_refused)
            throw TransportError(what + ": " + result.message() +
                                 " (is omxd running there? see --server or OMX_SERVER)");
        if (result) fail(what, result, timeout);
        stream.socket().set_option(tcp::no_delay(true), ec);
    }

    template <class Body>
    void prepare(http::request<Body>& req, std::string_view target, const HeaderList& headers) {
        req.version(11);
        req.target(server.base_path + std::string(target));
        req.set(http::field::host, server.host_header());
        req.set(http::field::user_agent, user_agent);
        req.keep_alive(false);
        for (const auto& [name, value] : headers)
            req.set(name, value);
    }
};

} // namespace

std::string HttpResponse::header(std::string_view name) const {
    return find_header(headers, name);
}

HttpResponse http_request(const ServerUrl& server, std::string_view method, std::string_view target,
                          const HeaderList& headers, std::string body, milliseconds timeout) {
    Connection conn(server);
    conn.connect(timeout);

    http::request<http::string_body> req;
    auto verb = http::string_to_verb(method);
    if (verb == http::verb::unknown)
        req.method_string(method);
    else
        req.method(verb);
    conn.prepare(req, target, headers);
    req.body() = std::move(body);
    if (!req.body().empty() || verb == http::verb::post) req.prepare_payload();

    // Write and read at once: an early answer (413 before the body was sent)
    // is still seen if the write then fails.
    http::response_parser<http::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(body_limit);
    error_code read_ec;
    conn.stream.expires_after(timeout);
    http::async_write(conn.stream, req, [](error_code, std::size_t) {});
    http::async_read(conn.stream, conn.buffer, parser,
                     [&](error_code ec, std::size_t) { read_ec = ec; });
    conn.run();
    if (read_ec)
        fail(std::string(method) + " " + server.text() + std::string(target) +
                 (parser.got_some() ? ": reading the answer" : ": no answer"),
             read_ec, timeout);
    auto res = parser.release();
    return HttpResponse{static_cast<int>(res.result_int()), collect_headers(res),
                        std::move(res.body())};
}

struct EventStream::Impl {
    explicit Impl(ServerUrl server) : conn(std::move(server)) {}

    Connection conn;
    std::optional<http::response_parser<http::buffer_body>> parser;
    std::string what;
    int status = 0;
    std::map<std::string, std::string> headers;
    bool ended = false;
    error_code pending; // an error seen together with the last bytes, reported next time
};

EventStream::EventStream(ServerUrl server) : impl_(std::make_unique<Impl>(std::move(server))) {}
EventStream::~EventStream() = default;

void EventStream::open(std::string_view target, const HeaderList& headers, milliseconds timeout) {
    auto& s = *impl_;
    s.what = "GET " + s.conn.server.text() + std::string(target);
    s.conn.connect(timeout);

    http::request<http::empty_body> req;
    req.method(http::verb::get);
    s.conn.prepare(req, target, headers);
    error_code ec;
    s.conn.stream.expires_after(timeout);
    http::async_write(s.conn.stream, req, [&](error_code e, std::size_t) { ec = e; });
    s.conn.run();
    if (ec) fail(s.what + ": sending the request", ec, timeout);

    s.parser.emplace();
    s.parser->header_limit(header_limit);
    s.parser->body_limit(boost::none); // a stream has no end but the server's
    s.conn.stream.expires_after(timeout);
    http::async_read_header(s.conn.stream, s.conn.buffer, *s.parser,
                            [&](error_code e, std::size_t) { ec = e; });
    s.conn.run();
    if (ec) fail(s.what + ": reading the answer", ec, timeout);
    const auto& res = s.parser->get();
    s.status = static_cast<int>(res.result_int());
    s.headers = collect_headers(res);
    s.ended = s.parser->is_done();
}

int EventStream::status() const {
    return impl_->status;
}

std::string EventStream::header(std::string_view name) const {
    return find_header(impl_->headers, name);
}

bool EventStream::is_event_stream() const {
    return lowercase(header("content-type")).starts_with("text/event-stream");
}

std::string EventStream::read_body(milliseconds timeout) {
    std::string body;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left =
            std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
        auto piece = read_some(std::max(left, milliseconds(1)));
        if (!piece) return body;
        body += *piece;
    }
}

std::optional<std::string> EventStream::read_some(milliseconds idle_timeout) {
    auto& s = *impl_;
    if (!s.parser) throw std::logic_error("EventStream::read_some before open");
    if (s.pending) {
        auto ec = std::exchange(s.pending, {});
        s.ended = true;
        fail(s.what + ": reading the stream", ec, idle_timeout);
    }
    while (!s.ended) {
        std::array<char, 16384> chunk;
        auto& body = s.parser->get().body();
        body.data = chunk.data();
        body.size = chunk.size();
        error_code ec;
        s.conn.stream.expires_after(idle_timeout);
        http::async_read_some(s.conn.stream, s.conn.buffer, *s.parser,
                              [&](error_code e, std::size_t) { ec = e; });
        s.conn.run();
        std::string got(chunk.data(), chunk.size() - s.parser->get().body().size);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) {
            if (got.empty()) {
                s.ended = true;
                fail(s.what + ": reading the stream", ec, idle_timeout);
            }
            s.pending = ec;
            return got;
        }
        s.ended = s.parser->is_done();
        if (!got.empty()) return got;
    }
    return std::nullopt;
}

} // namespace omx::client
