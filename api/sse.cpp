// SSE stream loops: replay, then live frames with keepalives and per-write deadlines.
#include "api/sse.hpp"

#include "api/query.hpp"
#include "api/request_guard.hpp"
#include "runtime/metrics.hpp"
#include "team/actor/event_stream.hpp"
#include "team/actor/job_api.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <charconv>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace omx::api {
namespace {

constexpr std::size_t replay_batch = 500;
constexpr std::chrono::seconds write_timeout{30};

std::optional<std::uint64_t> parse_u64(std::string_view s) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

struct StreamParams {
    std::optional<std::uint64_t> last_event_id;
    std::optional<std::uint64_t> tail;
    std::vector<std::string> problems;
};

StreamParams stream_params(const Request& req, bool allow_tail) {
    StreamParams p;
    std::vector<std::string_view> allowed{"lastEventId"};
    if (allow_tail) allowed.push_back("tail");
    for (auto& [k, v] : req.query)
        if (k != "access_token" && std::find(allowed.begin(), allowed.end(), k) == allowed.end())
            p.problems.push_back("unknown query parameter '" + k + "'");
    std::optional<std::string_view> id = req.header("last-event-id");
    if (!id)
        if (auto it = req.query.find("lastEventId"); it != req.query.end()) id = it->second;
    if (id) {
        p.last_event_id = parse_u64(*id);
        if (!p.last_event_id) p.problems.push_back("Last-Event-ID must be a non-negative integer");
    }
    if (auto it = req.query.find("tail"); allow_tail && it != req.query.end()) {
        p.tail = parse_u64(it->second);
        if (!p.tail) p.problems.push_back("tail must be a non-negative integer");
    }
    return p;
}

// Writes one stream; counted as an SSE client from its head to its end.
class StreamWriter {
public:
    StreamWriter(beast::tcp_stream& s, std::chrono::milliseconds timeout) : stream_(s), timeout_(timeout) {}
    ~StreamWriter() {
        if (counted_) metrics::adjust(metrics::family::sse_clients, -1);
    }
    StreamWriter(const StreamWriter&) = delete;
    StreamWriter& operator=(const StreamWriter&) = delete;

    asio::awaitable<bool> head(const std::vector<std::pair<std::string, std::string>>& extra_headers) {
        metrics::adjust(metrics::family::sse_clients, 1);
        counted_ = true;
        http::response<http::empty_body> res{http::status::ok, 11};
        res.set(http::field::content_type, "text/event-stream");
        res.set(http::field::cache_control, "no-cache");
        res.set("X-Accel-Buffering", "no");
        for (auto& [name, value] : extra_headers) res.set(name, value);
        res.keep_alive(false);
        http::response_serializer<http::empty_body> sr{res};
        stream_.expires_after(timeout_);
        auto [ec, n] = co_await http::async_write_header(stream_, sr, asio::as_tuple(asio::use_awaitable));
        co_return !ec && co_await write("retry: 2000\n\n");
    }

    // A frame that fits in the socket's send buffer (a reader keeping up) is
    // sent at once: no asynchronous operation, deadline timer or suspension per
    // subscriber and event. Only the rest, if any, waits with the deadline.
    asio::awaitable<bool> write(std::string_view text) {
        auto& socket = stream_.socket();
        boost::system::error_code ec;
        if (!socket.non_blocking()) socket.non_blocking(true, ec);
        std::size_t sent = ec ? 0 : socket.send(asio::buffer(text.data(), text.size()), 0, ec);
        if (ec && ec != asio::error::would_block && ec != asio::error::try_again) co_return false;
        if (sent == text.size()) co_return true;
        text.remove_prefix(sent);
        stream_.expires_after(timeout_);
        auto [write_ec, n] = co_await asio::async_write(stream_, asio::buffer(text.data(), text.size()),
                                                        asio::as_tuple(asio::use_awaitable));
        stream_.expires_never();
        co_return !write_ec;
    }

private:
    beast::tcp_stream& stream_;
    std::chrono::milliseconds timeout_;
    bool counted_ = false;
};

std::string end_frame(const std::string& status, std::uint64_t last_seq) {
    return "event: end\ndata: {\"status\":\"" + status + "\",\"lastSeq\":" + std::to_string(last_seq) + "}\n\n";
}

// Cuts the connection the moment its subscriber falls past the buffer limit: a
// write blocked on a reader that does not read would otherwise hold the
// connection until its deadline.
class CutOffOnOverflow {
public:
    CutOffOnOverflow(actor::Subscriber& subscriber, beast::tcp_stream& stream) : subscriber_(subscriber) {
        subscriber_.on_overflow([&stream] { stream.cancel(); });
    }
    ~CutOffOnOverflow() { subscriber_.on_overflow(nullptr); } // before the stream goes away
    CutOffOnOverflow(const CutOffOnOverflow&) = delete;
    CutOffOnOverflow& operator=(const CutOffOnOverflow&) = delete;

private:
    actor::Subscriber& subscriber_;
};

Response problems_response(std::vector<std::string> problems) {
    return error_response(400, boost::json::array(problems.begin(), problems.end()));
}

} // namespace

// The head formatted by hand and written with the body in one gather write:
// Beast's serializer cost ~6 % of a GET's CPU in its buffer-sequence walking.
asio::awaitable<bool> write_response(beast::tcp_stream& stream, Response& r, bool keep_alive,
                                     std::chrono::milliseconds timeout) {
    std::string head = response_head(r, keep_alive);
    std::string body = std::move(r.body);
    if (r.status == 204) body.clear();
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(body)};
    stream.expires_after(timeout);
    auto [ec, n] = co_await asio::async_write(stream, buffers, asio::as_tuple(asio::use_awaitable));
    co_return !ec;
}

asio::awaitable<void> serve_job_stream(beast::tcp_stream& stream, const Request& req, const std::string& job_id,
                                       ApiContext& ctx) {
    auto timeout = std::chrono::milliseconds(write_timeout); // not scaled: a network timeout
    auto params = stream_params(req, true);
    if (!params.problems.empty()) {
        auto refusal = problems_response(params.problems);
        co_await write_response(stream, refusal, false, timeout);
        co_return;
    }
    auto sub = std::make_shared<actor::Subscriber>(stream.get_executor(), ctx.config.sse_buffer);
    CutOffOnOverflow cut_off(*sub, stream);
    auto start = co_await ctx.jobs.async_subscribe(job_id, sub);
    if (!start.found) {
        auto not_found = error_response(404, "job " + job_id + " not found");
        co_await write_response(stream, not_found, false, timeout);
        co_return;
    }
    if (start.terminal && params.last_event_id && *params.last_event_id >= start.last_seq) {
        // Named, not a temporary in the co_await: GCC 12 destroyed that one twice (a double free).
        Response finished{204, "", "", {}};
        co_await write_response(stream, finished, false, timeout);
        co_return;
    }
    std::uint64_t sent = 0;
    if (params.last_event_id) sent = std::min(*params.last_event_id, start.last_seq);
    else if (params.tail) sent = start.last_seq > *params.tail ? start.last_seq - *params.tail : 0;

    StreamWriter out(stream, timeout);
    auto cors = cors_headers(req, ctx.config.cors_origins); // named: GCC 12 and temporaries in co_await
    if (!co_await out.head(cors)) co_return;
    while (sent < start.last_seq) {
        auto frames = co_await ctx.jobs.async_frames(job_id, sent, start.last_seq, replay_batch);
        std::string batch;
        std::uint64_t next = sent;
        for (auto& f : frames) {
            if (f->seq != next + 1) break; // unreadable or out of order: end here, never skip or repeat
            batch += f->text;
            next = f->seq;
        }
        if (next == sent) co_return; // the log cannot continue the replay: the client resumes later
        if (!co_await out.write(batch)) co_return;
        sent = next;
    }
    if (start.terminal) {
        auto end = end_frame(start.status, start.last_seq);
        co_await out.write(end);
        co_return;
    }
    auto keepalive = ctx.config.scaled(ctx.config.sse_keepalive);
    for (;;) {
        auto next = co_await sub->async_next(keepalive);
        switch (next.wake) {
        case actor::Subscriber::Wake::idle:
            if (!co_await out.write(": keepalive\n\n")) co_return;
            break;
        case actor::Subscriber::Wake::frame:
            if (next.frame->seq <= sent) break;
            if (!co_await out.write(next.frame->text)) co_return;
            sent = next.frame->seq;
            if (next.frame->terminal) {
                auto end = end_frame(next.frame->status, sent);
                co_await out.write(end);
                co_return;
            }
            break;
        case actor::Subscriber::Wake::closed:   // server shutting down
        case actor::Subscriber::Wake::overflow: // a reader that does not keep up: it resumes from the log
            co_return;
        }
    }
}

asio::awaitable<void> serve_monitor_stream(beast::tcp_stream& stream, const Request& req, ApiContext& ctx) {
    auto timeout = std::chrono::milliseconds(write_timeout); // not scaled: a network timeout
    auto params = stream_params(req, false);
    if (!params.problems.empty()) {
        auto refusal = problems_response(params.problems);
        co_await write_response(stream, refusal, false, timeout);
        co_return;
    }
    auto sub = std::make_shared<actor::Subscriber>(stream.get_executor(), ctx.config.sse_buffer);
    CutOffOnOverflow cut_off(*sub, stream);
    auto replay = co_await ctx.jobs.async_subscribe_monitor(sub, params.last_event_id);
    StreamWriter out(stream, timeout);
    auto cors = cors_headers(req, ctx.config.cors_origins); // named: GCC 12 and temporaries in co_await
    if (!co_await out.head(cors)) co_return;
    std::string batch;
    for (auto& f : replay) batch += f->text;
    if (!batch.empty() && !co_await out.write(batch)) co_return;
    auto keepalive = ctx.config.scaled(ctx.config.sse_keepalive);
    for (;;) {
        auto next = co_await sub->async_next(keepalive);
        if (next.wake == actor::Subscriber::Wake::idle) {
            if (!co_await out.write(": keepalive\n\n")) co_return;
        } else if (next.wake == actor::Subscriber::Wake::frame) {
            if (!co_await out.write(next.frame->text)) co_return;
        } else {
            co_return;
        }
    }
}

} // namespace omx::api
