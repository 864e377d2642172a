// Subscriber queues and fan-out.
#include "team/actor/event_stream.hpp"

#include "team/core/events.hpp"

#include <boost/json/parse.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace asio = boost::asio;

namespace omx::actor {

Subscriber::Subscriber(asio::any_io_executor executor, std::size_t byte_limit)
    : executor_(executor), wakeup_(executor), byte_limit_(byte_limit) {}

void Subscriber::deliver(FramePtr frame) {
    asio::dispatch(executor_, [self = shared_from_this(), frame = std::move(frame)]() mutable {
        self->push(std::move(frame));
    });
}

void Subscriber::push(FramePtr frame) {
    if (closed_ || overflow_) return;
    queued_bytes_ += frame->text.size();
    // Over the limit only when behind: one frame larger than the limit alone is no backlog.
    if (queued_bytes_ > byte_limit_ && queue_.size() > head_) {
        overflow_ = true;
        queue_.clear();
        head_ = 0;
        queued_bytes_ = 0;
        if (overflow_action_) overflow_action_();
    } else {
        queue_.push_back(std::move(frame));
    }
    wakeup_.cancel();
}

void Subscriber::close() {
    asio::dispatch(executor_, [self = shared_from_this()] {
        self->closed_ = true;
        self->wakeup_.cancel();
    });
}

asio::awaitable<Subscriber::Next> Subscriber::async_next(std::chrono::milliseconds keepalive) {
    auto deadline = std::chrono::steady_clock::now() + keepalive;
    for (;;) {
        if (overflow_) co_return Next{Wake::overflow, nullptr};
        if (head_ < queue_.size()) {
            FramePtr f = std::move(queue_[head_++]);
            if (head_ == queue_.size()) {
                queue_.clear();
                head_ = 0;
            }
            queued_bytes_ -= f->text.size();
            co_return Next{Wake::frame, std::move(f)};
        }
        if (closed_) co_return Next{Wake::closed, nullptr};
        if (std::chrono::steady_clock::now() >= deadline) co_return Next{Wake::idle, nullptr};
        wakeup_.expires_at(deadline);
        co_await wakeup_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

// Gone subscribers are dropped when the list has doubled since the last sweep:
// subscribing stays O(1) amortized (a sweep per add made N subscribers O(N²)).
void SubscriberList::add(const std::shared_ptr<Subscriber>& s) {
    if (subscribers_.size() >= sweep_at_) {
        std::erase_if(subscribers_, [](const std::weak_ptr<Subscriber>& w) { return w.expired(); });
        sweep_at_ = std::max<std::size_t>(64, 2 * subscribers_.size());
    }
    subscribers_.push_back(s);
}

void SubscriberList::publish(const FramePtr& frame) {
    std::erase_if(subscribers_, [&](const std::weak_ptr<Subscriber>& w) {
        auto s = w.lock();
        if (!s) return true;
        s->deliver(frame);
        return false;
    });
}

void SubscriberList::close_all() {
    for (auto& w : subscribers_)
        if (auto s = w.lock()) s->close();
    subscribers_.clear();
}

std::string sse_frame(std::string_view id, std::string_view type, std::string_view data) {
    std::string f;
    f.reserve(data.size() + type.size() + id.size() + 24);
    if (!id.empty()) {
        f += "id: ";
        f += id;
        f += '\n';
    }
    f += "event: ";
    f += type;
    f += "\ndata: ";
    f += data;
    f += "\n\n";
    return f;
}


namespace {
std::string terminal_status(std::string_view type) {
    if (type == team::event_type::completed) return "succeeded";
    if (type == team::event_type::failed) return "failed";
    if (type == team::event_type::canceled) return "canceled";
    return {};
}
} // namespace

std::string sse_data(std::string_view line) {
    constexpr std::string_view versioned = "{\"v\":1,";
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!line.starts_with(versioned)) return std::string(line);
    std::string data;
    data.reserve(line.size());
    data += '{';
    data += line.substr(versioned.size());
    return data;
}

FramePtr make_frame(std::uint64_t seq, std::string_view type, std::string_view data) {
    auto frame = std::make_shared<Frame>();
    frame->seq = seq;
    frame->status = terminal_status(type);
    frame->terminal = !frame->status.empty();
    frame->text = sse_frame(std::to_string(seq), type, data);
    return frame;
}

namespace {
// The frame of a log line, numbered `id` or, without one, by the event's seq.
FramePtr frame_of(std::string_view line, std::optional<std::uint64_t> id) {
    auto data = sse_data(line);
    boost::system::error_code ec;
    auto v = boost::json::parse(data, ec);
    if (ec || !v.is_object()) return std::make_shared<Frame>();
    auto& o = v.get_object();
    auto* seq = o.if_contains("seq");
    auto* type = o.if_contains("type");
    if (!seq || !type || !type->is_string()) return std::make_shared<Frame>();
    return make_frame(id ? *id : seq->to_number<std::uint64_t>(), type->get_string(), data);
}
} // namespace

FramePtr frame_from_log_line(std::string_view line) { return frame_of(line, std::nullopt); }
FramePtr renumbered_frame(std::string_view line, std::uint64_t id) { return frame_of(line, id); }

} // namespace omx::actor
