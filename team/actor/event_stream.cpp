// Subscriber queues and fan-out.
#include "team/actor/event_stream.hpp"

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

} // namespace omx::actor
