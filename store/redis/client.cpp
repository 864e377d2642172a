#include "store/redis/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace asio = boost::asio;

namespace omx::redis {

Client::Client(asio::any_io_executor executor, Endpoint where, ClientOptions options)
    : executor_(std::move(executor)), where_(std::move(where)), options_(options), wake_(executor_) {}

Client::~Client() { stop(); }

void Client::start() {
    if (running_) return;
    running_ = std::make_shared<bool>(true);
    asio::co_spawn(executor_, keep_connected(), asio::detached);
}

void Client::stop() {
    if (!running_) return;
    *running_ = false;
    running_.reset();
    wake_.cancel();
    connection_.reset();
}

bool Client::is_up() const { return connection_ && connection_->is_open(); }

Connection& Client::connection() {
    if (!is_up()) throw RedisError("Redis is unreachable: " + last_error_);
    return *connection_;
}

asio::awaitable<Reply> Client::command(std::vector<std::string> args) {
    Connection& c = connection();
    try {
        co_return co_await c.command(std::move(args), options_.command_timeout);
    } catch (const RedisError& e) {
        last_error_ = e.what();
        wake_.cancel(); // reconnect now, not at the next ping
        throw;
    }
}

asio::awaitable<std::unique_ptr<Connection>> Client::open_dedicated() {
    return Connection::open(executor_, where_, options_.connect_timeout);
}

// Connects, pings while connected, and reconnects after a loss with
// exponential backoff. Ends when stop() clears `running`.
asio::awaitable<void> Client::keep_connected() {
    auto running = running_;
    auto delay = options_.backoff_base;
    while (*running) {
        if (!is_up()) {
            bool connected = false;
            try {
                auto fresh = co_await Connection::open(executor_, where_, options_.connect_timeout);
                if (!*running) co_return;
                connection_ = std::move(fresh);
                last_error_.clear();
                delay = options_.backoff_base;
                connected = true;
            } catch (const RedisError& e) {
                if (!*running) co_return;
                connection_.reset();
                last_error_ = e.what();
            }
            first_attempt_done_ = true;
            if (!connected) {
                wake_.expires_after(delay);
                co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
                if (!*running) co_return; // the client may be gone: touch nothing of it
                delay = std::min(delay * 2, options_.backoff_cap);
                continue;
            }
        }
        wake_.expires_after(options_.ping_interval);
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!*running) co_return;
        if (!is_up()) continue;
        try {
            std::vector<std::string> ping{"PING"};
            co_await connection_->command(std::move(ping), options_.command_timeout);
        } catch (const RedisError& e) {
            if (!*running) co_return;
            last_error_ = e.what();
        }
    }
}

} // namespace omx::redis
