// The reconnecting client (store/redis/client.cpp) against a real
// redis-server that stops, comes back and hangs: commands fail at once while
// Redis is away (so writes can answer 503), is_up() follows Redis, and the
// client reconnects by itself with backoff.
#define BOOST_TEST_MODULE redis_client
#include "store/redis/client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/run_coroutine.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

namespace asio = boost::asio;
using namespace omx::redis;
using namespace std::chrono_literals;

namespace {

ClientOptions quick() {
    ClientOptions o;
    o.connect_timeout = 500ms;
    o.command_timeout = 300ms;
    o.backoff_base = 20ms;
    o.backoff_cap = 200ms;
    o.ping_interval = 50ms;
    return o;
}

// Waits (up to `limit`) until `pred` holds; returns whether it did.
template <class Pred>
asio::awaitable<bool> eventually(asio::any_io_executor ex, Pred pred, std::chrono::milliseconds limit) {
    asio::steady_timer t(ex);
    auto until = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until) co_return false;
        t.expires_after(10ms);
        co_await t.async_wait(asio::use_awaitable);
    }
    co_return true;
}

// The RedisError's message of a command that failed ("" if it did not).
asio::awaitable<std::string> failure_of_command(Client& client, std::vector<std::string> args) {
    try {
        co_await client.command(std::move(args));
    } catch (const RedisError& e) {
        co_return e.what();
    }
    co_return "";
}

template <class... Args>
asio::awaitable<std::string> failure_of(Client& client, const Args&... args) {
    return failure_of_command(client, std::vector<std::string>{std::string(args)...});
}

} // namespace

BOOST_AUTO_TEST_CASE(follows_redis_going_away_and_coming_back) {
    omx::test::RedisServer redis;
    omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        Endpoint where;
        where.port = redis.port();
        Client client(ex, where, quick());
        BOOST_TEST(!client.is_up());
        auto early = co_await failure_of(client, "PING"); // before the first connection: at once, no wait
        BOOST_TEST(early == "Redis is unreachable: not connected yet");
        client.start();
        BOOST_TEST_REQUIRE(co_await eventually(ex, [&] { return client.is_up(); }, 2s));
        std::vector<std::string> set{"SET", "k", "1"};
        auto ok = co_await client.command(std::move(set));
        BOOST_TEST(ok.text == "OK");

        redis.stop();
        BOOST_TEST(co_await eventually(ex, [&] { return !client.is_up(); }, 2s));
        // Refused without a try (no timeout, no reconnect attempt on the caller's time).
        auto down = co_await failure_of(client, "GET", "k");
        BOOST_TEST(down.find("Redis is unreachable: ") == 0u, down);
        BOOST_TEST(client.last_error().find("cannot connect to") == 0u, client.last_error());

        redis.start();
        BOOST_TEST_REQUIRE(co_await eventually(ex, [&] { return client.is_up(); }, 3s));
        std::vector<std::string> get{"GET", "k"};
        auto back = co_await client.command(std::move(get));
        BOOST_TEST(back.text == "1"); // appendfsync always: the SET survived the restart
        BOOST_TEST(client.last_error().empty());
        client.stop();
    });
}

BOOST_AUTO_TEST_CASE(a_hanging_redis_is_noticed_and_left_behind_once_it_answers_again) {
    omx::test::RedisServer redis;
    omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        Endpoint where;
        where.port = redis.port();
        Client client(ex, where, quick());
        client.start();
        BOOST_TEST_REQUIRE(co_await eventually(ex, [&] { return client.is_up(); }, 2s));
        redis.pause();
        auto hung = co_await failure_of(client, "PING");
        BOOST_TEST(hung == "no reply from Redis within 300 ms (to PING)");
        BOOST_TEST(!client.is_up());
        redis.resume();
        BOOST_TEST(co_await eventually(ex, [&] { return client.is_up(); }, 3s));
        std::vector<std::string> ping{"PING"};
        auto pong = co_await client.command(std::move(ping));
        BOOST_TEST(pong.text == "PONG");
        client.stop();
    });
}
