#include "store/redis/connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <hiredis/hiredis.h>

#include <array>
#include <atomic>
#include <deque>
#include <optional>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace omx::redis {
namespace {

Reply owned(const redisReply& r) {
    Reply out;
    switch (r.type) {
    case REDIS_REPLY_STRING: out.type = Reply::Type::string; break;
    case REDIS_REPLY_STATUS: out.type = Reply::Type::status; break;
    case REDIS_REPLY_ERROR: out.type = Reply::Type::error; break;
    case REDIS_REPLY_INTEGER: out.type = Reply::Type::integer; break;
    case REDIS_REPLY_ARRAY: out.type = Reply::Type::array; break;
    default: out.type = Reply::Type::nil; break;
    }
    if (r.str) out.text.assign(r.str, r.len);
    out.integer = r.integer;
    out.elements.reserve(r.elements);
    for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(owned(*r.element[i]));
    return out;
}

std::string encoded(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    char* command = nullptr;
    int length = redisFormatCommandArgv(&command, static_cast<int>(args.size()), argv.data(), lengths.data());
    if (length < 0 || !command) throw RedisError("cannot encode a Redis command");
    std::string out(command, static_cast<std::size_t>(length));
    redisFreeCommand(command);
    return out;
}

std::string millis(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

} // namespace

struct Connection::State : std::enable_shared_from_this<State> {
    using Strand = asio::strand<asio::any_io_executor>;

    explicit State(asio::any_io_executor executor)
        : strand(asio::make_strand(executor)), socket(strand), reader(redisReaderCreate()) {
        if (!reader) throw RedisError("cannot create a Redis reply reader");
    }
    ~State() { redisReaderFree(reader); }

    struct Waiter {
        explicit Waiter(Strand& s) : signal(s) {}
        std::optional<Reply> reply;
        std::string error;
        bool done = false;
        asio::steady_timer signal; // cancelled when done
    };

    Strand strand;
    tcp::socket socket;
    redisReader* reader;
    std::deque<std::shared_ptr<Waiter>> waiting; // in the order the commands were written
    std::string outbox;                          // encoded commands not written yet
    bool writing = false;
    std::optional<std::string> failure; // why the connection is unusable
    std::atomic<bool> open{true};       // !failure, readable from any thread

    void fail(const std::string& why) {
        if (failure) return;
        failure = why;
        open = false;
        boost::system::error_code ignored;
        socket.close(ignored);
        for (auto& w : waiting) {
            w->error = why;
            w->done = true;
            w->signal.cancel();
        }
        waiting.clear();
    }

    // Hands each parsed reply to the oldest waiting command.
    asio::awaitable<void> read_replies() {
        auto self = shared_from_this();
        std::array<char, 16384> buffer;
        while (!failure) {
            auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
            if (failure) break;
            if (ec) {
                fail(ec == asio::error::eof ? "Redis closed the connection" : "reading from Redis failed: " + ec.message());
                break;
            }
            if (redisReaderFeed(reader, buffer.data(), n) != REDIS_OK) {
                fail(std::string("cannot read Redis's reply: ") + reader->errstr);
                break;
            }
            for (;;) {
                void* raw = nullptr;
                if (redisReaderGetReply(reader, &raw) != REDIS_OK) {
                    fail(std::string("cannot parse Redis's reply: ") + reader->errstr);
                    break;
                }
                if (!raw) break;
                Reply reply = owned(*static_cast<redisReply*>(raw));
                freeReplyObject(raw);
                if (waiting.empty()) {
                    fail("Redis sent a reply to no command");
                    break;
                }
                auto w = std::move(waiting.front());
                waiting.pop_front();
                w->reply = std::move(reply);
                w->done = true;
                w->signal.cancel();
            }
        }
    }

    asio::awaitable<void> write_commands() {
        auto self = shared_from_this();
        while (!outbox.empty() && !failure) {
            std::string batch;
            batch.swap(outbox);
            auto [ec, n] = co_await asio::async_write(socket, asio::buffer(batch), asio::as_tuple(asio::use_awaitable));
            if (ec) fail("writing to Redis failed: " + ec.message());
        }
        writing = false;
    }

    asio::awaitable<Reply> run(std::vector<std::string> args, std::chrono::milliseconds timeout) {
        auto self = shared_from_this();
        if (failure) throw RedisError(*failure);
        outbox += encoded(args);
        auto w = std::make_shared<Waiter>(strand);
        waiting.push_back(w);
        if (!writing) {
            writing = true;
            asio::co_spawn(strand, write_commands(), asio::detached);
        }
        w->signal.expires_after(timeout);
        while (!w->done) {
            auto [ec] = co_await w->signal.async_wait(asio::as_tuple(asio::use_awaitable));
            if (!ec && !w->done) fail("no reply from Redis within " + millis(timeout) + " (to " + args.front() + ")");
        }
        if (!w->reply) throw RedisError(w->error);
        co_return std::move(*w->reply);
    }

    asio::awaitable<void> connect(Endpoint where, std::chrono::milliseconds timeout) {
        auto self = shared_from_this();
        // A watchdog closes the socket when the connect (or the resolve) takes too long.
        struct Race {
            bool settled = false, timed_out = false;
        };
        auto race = std::make_shared<Race>();
        asio::steady_timer watchdog(strand, timeout);
        watchdog.async_wait([this, self, race](boost::system::error_code ec) {
            if (ec || race->settled) return;
            race->timed_out = true;
            boost::system::error_code ignored;
            socket.close(ignored);
        });
        tcp::resolver resolver(strand);
        auto [rec, endpoints] = co_await resolver.async_resolve(where.host, std::to_string(where.port),
                                                                 asio::as_tuple(asio::use_awaitable));
        boost::system::error_code cec;
        if (!rec && !race->timed_out) {
            auto [ec, ignored] = co_await asio::async_connect(socket, endpoints, asio::as_tuple(asio::use_awaitable));
            cec = ec;
        }
        race->settled = true;
        watchdog.cancel();
        const std::string target = where.display();
        if (race->timed_out) throw RedisError("cannot connect to " + target + ": no answer within " + millis(timeout));
        if (rec) throw RedisError("cannot resolve " + where.host + ": " + rec.message());
        if (cec) throw RedisError("cannot connect to " + target + ": " + cec.message());
        socket.set_option(tcp::no_delay(true));
        asio::co_spawn(strand, read_replies(), asio::detached);
        if (where.password) {
            std::vector<std::string> auth{"AUTH"};
            if (where.user) auth.push_back(*where.user);
            auth.push_back(*where.password);
            auto r = co_await run(std::move(auth), timeout);
            if (r.is_error()) throw RedisError("Redis refused the credentials: " + r.text);
        }
        if (where.db != 0) {
            std::vector<std::string> select{"SELECT", std::to_string(where.db)};
            auto r = co_await run(std::move(select), timeout);
            if (r.is_error()) throw RedisError("Redis refused database " + std::to_string(where.db) + ": " + r.text);
        }
    }
};

Connection::Connection(std::shared_ptr<State> state) : state_(std::move(state)) {}

Connection::~Connection() {
    // The read and write loops hold the state: closing ends them.
    asio::post(state_->strand, [state = state_] { state->fail("the connection was closed"); });
}

asio::awaitable<std::unique_ptr<Connection>> Connection::open(asio::any_io_executor executor, Endpoint where,
                                                              std::chrono::milliseconds timeout) {
    auto state = std::make_shared<State>(executor);
    auto connecting = state->connect(std::move(where), timeout);
    try {
        co_await asio::co_spawn(state->strand, std::move(connecting), asio::use_awaitable);
    } catch (...) {
        asio::post(state->strand, [state] { state->fail("the connection could not be set up"); });
        throw;
    }
    co_return std::unique_ptr<Connection>(new Connection(std::move(state)));
}

asio::awaitable<Reply> Connection::command(std::vector<std::string> args, std::chrono::milliseconds timeout) {
    if (args.empty()) throw RedisError("an empty Redis command");
    auto running = state_->run(std::move(args), timeout);
    co_return co_await asio::co_spawn(state_->strand, std::move(running), asio::use_awaitable);
}

bool Connection::is_open() const { return state_->open; }

void Connection::close(const std::string& why) {
    asio::post(state_->strand, [state = state_, why] { state->fail(why); });
}

} // namespace omx::redis
