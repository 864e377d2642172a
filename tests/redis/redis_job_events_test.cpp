// A job's event stream and its lease in Redis (store/redis/job_events.cpp,
// lease.cpp) against a real redis-server: seq semantics like the file
// store's, appends refused to a second writer and to a fenced-off owner, a
// blocking reader that resumes from a Last-Event-ID with no gap and no
// duplicate, and scripts that survive a Redis restart.
#define BOOST_TEST_MODULE redis_job_events
#include "store/redis/job_events.hpp"
#include "store/redis/lease.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/run_coroutine.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

namespace asio = boost::asio;
using namespace omx::redis;
using namespace std::chrono_literals;

namespace {

constexpr auto timeout = std::chrono::milliseconds(5000);


asio::awaitable<std::unique_ptr<Connection>> connect(asio::any_io_executor ex, const omx::test::RedisServer& redis) {
    Endpoint e;
    e.port = redis.port();
    return Connection::open(ex, e, timeout);
}

std::vector<std::string> lines(std::uint64_t first, std::uint64_t last) {
    std::vector<std::string> out;
    for (auto s = first; s <= last; ++s) out.push_back("{\"seq\":" + std::to_string(s) + "}");
    return out;
}

std::vector<std::uint64_t> seqs(const std::vector<StoredEvent>& events) {
    std::vector<std::uint64_t> out;
    for (auto& e : events) {
        BOOST_TEST(e.line == "{\"seq\":" + std::to_string(e.seq) + "}");
        out.push_back(e.seq);
    }
    return out;
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
    std::vector<std::uint64_t> out;
    for (auto s = first; s <= last; ++s) out.push_back(s);
    return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(seq_runs_from_one_without_gaps_and_a_second_writer_is_refused) {
    omx::test::RedisServer redis;
    omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto c = co_await connect(ex, redis);
        JobEvents events;
        Leases leases;
        auto created = co_await events.append(*c, "j1", 1, lines(1, 2), std::nullopt);
        BOOST_TEST((created.result == AppendResult::appended));
        auto again = co_await events.append(*c, "j1", 1, lines(1, 1), std::nullopt); // a second creation
        BOOST_TEST((again.result == AppendResult::seq_conflict));
        BOOST_TEST(again.message == "the log ends at seq 2, the append starts at 1");

        auto owner = co_await leases.acquire(*c, "j1", "worker-a", 30s);
        BOOST_TEST_REQUIRE(owner.has_value());
        BOOST_TEST(owner->token == 1u);
        auto more = co_await events.append(*c, "j1", 3, lines(3, 5), owner->token);
        BOOST_TEST((more.result == AppendResult::appended), more.message);
        auto gap = co_await events.append(*c, "j1", 7, lines(7, 7), owner->token);
        BOOST_TEST((gap.result == AppendResult::seq_conflict));

        auto all = co_await events.read(*c, "j1", 0, 100);
        BOOST_TEST(seqs(all) == range(1, 5), boost::test_tools::per_element());
        auto tail = co_await events.read(*c, "j1", 3, 100);
        BOOST_TEST(seqs(tail) == range(4, 5), boost::test_tools::per_element());
        auto page = co_await events.read(*c, "j1", 1, 2);
        BOOST_TEST(seqs(page) == range(2, 3), boost::test_tools::per_element());
        auto none = co_await events.read(*c, "missing", 0, 100);
        BOOST_TEST(none.empty());
    });
}

BOOST_AUTO_TEST_CASE(an_expired_owner_is_fenced_off_by_its_successor) {
    omx::test::RedisServer redis;
    omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto c = co_await connect(ex, redis);
        JobEvents events;
        Leases leases;
        co_await events.append(*c, "j2", 1, lines(1, 1), std::nullopt);
        auto a = co_await leases.acquire(*c, "j2", "worker-a", 200ms);
        BOOST_TEST_REQUIRE(a.has_value());
        auto b_early = co_await leases.acquire(*c, "j2", "worker-b", 200ms);
        BOOST_TEST(!b_early.has_value()); // held
        BOOST_TEST(co_await leases.renew(*c, "j2", *a, 200ms));

        asio::steady_timer wait(ex, 400ms); // a stops renewing (paused, cut off)
        co_await wait.async_wait(asio::use_awaitable);
        auto b = co_await leases.acquire(*c, "j2", "worker-b", 30s);
        BOOST_TEST_REQUIRE(b.has_value());
        BOOST_TEST(b->token == a->token + 1);

        auto stale = co_await events.append(*c, "j2", 2, lines(2, 2), a->token);
        BOOST_TEST((stale.result == AppendResult::fenced));
        BOOST_TEST(stale.message == "the job is written by a newer owner (token 2, not 1)");
        BOOST_TEST(!(co_await leases.renew(*c, "j2", *a, 200ms)));
        co_await leases.release(*c, "j2", *a); // not a's any more: nothing happens
        auto fresh = co_await events.append(*c, "j2", 2, lines(2, 2), b->token);
        BOOST_TEST((fresh.result == AppendResult::appended));

        co_await leases.release(*c, "j2", *b);
        auto c2 = co_await leases.acquire(*c, "j2", "worker-c", 30s);
        BOOST_TEST_REQUIRE(c2.has_value());
        BOOST_TEST(c2->token == 3u);
    });
}

BOOST_AUTO_TEST_CASE(a_blocking_reader_resumes_from_its_last_event_with_no_gap_and_no_duplicate) {
    omx::test::RedisServer redis;
    auto received = omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<std::vector<std::uint64_t>> {
        auto writer = co_await connect(ex, redis);
        std::shared_ptr<Connection> reader_connection = co_await connect(ex, redis);
        auto events = std::make_shared<JobEvents>();
        co_await events->append(*writer, "j3", 1, lines(1, 4), std::nullopt);
        auto got = std::make_shared<std::vector<std::uint64_t>>();
        auto done = std::make_shared<bool>(false);
        // A client that saw seq 2 (its Last-Event-ID) reconnects and follows.
        asio::co_spawn(ex, [reader_connection, events, got, done]() -> asio::awaitable<void> {
            std::uint64_t last = 2;
            while (last < 30) {
                auto batch = co_await events->wait(*reader_connection, "j3", last, 7, 2000ms);
                for (auto& e : batch) got->push_back(e.seq);
                if (!batch.empty()) last = batch.back().seq;
            }
            *done = true;
        }, asio::detached);
        asio::steady_timer pause(ex);
        for (std::uint64_t next = 5; next < 30; next += 2) { // 5-6 … 29-30, with pauses
            pause.expires_after(10ms);
            co_await pause.async_wait(asio::use_awaitable);
            auto r = co_await events->append(*writer, "j3", next, lines(next, next + 1), std::nullopt);
            BOOST_TEST((r.result == AppendResult::appended), r.message);
        }
        while (!*done) {
            pause.expires_after(5ms);
            co_await pause.async_wait(asio::use_awaitable);
        }
        co_return *got;
    });
    BOOST_TEST(received == range(3, 30), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(appends_work_again_after_redis_restarts_and_aof_kept_every_answered_event) {
    omx::test::RedisServer redis;
    omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        JobEvents events; // its loaded script is gone from Redis after the restart
        {
            auto c = co_await connect(ex, redis);
            co_await events.append(*c, "j4", 1, lines(1, 3), std::nullopt);
        }
        redis.kill(); // SIGKILL: only what the AOF (appendfsync always) has survives
        redis.start();
        auto c = co_await connect(ex, redis);
        auto r = co_await events.append(*c, "j4", 4, lines(4, 4), std::nullopt);
        BOOST_TEST((r.result == AppendResult::appended), r.message);
        auto all = co_await events.read(*c, "j4", 0, 100);
        BOOST_TEST(seqs(all) == range(1, 4), boost::test_tools::per_element());
    });
}
