// The Redis connection (store/redis/connection.cpp) against a real
// redis-server: replies of every type, binary-safe arguments, pipelining from
// many coroutines at once, a blocking XREAD on its own connection, a server
// that dies, pauses or wants a password, and the URL parser.
#define BOOST_TEST_MODULE redis_connection
#include "store/redis/connection.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/run_coroutine.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <future>
#include <set>

namespace asio = boost::asio;
using namespace omx::redis;
using namespace std::chrono_literals;

namespace {

constexpr auto timeout = std::chrono::milliseconds(5000);

Endpoint local(std::uint16_t port) {
    Endpoint e;
    e.port = port;
    return e;
}


} // namespace

BOOST_AUTO_TEST_CASE(replies_of_every_type_and_binary_safe_arguments) {
    omx::test::RedisServer redis;
    omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto c = co_await Connection::open(ex, local(redis.port()), timeout);
        std::string binary("a\r\nb\0c $3\r\n", 12);
        auto set = co_await call(*c, timeout, "SET", "k", binary);
        BOOST_TEST((set.type == Reply::Type::status));
        BOOST_TEST(set.text == "OK");
        auto get = co_await call(*c, timeout, "GET", "k");
        BOOST_TEST((get.type == Reply::Type::string));
        BOOST_TEST(get.text == binary);
        auto missing = co_await call(*c, timeout, "GET", "nothing");
        BOOST_TEST(missing.is_nil());
        auto n = co_await call(*c, timeout, "INCRBY", "n", "41");
        BOOST_TEST(n.as_integer().value() == 41);
        auto wrong = co_await call(*c, timeout, "INCR", "k"); // not a number: an error reply, not an exception
        BOOST_TEST(wrong.is_error());
        BOOST_TEST(wrong.text.find("not an integer") != std::string::npos, wrong.text);
        auto unknown = co_await call(*c, timeout, "NO-SUCH-COMMAND");
        BOOST_TEST(unknown.is_error());
        co_await call(*c, timeout, "RPUSH", "l", "x", "y");
        auto list = co_await call(*c, timeout, "LRANGE", "l", "0", "-1");
        BOOST_TEST_REQUIRE(list.is_array());
        BOOST_TEST(list.describe() == "[x, y]");
        BOOST_TEST(c->is_open()); // error replies leave the connection usable
    });
}

BOOST_AUTO_TEST_CASE(concurrent_commands_are_pipelined_and_answered_in_order) {
    omx::test::RedisServer redis;
    constexpr int workers = 50, each = 40;
    auto seen = omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<std::set<long long>> {
        std::shared_ptr<Connection> c = co_await Connection::open(ex, local(redis.port()), timeout);
        auto values = std::make_shared<std::set<long long>>();
        auto mismatches = std::make_shared<int>(0);
        auto done = std::make_shared<int>(0);
        for (int w = 0; w < workers; ++w)
            asio::co_spawn(ex, [c, values, mismatches, done, w]() -> asio::awaitable<void> {
                for (int i = 0; i < each; ++i) {
                    std::string key = "w" + std::to_string(w);
                    auto incr = co_await call(*c, timeout, "INCR", "counter");
                    values->insert(incr.as_integer().value_or(-1));
                    auto set = co_await call(*c, timeout, "SET", key, std::to_string(i));
                    auto get = co_await call(*c, timeout, "GET", key);
                    if (set.text != "OK" || get.text != std::to_string(i)) ++*mismatches;
                }
                ++*done;
            }, asio::detached);
        asio::steady_timer wait(ex);
        while (*done < workers) {
            wait.expires_after(5ms);
            co_await wait.async_wait(asio::use_awaitable);
        }
        BOOST_TEST(*mismatches == 0);
        co_return *values;
    });
    BOOST_TEST(seen.size() == static_cast<std::size_t>(workers * each)); // every INCR got its own reply
    BOOST_TEST(*seen.begin() == 1);
    BOOST_TEST(*seen.rbegin() == workers * each);
}

BOOST_AUTO_TEST_CASE(a_blocking_read_on_its_own_connection_gets_what_another_adds) {
    omx::test::RedisServer redis;
    omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        std::shared_ptr<Connection> reader = co_await Connection::open(ex, local(redis.port()), timeout);
        auto writer = co_await Connection::open(ex, local(redis.port()), timeout);
        auto got = std::make_shared<Reply>();
        auto finished = std::make_shared<bool>(false);
        asio::co_spawn(ex, [reader, got, finished]() -> asio::awaitable<void> {
            *got = co_await call(*reader, timeout, "XREAD", "BLOCK", "3000", "STREAMS", "s", "$");
            *finished = true;
        }, asio::detached);
        asio::steady_timer wait(ex, 100ms);
        co_await wait.async_wait(asio::use_awaitable);
        BOOST_TEST(!*finished); // still blocked
        auto id = co_await call(*writer, timeout, "XADD", "s", "7-0", "data", "hello");
        BOOST_TEST(id.text == "7-0");
        while (!*finished) {
            wait.expires_after(5ms);
            co_await wait.async_wait(asio::use_awaitable);
        }
        // [[s, [[7-0, [data, hello]]]]]
        BOOST_TEST(got->describe() == "[[s, [[7-0, [data, hello]]]]]");
    });
}

BOOST_AUTO_TEST_CASE(a_dead_server_fails_waiting_and_later_commands_and_aof_keeps_what_was_answered) {
    omx::test::RedisServer redis;
    omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        std::shared_ptr<Connection> c = co_await Connection::open(ex, local(redis.port()), timeout);
        co_await call(*c, timeout, "SET", "kept", "yes");
        // A blocked command is waiting when the server dies.
        auto failure = std::make_shared<std::string>();
        auto finished = std::make_shared<bool>(false);
        asio::co_spawn(ex, [c, failure, finished]() -> asio::awaitable<void> {
            try {
                co_await call(*c, timeout, "BLPOP", "never", "10");
            } catch (const RedisError& e) {
                *failure = e.what();
            }
            *finished = true;
        }, asio::detached);
        asio::steady_timer wait(ex, 100ms);
        co_await wait.async_wait(asio::use_awaitable);
        redis.kill();
        while (!*finished) {
            wait.expires_after(5ms);
            co_await wait.async_wait(asio::use_awaitable);
        }
        BOOST_TEST(failure->find("Redis closed the connection") != std::string::npos, *failure);
        BOOST_TEST(!c->is_open());
        std::string later;
        try {
            co_await call(*c, timeout, "PING");
        } catch (const RedisError& e) {
            later = e.what();
        }
        BOOST_TEST(!later.empty());

        std::string refused;
        try {
            co_await Connection::open(ex, local(redis.port()), timeout);
        } catch (const RedisError& e) {
            refused = e.what();
        }
        BOOST_TEST(refused.find("cannot connect to redis://127.0.0.1:" + std::to_string(redis.port())) == 0u, refused);

        redis.start(); // same directory: the AOF is replayed
        auto again = co_await Connection::open(ex, local(redis.port()), timeout);
        auto kept = co_await call(*again, timeout, "GET", "kept");
        BOOST_TEST(kept.text == "yes");
    });
}

BOOST_AUTO_TEST_CASE(a_silent_server_times_the_command_out_and_closes_the_connection) {
    omx::test::RedisServer redis;
    omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto c = co_await Connection::open(ex, local(redis.port()), timeout);
        redis.pause();
        std::string error;
        try {
            co_await call(*c, 200ms, "PING");
        } catch (const RedisError& e) {
            error = e.what();
        }
        redis.resume();
        BOOST_TEST(error == "no reply from Redis within 200 ms (to PING)");
        BOOST_TEST(!c->is_open());
    });
}

BOOST_AUTO_TEST_CASE(credentials_and_database_from_the_url) {
    omx::test::RedisServer redis;
    omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto admin = co_await Connection::open(ex, local(redis.port()), timeout);
        co_await call(*admin, timeout, "SET", "where", "db0");
        auto set = co_await call(*admin, timeout, "CONFIG", "SET", "requirepass", "s3cr:t@x");
        BOOST_TEST(set.text == "OK");

        auto parsed = parse_url("redis://:s3cr%3At%40x@127.0.0.1:" + std::to_string(redis.port()) + "/2");
        BOOST_TEST_REQUIRE(std::holds_alternative<Endpoint>(parsed));
        auto c = co_await Connection::open(ex, std::get<Endpoint>(parsed), timeout);
        co_await call(*c, timeout, "SET", "where", "db2");
        auto in2 = co_await call(*c, timeout, "GET", "where");
        BOOST_TEST(in2.text == "db2");

        auto wrong = std::get<Endpoint>(parsed);
        wrong.password = "guess";
        std::string error;
        try {
            co_await Connection::open(ex, wrong, timeout);
        } catch (const RedisError& e) {
            error = e.what();
        }
        BOOST_TEST(error.find("Redis refused the credentials") == 0u, error);
    });
}

BOOST_AUTO_TEST_CASE(url_parsing) {
    auto ok = [](const std::string& url) {
        auto r = parse_url(url);
        auto* problem = std::get_if<std::string>(&r);
        BOOST_TEST_REQUIRE(!problem, url + ": " + (problem ? *problem : ""));
        return std::get<Endpoint>(r);
    };
    auto bad = [](const std::string& url) {
        auto r = parse_url(url);
        BOOST_TEST_REQUIRE(std::holds_alternative<std::string>(r), url);
        return std::get<std::string>(r);
    };
    auto plain = ok("redis://cache.internal");
    BOOST_TEST(plain.host == "cache.internal");
    BOOST_TEST(plain.port == 6379);
    BOOST_TEST(plain.db == 0);
    BOOST_TEST(!plain.password);
    auto full = ok("redis://omx:p%40ss@10.0.0.5:6380/3");
    BOOST_TEST(*full.user == "omx");
    BOOST_TEST(*full.password == "p@ss");
    BOOST_TEST(full.port == 6380);
    BOOST_TEST(full.db == 3);
    BOOST_TEST(full.display() == "redis://10.0.0.5:6380/3"); // no credentials in logs
    auto v6 = ok("redis://[::1]:7000");
    BOOST_TEST(v6.host == "::1");
    BOOST_TEST(v6.display() == "redis://[::1]:7000/0");
    BOOST_TEST(*ok("redis://onlypassword@h").password == "onlypassword");
    BOOST_TEST(bad("http://h").find("starts with redis://") != std::string::npos);
    BOOST_TEST(bad("redis://h:99999").find("not a port number") != std::string::npos);
    BOOST_TEST(bad("redis://h:6379/x").find("database is not a number") != std::string::npos);
    BOOST_TEST(bad("redis://:6379").find("names no host") != std::string::npos);
    BOOST_TEST(bad("redis://a:%zz@h").find("%-escape") != std::string::npos);
}
