// Job records, indexes, idempotency keys and the work queue in Redis
// (store/redis/records.cpp, work_queue.cpp) against a real redis-server:
// compare-and-set versions, status indexes that follow the record, a second
// claim of an idempotency key, and queue entries a dead worker left taken
// over by another.
#define BOOST_TEST_MODULE redis_records_queue
#include "store/redis/records.hpp"
#include "store/redis/work_queue.hpp"
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

asio::awaitable<std::unique_ptr<Connection>> connect(asio::any_io_executor ex, const omx::test::RedisServer& redis) {
    Endpoint e;
    e.port = redis.port();
    return Connection::open(ex, e, std::chrono::milliseconds(5000));
}

std::vector<std::string> job_ids(const std::vector<QueueEntry>& entries) {
    std::vector<std::string> out;
    for (auto& e : entries) out.push_back(e.job_id);
    return out;
}

using Ids = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_CASE(records_are_compare_and_set_and_the_indexes_follow_them) {
    omx::test::RedisServer redis;
    omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto c = co_await connect(ex, redis);
        Records records;
        // (Values are named before each co_await: GCC 12 rejects braced lists inside one.)
        const RecordIndexing a_queued{"queued", 1000, 1000}, a_again{"queued", 1000, 1001},
            b_queued{"queued", 2000, 2000}, a_running{"running", 1000, 3000}, a_failed{"failed", 1000, 3001};
        BOOST_TEST(co_await records.put(*c, "a", 0, R"({"id":"a","v":1})", a_queued));
        BOOST_TEST(!(co_await records.put(*c, "a", 0, R"({"id":"a","stale":true})", a_again)));
        BOOST_TEST(co_await records.put(*c, "b", 0, R"({"id":"b"})", b_queued));
        BOOST_TEST(co_await records.put(*c, "a", 1, R"({"id":"a","v":2})", a_running));
        BOOST_TEST(!(co_await records.put(*c, "a", 1, R"({"id":"a","v":"lost"})", a_failed)));

        auto a = co_await records.get(*c, "a");
        BOOST_TEST_REQUIRE(a.has_value());
        BOOST_TEST(a->version == 2u);
        BOOST_TEST(a->json == R"({"id":"a","v":2})");
        BOOST_TEST(!(co_await records.get(*c, "missing")).has_value());

        const Ids both{"b", "a"}, only_b{"b"}, only_a{"a"};
        const std::optional<ListPosition> from_the_start;
        auto ids = [](const std::vector<ListPosition>& positions) {
            Ids out;
            for (auto& p : positions) out.push_back(p.id);
            return out;
        };
        auto all = co_await records.list(*c, "", from_the_start, 10);
        BOOST_TEST(ids(all) == both, boost::test_tools::per_element());
        auto queued = co_await records.list(*c, "queued", from_the_start, 10);
        BOOST_TEST(ids(queued) == only_b, boost::test_tools::per_element());
        auto running = co_await records.list(*c, "running", from_the_start, 10);
        BOOST_TEST(ids(running) == only_a, boost::test_tools::per_element());
        const std::optional<ListPosition> after_b = all.front();
        auto second_page = co_await records.list(*c, "", after_b, 10);
        BOOST_TEST(ids(second_page) == only_a, boost::test_tools::per_element());
        // A cursor survives the round trip through its text.
        auto cursor = parse_cursor(to_cursor(all.front()));
        BOOST_TEST_REQUIRE(cursor.has_value());
        BOOST_TEST(cursor->id == "b");
        BOOST_TEST(cursor->score == all.front().score);
        BOOST_TEST(!parse_cursor("12").has_value());
        BOOST_TEST(!parse_cursor("x:b").has_value());

        // Jobs created in the same millisecond: paged one by one, each once.
        const RecordIndexing same_ms{"queued", 5000, 5000};
        for (const std::string id : {"t1", "t3", "t2"}) BOOST_TEST(co_await records.put(*c, id, 0, "{}", same_ms));
        Ids paged;
        std::optional<ListPosition> after;
        for (int n = 0; n < 10; ++n) {
            auto page = co_await records.list(*c, "", after, 1);
            if (page.empty()) break;
            paged.push_back(page.front().id);
            after = page.front();
        }
        const Ids newest_first{"t3", "t2", "t1", "b", "a"};
        BOOST_TEST(paged == newest_first, boost::test_tools::per_element());

        std::string refused;
        try {
            const RecordIndexing bad{"exploded", 0, 0};
            co_await records.put(*c, "a", 2, "{}", bad);
        } catch (const RedisError& e) {
            refused = e.what();
        }
        BOOST_TEST(refused == "not a job status: exploded");
    });
}

BOOST_AUTO_TEST_CASE(a_lease_holder_writes_by_its_fencing_token_and_the_sums_follow_the_records) {
    omx::test::RedisServer redis;
    omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto c = co_await connect(ex, redis);
        Records records;
        const RecordIndexing created{"queued", 1000, 1000, 0, 0, 0}, by_old{"running", 1000, 2000, 10, 5, 15},
            by_new{"running", 1000, 3000, 20, 10, 30}, stale{"failed", 1000, 4000, 1, 1, 2};
        BOOST_TEST(co_await records.put(*c, "j", 0, "{}", created));
        auto fence = co_await call(*c, std::chrono::seconds(5), "SET", "omx:job:{j}:fence", "1");
        // (Tokens and strings named before each co_await: GCC 12 mishandles temporaries inside one.)
        const std::optional<std::uint64_t> token1 = 1, token2 = 2;
        const std::string any_status, running_status = "running";
        BOOST_TEST(co_await records.put(*c, "j", 1, R"({"by":"owner 1"})", by_old, token1));
        // Owner 2 took over (token 2) having read version 1; owner 1's late write made it 2 meanwhile.
        fence = co_await call(*c, std::chrono::seconds(5), "SET", "omx:job:{j}:fence", "2");
        BOOST_TEST(co_await records.put(*c, "j", 1, R"({"by":"owner 2"})", by_new, token2));
        BOOST_TEST(!(co_await records.put(*c, "j", 3, R"({"by":"owner 1 again"})", stale, token1)));
        auto j = co_await records.get(*c, "j");
        BOOST_TEST_REQUIRE(j.has_value());
        BOOST_TEST(j->json == R"({"by":"owner 2"})");
        BOOST_TEST(j->version == 3u);
        // The token sums hold the last written usage of each job, once.
        const RecordIndexing other{"succeeded", 2000, 2000, 1, 2, 3};
        BOOST_TEST(co_await records.put(*c, "k", 0, "{}", other));
        auto sums = co_await Records::token_sums(*c);
        BOOST_TEST(sums.input == 21);
        BOOST_TEST(sums.output == 12);
        BOOST_TEST(sums.total == 33);
        BOOST_TEST(sums.jobs_with_usage == 2);
        BOOST_TEST(sums.jobs_without_usage == 0);
        BOOST_TEST(co_await Records::count(*c, running_status) == 1);
        BOOST_TEST(co_await Records::count(*c, any_status) == 2);
    });
}

BOOST_AUTO_TEST_CASE(an_idempotency_key_names_the_first_job_to_claim_it) {
    omx::test::RedisServer redis;
    omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto c = co_await connect(ex, redis);
        const IdempotencyHit one{"job-1", "hash-1"}, two{"job-2", "hash-2"};
        auto first = co_await Records::claim_key(*c, "k-1", one);
        BOOST_TEST(!first.has_value());
        auto second = co_await Records::claim_key(*c, "k-1", two);
        BOOST_TEST_REQUIRE(second.has_value());
        BOOST_TEST(second->job_id == "job-1");
        BOOST_TEST(second->request_hash == "hash-1");
        std::vector<std::string> ttl{"TTL", "omx:idem:k-1"};
        auto left = co_await c->command(std::move(ttl), std::chrono::milliseconds(5000));
        BOOST_TEST(left.as_integer().value_or(0) > 86000);
    });
}

BOOST_AUTO_TEST_CASE(queued_jobs_a_dead_worker_took_are_taken_over_by_another) {
    omx::test::RedisServer redis;
    omx::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto c = co_await connect(ex, redis);
        co_await run_queue().ensure(*c);
        co_await run_queue().ensure(*c); // a second worker starting: the group exists already
        const std::vector<std::string> jobs{"j1", "j2", "j3"};
        for (auto& id : jobs) co_await run_queue().enqueue(*c, id);
        const Ids first_two{"j1", "j2"}, third{"j3"}, fourth{"j4"};

        auto a = co_await run_queue().take_new(*c, "worker-a", 2, 0ms);
        BOOST_TEST(job_ids(a) == first_two, boost::test_tools::per_element());
        auto b = co_await run_queue().take_new(*c, "worker-b", 5, 0ms);
        BOOST_TEST_REQUIRE(job_ids(b) == third, boost::test_tools::per_element());
        BOOST_TEST((co_await run_queue().take_new(*c, "worker-b", 5, 0ms)).empty());

        co_await run_queue().ack(*c, b[0].entry_id); // j3 done
        // worker-a dies; after the lease, worker-b takes its entries over.
        BOOST_TEST((co_await run_queue().take_over(*c, "worker-b", 60s, 10)).empty()); // not idle long enough yet
        asio::steady_timer wait(ex, 150ms);
        co_await wait.async_wait(asio::use_awaitable);
        auto taken = co_await run_queue().take_over(*c, "worker-b", 100ms, 10);
        BOOST_TEST(job_ids(taken) == first_two, boost::test_tools::per_element());
        for (auto& e : taken) co_await run_queue().ack(*c, e.entry_id);
        co_await wait.async_wait(asio::use_awaitable);
        BOOST_TEST((co_await run_queue().take_over(*c, "worker-c", 0ms, 10)).empty()); // nothing pending

        // A worker blocked on the queue (its own connection) gets a job queued meanwhile.
        std::shared_ptr<Connection> blocking = co_await connect(ex, redis);
        auto got = std::make_shared<std::vector<QueueEntry>>();
        auto done = std::make_shared<bool>(false);
        asio::co_spawn(ex, [blocking, got, done]() -> asio::awaitable<void> {
            *got = co_await run_queue().take_new(*blocking, "worker-c", 1, 3000ms);
            *done = true;
        }, asio::detached);
        wait.expires_after(100ms);
        co_await wait.async_wait(asio::use_awaitable);
        BOOST_TEST(!*done);
        co_await run_queue().enqueue(*c, "j4");
        while (!*done) {
            wait.expires_after(5ms);
            co_await wait.async_wait(asio::use_awaitable);
        }
        BOOST_TEST(job_ids(*got) == fourth, boost::test_tools::per_element());
    });
}
