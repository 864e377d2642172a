// One connection to Redis. Commands from any number of coroutines are
// pipelined: each is written as it comes, and the replies, which Redis sends
// in order, are handed back in order. hiredis encodes the commands and parses
// the replies (no protocol code of ours); the socket is Asio's, and all of a
// connection's work runs on its own strand.
//
// A blocking command (XREAD BLOCK) holds every command queued behind it:
// give blocking readers a connection of their own.
#pragma once

#include "store/redis/endpoint.hpp"
#include "store/redis/reply.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace omx::redis {

// How long the store's own (non-blocking) commands may take.
inline constexpr std::chrono::seconds command_timeout{10};

class Connection {
public:
    // Connects (within `timeout`), then AUTH and SELECT as the endpoint says.
    // Throws RedisError.
    static boost::asio::awaitable<std::unique_ptr<Connection>> open(boost::asio::any_io_executor executor,
                                                                    Endpoint where,
                                                                    std::chrono::milliseconds timeout);
    ~Connection(); // closes
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Redis's reply; an error reply is a Reply, not an exception. Throws
    // RedisError when the connection is or becomes unusable, or when no reply
    // came within `timeout` — the connection is then closed, since any later
    // reply would be out of step.
    boost::asio::awaitable<Reply> command(std::vector<std::string> args, std::chrono::milliseconds timeout);

    // False once the connection failed or was closed.
    bool is_open() const;
    // Fails every waiting command with `why` and closes the socket.
    void close(const std::string& why);

    struct State;

private:
    explicit Connection(std::shared_ptr<State> state);
    std::shared_ptr<State> state_;
};

// call(c, timeout, "SET", key, value): the arguments gathered here, outside
// the caller's coroutine (GCC 12 miscompiles a braced list inside co_await).
template <class... Args>
boost::asio::awaitable<Reply> call(Connection& c, std::chrono::milliseconds timeout, const Args&... args) {
    return c.command(std::vector<std::string>{std::string(args)...}, timeout);
}

} // namespace omx::redis
