// The server's way to Redis: one shared, pipelined connection kept open in
// the background — reconnected with exponential backoff when it is lost, and
// checked with a PING every second — plus dedicated connections for blocking
// readers. While Redis is unreachable, commands fail at once with RedisError
// (the API answers 503) instead of waiting; is_up() feeds /v1/readyz.
#pragma once

#include "store/redis/connection.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace omx::redis {

struct ClientOptions {
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds command_timeout{5000};
    std::chrono::milliseconds backoff_base{100}; // first retry delay, doubled per failure
    std::chrono::milliseconds backoff_cap{5000};
    std::chrono::milliseconds ping_interval{1000};
};

class Client {
public:
    // Runs on `executor`; call its members from there.
    Client(boost::asio::any_io_executor executor, Endpoint where, ClientOptions options = {});
    ~Client();

    // Starts connecting in the background (and keeps the connection up until stop()).
    void start();
    void stop();

    // Throws RedisError at once while there is no connection.
    boost::asio::awaitable<Reply> command(std::vector<std::string> args);
    Connection& connection(); // the shared connection; throws RedisError while there is none

    // A connection of its own, for a blocking reader. Throws RedisError.
    boost::asio::awaitable<std::unique_ptr<Connection>> open_dedicated();

    bool is_up() const;
    // The first connection attempt after start() succeeded or failed.
    bool first_attempt_done() const { return first_attempt_done_; }
    // Why Redis is not reachable ("" while it is).
    const std::string& last_error() const { return last_error_; }

private:
    boost::asio::awaitable<void> keep_connected();

    boost::asio::any_io_executor executor_;
    Endpoint where_;
    ClientOptions options_;
    std::unique_ptr<Connection> connection_;
    std::string last_error_ = "not connected yet";
    boost::asio::steady_timer wake_; // the keeper's sleep; cancelled to look again at once
    std::shared_ptr<bool> running_;  // shared with the keeper coroutine
    bool first_attempt_done_ = false;
};

} // namespace omx::redis
