// Blocking Server-Sent Events test client that reads a stream event by event, with deadlines.
#include "tests/support/sse_client.hpp"

#include "tests/support/client_io.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <limits>

namespace omx::test {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using namespace detail;
using std::chrono::milliseconds;

http::request<http::empty_body> make_get(std::string_view target, const Headers& headers,
                                         std::uint16_t port) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    req.set(http::field::accept, "text/event-stream");
    for (const auto& [name, value] : headers)
        req.set(name, value);
    return req;
}

} // namespace

struct SseClient::Impl {
    asio::io_context ioc;
    tcp::socket socket{ioc};
    beast::flat_buffer buffer;
    std::optional<http::response_parser<http::buffer_body>> parser;
    std::string what = "SSE stream (not opened)";
    int status = 0;
    Headers headers;
    bool is_stream = false;
    std::string body;
    std::string transcript;
    SseParser sse;
    bool closed = false;
    std::size_t drained = 0;

    void connect_and_send(std::uint16_t port, std::string_view target, const Headers& extra,
                          Clock::time_point deadline, milliseconds timeout, int receive_buffer) {
        what = "SSE GET " + std::string(target);
        auto connected = connect_local(ioc, socket, port, deadline, receive_buffer);
        if (connected.ec) throw_failure(what + ": connecting", connected, timeout);
        auto req = make_get(target, extra, port);
        auto sent = await_op(ioc, socket, deadline,
                             [&](auto h) { http::async_write(socket, req, std::move(h)); });
        if (sent.ec) throw_failure(what + ": sending the request", sent, timeout);
    }

    void read_head(Clock::time_point deadline, milliseconds timeout) {
        parser.emplace();
        parser->header_limit(64 * 1024);
        parser->body_limit(std::numeric_limits<std::uint64_t>::max());
        auto got = await_op(ioc, socket, deadline, [&](auto h) {
            http::async_read_header(socket, buffer, *parser, std::move(h));
        });
        if (got.ec) throw_failure(what + ": reading the response head", got, timeout);
        const auto& res = parser->get();
        status = static_cast<int>(res.result_int());
        headers = collect_headers(res);
        is_stream = lowercase(headers["content-type"]).starts_with("text/event-stream");
        closed = parser->is_done();
    }

    void on_body(std::string_view bytes) {
        transcript.append(bytes);
        if (is_stream)
            sse.feed(bytes);
        else
            body.append(bytes);
    }

    // Reads the next piece of the body. Returns false on timeout (the
    // connection stays usable); sets closed when the body or connection ended.
    bool read_more(Clock::time_point deadline) {
        std::array<char, 16384> chunk;
        auto& target = parser->get().body();
        target.data = chunk.data();
        target.size = chunk.size();
        auto got = await_op(ioc, socket, deadline, [&](auto h) {
            http::async_read_some(socket, buffer, *parser, std::move(h));
        });
        on_body(std::string_view(chunk.data(), chunk.size() - parser->get().body().size));
        if (got.ec == http::error::need_buffer) got.ec = {};
        if (got.timed_out()) return false;
        if (got.ec && !is_disconnect(got.ec)) {
            closed = true;
            throw_failure(what + ": reading the stream", got, milliseconds(0));
        }
        closed = got.ec || parser->is_done();
        return true;
    }

    // Reads until pred() holds or the stream ends; false on timeout.
    template <class Pred> bool read_until(Pred pred, Clock::time_point deadline) {
        while (!pred() && !closed) {
            if (!read_more(deadline)) return false;
        }
        return true;
    }

    void require_opened() const {
        if (!parser) throw std::logic_error("SseClient: open() was not called");
    }
};

SseClient::SseClient() : impl_(std::make_unique<Impl>()) {}
SseClient::~SseClient() = default;
SseClient::SseClient(SseClient&&) noexcept = default;
SseClient& SseClient::operator=(SseClient&&) noexcept = default;

void SseClient::open(std::uint16_t port, std::string_view target, Headers headers,
                     milliseconds timeout) {
    impl_ = std::make_unique<Impl>();
    auto deadline = Clock::now() + timeout;
    impl_->connect_and_send(port, target, headers, deadline, timeout, 0);
    impl_->read_head(deadline, timeout);
    if (impl_->is_stream) return;
    if (!impl_->read_until([] { return false; }, deadline))
        throw_failure(impl_->what + ": reading the body", {asio::error::timed_out}, timeout);
}

int SseClient::status() const {
    return impl_->status;
}

std::string SseClient::header(std::string_view name) const {
    auto it = impl_->headers.find(lowercase(name));
    return it == impl_->headers.end() ? std::string() : it->second;
}

const Headers& SseClient::headers() const {
    return impl_->headers;
}
const std::string& SseClient::body() const {
    return impl_->body;
}

std::optional<SseEvent> SseClient::next_event(milliseconds timeout) {
    impl_->require_opened();
    auto& sse = impl_->sse;
    if (!impl_->read_until([&] { return sse.has_event(); }, Clock::now() + timeout))
        throw_failure(impl_->what + ": waiting for the next event", {asio::error::timed_out},
                      timeout);
    return sse.pop_event();
}

std::vector<SseEvent> SseClient::next_events(std::size_t n, milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    std::vector<SseEvent> events;
    while (events.size() < n) {
        auto event = next_event(remaining(deadline));
        if (!event)
            throw std::runtime_error(impl_->what + ": stream closed after " +
                                     std::to_string(events.size()) + " of " + std::to_string(n) +
                                     " events");
        events.push_back(std::move(*event));
    }
    return events;
}

std::vector<SseEvent> SseClient::read_until_closed(milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    std::vector<SseEvent> events;
    while (auto event = next_event(remaining(deadline)))
        events.push_back(std::move(*event));
    return events;
}

bool SseClient::wait_for_comment(std::string_view text, milliseconds timeout) {
    impl_->require_opened();
    impl_->read_until([&] { return saw_comment(text); }, Clock::now() + timeout);
    return saw_comment(text);
}

bool SseClient::saw_comment(std::string_view text) const {
    const auto& all = impl_->sse.comments();
    return std::find(all.begin(), all.end(), text) != all.end();
}

std::size_t SseClient::comment_count() const {
    return impl_->sse.comments().size();
}
const std::vector<std::string>& SseClient::comments() const {
    return impl_->sse.comments();
}
std::optional<int> SseClient::retry_value() const {
    return impl_->sse.retry();
}
std::optional<std::string> SseClient::last_event_id() const {
    return impl_->sse.last_event_id();
}
const std::string& SseClient::transcript() const {
    return impl_->transcript;
}
bool SseClient::closed() const {
    return impl_->closed;
}

void SseClient::close() {
    error_code ignored;
    impl_->socket.close(ignored);
    impl_->closed = true;
}

void SseClient::open_without_reading(std::uint16_t port, std::string_view target, Headers headers,
                                     milliseconds timeout, int receive_buffer) {
    impl_ = std::make_unique<Impl>();
    impl_->connect_and_send(port, target, headers, Clock::now() + timeout, timeout, receive_buffer);
}

bool SseClient::is_closed_by_peer(milliseconds timeout) {
    auto& impl = *impl_;
    RawReader drain(impl.socket, nullptr);
    drain.start();
    bool ended =
        run_until(impl.ioc, impl.socket, Clock::now() + timeout, [&] { return drain.done; });
    impl.drained += drain.total;
    bool cut = ended && is_disconnect(drain.ec);
    if (cut) impl.closed = true;
    return cut;
}

std::size_t SseClient::bytes_drained() const {
    return impl_->drained;
}

} // namespace omx::test
