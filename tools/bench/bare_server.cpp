// bare-server: the baseline of the get and sse scenarios (performance.md). A
// minimal Boost.Beast coroutine HTTP/1.1 server on one thread:
//   GET /events     holds the connection as text/event-stream
//   POST /publish   sends one frame (its body as `data:`) to every held
//                   connection, answers 204
//   any other GET   a fixed JSON body of --body-bytes bytes, keep-alive
// Usage: bare-server [--listen HOST:PORT] [--body-bytes N]
// Logs "listening on http://HOST:PORT" to stderr once it accepts.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <list>
#include <memory>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct Subscriber {
    explicit Subscriber(tcp::socket& s) : socket(s), wake(s.get_executor()) {}
    tcp::socket& socket;
    asio::steady_timer wake;
    std::deque<std::shared_ptr<const std::string>> queue;
    bool closed = false;
    char probe[64];
};

struct Server {
    std::string body;
    std::list<std::shared_ptr<Subscriber>> subscribers;
    std::uint64_t seq = 0;

    void publish(const std::string& data) {
        auto frame = std::make_shared<const std::string>("id: " + std::to_string(++seq) +
                                                         "\nevent: team.mailbox.received\ndata: " + data + "\n\n");
        for (auto& s : subscribers) {
            s->queue.push_back(frame);
            s->wake.cancel();
        }
    }
};

asio::awaitable<void> serve_events(tcp::socket& socket, Server& server) {
    static const std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "X-Accel-Buffering: no\r\nConnection: close\r\n\r\nretry: 2000\n\n";
    auto head_buffer = asio::buffer(head);
    auto [ec, n] = co_await asio::async_write(socket, head_buffer, use_tuple);
    if (ec) co_return;
    auto sub = std::make_shared<Subscriber>(socket);
    auto entry = server.subscribers.insert(server.subscribers.end(), sub);
    // A client that goes away is noticed at once, not at the next publish.
    auto probe = asio::buffer(sub->probe);
    socket.async_read_some(probe, [sub](boost::system::error_code, std::size_t) {
        sub->closed = true;
        sub->wake.cancel();
    });
    while (!sub->closed) {
        while (!sub->queue.empty() && !sub->closed) {
            auto frame = sub->queue.front();
            auto data = asio::buffer(*frame);
            auto [wec, wn] = co_await asio::async_write(socket, data, use_tuple);
            if (wec) sub->closed = true;
            else sub->queue.pop_front();
        }
        if (sub->closed) break;
        sub->wake.expires_at(asio::steady_timer::time_point::max());
        co_await sub->wake.async_wait(use_tuple);
    }
    server.subscribers.erase(entry);
    boost::system::error_code ignored;
    socket.close(ignored); // the probe's handler runs with an error and releases its share
}

asio::awaitable<void> session(tcp::socket socket, Server& server) {
    beast::flat_buffer buffer;
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    for (;;) {
        http::request<http::string_body> req;
        auto [ec, n] = co_await http::async_read(socket, buffer, req, use_tuple);
        if (ec) break;
        if (req.method() == http::verb::get && req.target() == "/events") {
            co_await serve_events(socket, server);
            co_return;
        }
        http::response<http::string_body> res{http::status::ok, req.version()};
        res.keep_alive(req.keep_alive());
        if (req.method() == http::verb::post && req.target() == "/publish") {
            server.publish(req.body());
            res.result(http::status::no_content);
        } else {
            res.set(http::field::content_type, "application/json");
            res.body() = server.body;
            res.prepare_payload();
        }
        auto [wec, wn] = co_await http::async_write(socket, res, use_tuple);
        if (wec || !req.keep_alive()) break;
    }
    socket.shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, Server& server) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (ec) {
            if (ec == asio::error::operation_aborted) co_return;
            continue; // e.g. out of files: keep serving the others
        }
        asio::co_spawn(acceptor.get_executor(), session(std::move(socket), server), asio::detached);
    }
}

std::string json_body(std::size_t bytes) {
    std::string head = "{\"ok\":true,\"pad\":\"", tail = "\"}";
    std::size_t fixed = head.size() + tail.size();
    return head + std::string(bytes > fixed ? bytes - fixed : 0, 'x') + tail;
}

int usage() {
    std::cerr << "usage: bare-server [--listen HOST:PORT] [--body-bytes N]\n";
    return 64;
}

} // namespace

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    std::size_t body_bytes = 31;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--listen" && i + 1 < argc) {
            std::string v = argv[++i];
            auto colon = v.rfind(':');
            if (colon == std::string::npos) return usage();
            host = v.substr(0, colon);
            port = static_cast<unsigned short>(std::atoi(v.c_str() + colon + 1));
        } else if (a == "--body-bytes" && i + 1 < argc) {
            body_bytes = static_cast<std::size_t>(std::atol(argv[++i]));
        } else {
            return usage();
        }
    }
    std::signal(SIGPIPE, SIG_IGN);
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &r);
    }
    asio::io_context io(1);
    Server server{json_body(body_bytes), {}, 0};
    tcp::acceptor acceptor(io);
    tcp::endpoint endpoint(asio::ip::make_address(host), port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { io.stop(); });
    asio::co_spawn(io, accept_loop(acceptor, server), asio::detached);
    std::cerr << "listening on http://" << host << ":" << acceptor.local_endpoint().port() << " (body "
              << server.body.size() << " B)" << std::endl;
    io.run();
    return 0;
}
