// Internals shared by the test HTTP and SSE clients: deadline-bound socket I/O, header helpers.
#pragma once

#include "tests/support/http_client.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace omx::test::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

// Outcome of one operation; ec is asio::error::timed_out when its deadline passed.
struct OpResult {
    error_code ec;
    std::size_t bytes = 0;
    bool timed_out() const { return ec == asio::error::timed_out; }
};

// Runs ioc until done() or the deadline. At the deadline cancels the socket's
// operations (the connection stays open), runs their handlers to completion
// and returns false.
template <class Done>
bool run_until(asio::io_context& ioc, tcp::socket& socket, Clock::time_point deadline, Done done) {
    ioc.restart();
    while (!done() && Clock::now() < deadline) {
        if (ioc.run_one_until(deadline) == 0 && ioc.stopped() && !done())
            throw std::logic_error("omx::test: waiting with no operation pending");
    }
    if (!done()) ioc.poll(); // completions that were ready right at the deadline
    if (done()) return true;
    error_code ignored;
    socket.cancel(ignored);
    ioc.restart();
    ioc.run();
    return false;
}

// Starts one async operation, passing it a completion handler, and waits for it.
template <class Start>
OpResult await_op(asio::io_context& ioc, tcp::socket& socket, Clock::time_point deadline,
                  Start&& start) {
    OpResult result;
    bool done = false;
    start([&](error_code ec, auto... bytes) {
        result.ec = ec;
        ((result.bytes = bytes), ...);
        done = true;
    });
    if (!run_until(ioc, socket, deadline, [&] { return done; })) result.ec = asio::error::timed_out;
    return result;
}

// Reads a socket until EOF, reset or cancellation, appending what it reads to
// out (or only counting it if out is null).
class RawReader {
  public:
    RawReader(tcp::socket& socket, std::string* out) : socket_(socket), out_(out) {}
    bool done = false;
    error_code ec;
    std::size_t total = 0;

    void start() {
        socket_.async_read_some(asio::buffer(buf_, sizeof buf_),
                                [this](error_code e, std::size_t n) {
                                    total += n;
                                    if (out_ != nullptr) out_->append(buf_, n);
                                    if (e) {
                                        ec = e;
                                        done = true;
                                    } else {
                                        start();
                                    }
                                });
    }

  private:
    tcp::socket& socket_;
    std::string* out_;
    char buf_[16384];
};

// Opens socket (with SO_RCVBUF set first if receive_buffer > 0) and connects
// it to 127.0.0.1:port with TCP_NODELAY.
OpResult connect_local(asio::io_context& ioc, tcp::socket& socket, std::uint16_t port,
                       Clock::time_point deadline, int receive_buffer = 0);

// Throws std::runtime_error: "<what> timed out after N ms" or "<what> failed: <error>".
[[noreturn]] void throw_failure(std::string_view what, const OpResult& result,
                                std::chrono::milliseconds timeout);

// Peer closed or reset the connection (possibly mid-message).
bool is_disconnect(const error_code& ec);

std::chrono::milliseconds remaining(Clock::time_point deadline);

std::string lowercase(std::string_view s);

// Header fields by lowercase name; repeated fields joined with ", ".
Headers collect_headers(const boost::beast::http::fields& fields);

} // namespace omx::test::detail
