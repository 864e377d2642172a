// The HTTP/1.1 server: listener, per-connection session coroutines with
// keep-alive, limits (headers, body, connections), a header-read timeout, and
// staged shutdown. Beast lives behind this header.
#pragma once

#include "runtime/config.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>

namespace omx::actor {
class JobApi;
}

namespace omx::api {

class HttpServer {
public:
    HttpServer(boost::asio::io_context& io, const Config& config, actor::JobApi& jobs);
    ~HttpServer();

    // Binds and listens; throws std::runtime_error with a one-line reason.
    void listen();
    unsigned short port() const;
    void start();
    // Stage 1 of shutdown: no new connections; idle keep-alive connections closed.
    void stop_accepting();
    // Stage 2: wait (at most `timeout`) for the sessions still answering.
    boost::asio::awaitable<void> async_wait_sessions(std::chrono::milliseconds timeout);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace omx::api
