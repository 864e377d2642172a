// Internals shared by the test HTTP and SSE clients: deadline-bound socket I/O, header helpers.
#include "tests/support/client_io.hpp"

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cctype>

namespace omx::test::detail {

OpResult connect_local(asio::io_context& ioc, tcp::socket& socket, std::uint16_t port,
                       Clock::time_point deadline, int receive_buffer) {
    error_code ignored;
    socket.close(ignored);
    socket.open(tcp::v4());
    if (receive_buffer > 0)
        socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
    auto result = await_op(ioc, socket, deadline, [&](auto handler) {
        socket.async_connect(endpoint, std::move(handler));
    });
    if (!result.ec) socket.set_option(tcp::no_delay(true), ignored);
    return result;
}

void throw_failure(std::string_view what, const OpResult& result,
                   std::chrono::milliseconds timeout) {
    if (result.timed_out())
        throw std::runtime_error(std::string(what) + " timed out after " +
                                 std::to_string(timeout.count()) + " ms");
    throw std::runtime_error(std::string(what) + " failed: " + result.ec.message());
}

bool is_disconnect(const error_code& ec) {
    namespace http = boost::beast::http;
    return ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == http::error::end_of_stream ||
           ec == http::error::partial_message;
}

std::chrono::milliseconds remaining(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return std::max(left, std::chrono::milliseconds(0));
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

Headers collect_headers(const boost::beast::http::fields& fields) {
    Headers out;
    for (const auto& field : fields) {
        auto [it, inserted] = out.emplace(lowercase(field.name_string()), field.value());
        if (!inserted) it->second.append(", ").append(field.value());
    }
    return out;
}

} // namespace omx::test::detail
