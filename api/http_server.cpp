// Listener and session loop (Beast + C++20 coroutines).
#include "api/http_server.hpp"

#include "api/access_tokens.hpp"
#include "api/beast_request.hpp"
#include "api/handlers.hpp"
#include "api/query.hpp"
#include "api/request_guard.hpp"
#include "api/router.hpp"
#include "api/sse.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "team/actor/job_api.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <map>
#include <list>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace omx::api {
namespace {

constexpr std::chrono::seconds body_timeout{60};
constexpr std::chrono::seconds response_timeout{30};

// A client that sent `Expect: 100-continue` waits for an interim 100 before
// it sends the body (RFC 9110, 10.1.1); without one it stalls for a while.
bool expects_continue(const http::request<http::string_body>& r) {
    return beast::iequals(r[http::field::expect], "100-continue");
}

asio::awaitable<void> async_send_continue(beast::tcp_stream& stream, std::chrono::milliseconds timeout) {
    http::response<http::empty_body> interim{http::status::continue_, 11};
    stream.expires_after(timeout);
    co_await http::async_write(stream, interim, asio::as_tuple(asio::use_awaitable)); // a failure shows in the body read
}

bool wants_json(const Request& req) {
    auto accept = req.header("accept");
    return accept && accept->find("application/json") != std::string_view::npos &&
           accept->find("text/event-stream") == std::string_view::npos;
}

// The request counters, their handles looked up once per thread (labels are
// the router's static names).
void count_request(std::string_view route, int status, double seconds) {
    thread_local std::map<std::pair<std::string_view, int>, metrics::Counter*> counters;
    thread_local std::map<std::string_view, metrics::Histogram*> durations;
    auto& c = counters[{route, status}];
    if (!c) c = &metrics::counter(metrics::family::http_requests, {{"route", std::string(route)}, {"status", std::to_string(status)}});
    auto& d = durations[route];
    if (!d) d = &metrics::histogram(metrics::family::http_duration, {{"route", std::string(route)}});
    metrics::add(*c);
    metrics::observe(*d, seconds);
}

} // namespace

struct HttpServer::Impl {
    struct SessionState {
        explicit SessionState(tcp::socket s) : stream(std::move(s)) {}
        beast::tcp_stream stream;
        bool idle = true; // waiting for the next request: safe to close at shutdown
    };

    Impl(asio::io_context& io, const Config& c, actor::JobApi& jobs)
        : io(io), config(c), acceptor(asio::make_strand(io)), ctx{jobs, c},
          tokens(c.api_token_file, c.read_token_file), reload_signal(io, SIGHUP) {}

    asio::io_context& io;
    const Config& config;
    tcp::acceptor acceptor;
    ApiContext ctx;
    AccessTokens tokens;
    asio::signal_set reload_signal; // SIGHUP: read the token files again
    std::atomic<int> connections{0};
    std::atomic<std::uint64_t> request_counter{0};
    std::atomic<bool> stopping{false};
    std::mutex sessions_mutex;
    std::list<std::weak_ptr<SessionState>> sessions;

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> reload_loop();
    asio::awaitable<void> session(tcp::socket socket);
    asio::awaitable<void> refuse(tcp::socket socket);
    // A request that became an SSE stream, kept after its parser and handler
    // frames are gone: the stream runs from the session loop, for hours maybe,
    // and every byte it holds is held per idle subscriber.
    struct StreamRequest {
        Route route;
        std::string job_id;
        Request req;
        std::string rid;
    };
    asio::awaitable<bool> serve_one(SessionState& state, beast::flat_buffer& buffer,
                                    std::unique_ptr<StreamRequest>& stream);
    asio::awaitable<Response> answer(Request& req, std::unique_ptr<StreamRequest>& stream, std::string_view& label);
    asio::awaitable<void> serve_stream(beast::tcp_stream& stream, const StreamRequest& request);

    Response body_too_large() const {
        return error_response(413, "request body is larger than " + std::to_string(config.max_body) + " bytes");
    }
};

asio::awaitable<void> HttpServer::Impl::accept_loop() {
    for (;;) {
        // With one io thread (the default) the io_context is serial already: a
        // strand per connection would only add a hop to every handler and every
        // SSE frame delivered.
        asio::any_io_executor connection_executor = config.threads == 1
                                                        ? asio::any_io_executor(io.get_executor())
                                                        : asio::any_io_executor(asio::make_strand(io));
        auto [ec, socket] = co_await acceptor.async_accept(connection_executor, asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || stopping) co_return;
        if (ec) {
            log::warn("accept failed", {{"error", ec.message()}});
            asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50)); // e.g. EMFILE
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        auto executor = socket.get_executor();
        auto work = connections.load() >= config.max_connections ? refuse(std::move(socket)) : session(std::move(socket));
        asio::co_spawn(executor, std::move(work), [](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log::error("connection ended by an unexpected error", {{"error", ex.what()}});
            }
        });
    }
}

asio::awaitable<void> HttpServer::Impl::reload_loop() {
    for (;;) {
        auto [ec, signal] = co_await reload_signal.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || stopping) co_return;
        if (!tokens.enabled()) {
            log::info("SIGHUP: no token files to reload");
        } else if (auto failure = tokens.reload()) {
            log::error("API tokens not reloaded: the tokens in use stay", {{"error", *failure}});
        } else {
            log::info("API tokens reloaded", {{"tokens", std::to_string(tokens.count())}});
        }
    }
}

asio::awaitable<void> HttpServer::Impl::refuse(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    auto res = error_response(503, "too many connections: try again shortly");
    co_await write_response(stream, res, false, std::chrono::seconds(1));
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> HttpServer::Impl::session(tcp::socket socket) {
    ++connections;
    auto state = std::make_shared<SessionState>(std::move(socket));
    std::list<std::weak_ptr<SessionState>>::iterator entry;
    {
        std::lock_guard lock(sessions_mutex);
        entry = sessions.insert(sessions.end(), state);
    }
    beast::flat_buffer buffer;
    std::unique_ptr<StreamRequest> stream;
    try {
        while (co_await serve_one(*state, buffer, stream)) {
        }
        if (stream) {
            // A stream reads nothing more and its connection is not reused: the
            // read buffer is memory every idle subscriber would keep.
            buffer.clear();
            buffer.shrink_to_fit();
            co_await serve_stream(state->stream, *stream);
        }
    } catch (const std::exception& e) {
        log::error("session failed", {{"error", e.what()}});
    }
    beast::error_code ec;
    state->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    {
        std::lock_guard lock(sessions_mutex);
        sessions.erase(entry);
    }
    --connections;
}

asio::awaitable<Response> HttpServer::Impl::answer(Request& req, std::unique_ptr<StreamRequest>& stream,
                                                  std::string_view& label) {
    if (auto preflight = answer_preflight(req, config.cors_origins)) co_return std::move(*preflight);
    auto r = route(req.method, req.path);
    if (!r.match && req.path == "/monitor") { // the dashboard's own page: no token needed
        Response res;
        res.status = 301;
        res.content_type = "text/plain; charset=utf-8";
        res.body = "the dashboard is at /monitor/\n";
        auto query = req.target.find('?'); // keeps ?access_token= for the page
        res.headers.emplace_back("Location", "/monitor/" + (query == std::string::npos ? "" : req.target.substr(query)));
        co_return res;
    }
    if (auto refusal = refuse_request(req, r, tokens, config.cors_origins)) co_return std::move(*refusal);
    if (!r.match) {
        if (r.status == 405) {
            auto res = error_response(405, "Method " + req.method + " is not allowed on " + req.path);
            res.headers.emplace_back("Allow", r.allow);
            co_return res;
        }
        co_return error_response(404, "Cannot " + req.method + " " + req.path);
    }
    auto& m = *r.match;
    label = route_name(m.route);
    if (m.route == Route::monitor_events || (m.route == Route::job_events && !wants_json(req))) {
        stream = std::make_unique<StreamRequest>(StreamRequest{m.route, m.job_id, std::move(req), {}});
        co_return Response{};
    }
    co_return co_await handle_request(req, m, ctx);
}

// Reads and answers one request; false when the connection should close.
asio::awaitable<bool> HttpServer::Impl::serve_one(SessionState& state, beast::flat_buffer& buffer,
                                                  std::unique_ptr<StreamRequest>& stream_request) {
    auto& stream = state.stream;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config.max_header));
    parser.body_limit(config.max_body);
    state.idle = true;
    if (stopping) co_return false;
    stream.expires_after(config.header_timeout); // network timeouts are not scaled (operations.md lists what is)
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    state.idle = false;
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof)
        co_return false;
    auto timeout = std::chrono::milliseconds(response_timeout);
    if (ec == http::error::header_limit) {
        auto refusal = error_response(431, "request headers are too large"); // named: GCC 12, see sse.cpp
        co_await write_response(stream, refusal, false, timeout);
        co_return false;
    }
    if (ec == http::error::body_limit) { // a Content-Length over the limit is seen with the header
        auto refusal = body_too_large();
        co_await write_response(stream, refusal, false, timeout);
        co_return false;
    }
    if (ec) {
        auto refusal = error_response(400, "malformed HTTP request: " + ec.message());
        co_await write_response(stream, refusal, false, timeout);
        co_return false;
    }
    if (!parser.is_done()) {
        if (expects_continue(parser.get())) co_await async_send_continue(stream, timeout);
        stream.expires_after(body_timeout);
        auto [body_ec, m] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (body_ec == http::error::body_limit) {
            auto refusal = body_too_large();
            co_await write_response(stream, refusal, false, timeout);
            co_return false;
        }
        if (body_ec) co_return false;
    }
    stream.expires_never();
    auto started = std::chrono::steady_clock::now();
    auto id = std::to_string(++request_counter);
    bool keep_alive = parser.get().keep_alive();
    auto req = to_request(parser.release());
    Response res;
    std::string_view label = "unmatched";
    if (!req) {
        res = error_response(400, "malformed query string");
    } else {
        try {
            res = co_await answer(*req, stream_request, label);
        } catch (const actor::StoreUnavailable& e) {
            res = error_response(503, e.what());
        } catch (const std::exception& e) {
            log::error("request failed", {{"rid", id}, {"error", e.what()}});
            res = error_response(500, "Internal Server Error");
        }
    }
    if (stream_request) { // served by the session loop once this frame is gone
        stream_request->rid = std::move(id);
        co_return false;
    }
    if (req)
        for (auto& h : cors_headers(*req, config.cors_origins)) res.headers.push_back(std::move(h));
    std::string_view path = req ? std::string_view(req->path) : "?";
    std::string_view method = req ? std::string_view(req->method) : "?";
    res.headers.emplace_back("X-Request-Id", id);
    keep_alive = keep_alive && !stopping;
    auto bytes = res.body.size();
    bool written = co_await write_response(stream, res, keep_alive, timeout); // moves the body out
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    count_request(label, res.status, static_cast<double>(us.count()) / 1e6);
    log::access(id, method, path, res.status, bytes, us.count());
    co_return written && keep_alive;
}

asio::awaitable<void> HttpServer::Impl::serve_stream(beast::tcp_stream& stream, const StreamRequest& request) {
    try {
        if (request.route == Route::monitor_events) co_await serve_monitor_stream(stream, request.req, ctx);
        else co_await serve_job_stream(stream, request.req, request.job_id, ctx);
    } catch (const std::exception& e) {
        log::error("stream failed", {{"rid", request.rid}, {"error", e.what()}});
    }
    log::info("stream closed", {{"rid", request.rid}, {"method", request.req.method}, {"path", request.req.path}});
}

HttpServer::HttpServer(asio::io_context& io, const Config& config, actor::JobApi& jobs)
    : impl_(std::make_unique<Impl>(io, config, jobs)) {}

HttpServer::~HttpServer() = default;

void HttpServer::listen() {
    auto& c = impl_->config;
    boost::system::error_code ec;
    auto address = asio::ip::make_address(c.host, ec);
    if (ec) throw std::runtime_error("--listen: '" + c.host + "' is not an IP address");
    tcp::endpoint endpoint(address, c.port);
    auto& a = impl_->acceptor;
    a.open(endpoint.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(endpoint, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error("cannot listen on " + c.host + ":" + std::to_string(c.port) + ": " + ec.message());
    impl_->tokens.load();
    if (!address.is_loopback() && !impl_->tokens.enabled())
        log::warn("LISTENING ON A NON-LOOPBACK ADDRESS WITHOUT API TOKENS: anyone who can reach this port can "
                  "run agents on this machine; give --api-token-file",
                  {{"address", c.host}});
}

unsigned short HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::start() {
    asio::co_spawn(impl_->io, impl_->reload_loop(), asio::detached);
    asio::co_spawn(impl_->acceptor.get_executor(), impl_->accept_loop(), [](std::exception_ptr e) {
        if (e) log::error("the listener stopped unexpectedly");
    });
}

void HttpServer::stop_accepting() {
    impl_->stopping = true;
    asio::post(impl_->io, [impl = impl_.get()] {
        boost::system::error_code ec;
        impl->reload_signal.cancel(ec);
    });
    asio::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
        boost::system::error_code ec;
        impl->acceptor.close(ec);
    });
    std::lock_guard lock(impl_->sessions_mutex);
    for (auto& w : impl_->sessions)
        if (auto s = w.lock())
            asio::post(s->stream.get_executor(), [s] {
                if (s->idle) s->stream.cancel();
            });
}

asio::awaitable<void> HttpServer::async_wait_sessions(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (impl_->connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        timer.expires_after(std::chrono::milliseconds(10));
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

} // namespace omx::api
