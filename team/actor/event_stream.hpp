// Live event delivery to SSE clients: immutable frames fanned out to
// per-subscriber bounded queues. A subscriber that does not keep up is cut off
// (it resumes from the log with Last-Event-ID).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace omx::actor {

// One event as an SSE frame ("id: …\nevent: …\ndata: …\n\n"), shared by all subscribers.
struct Frame {
    std::uint64_t seq = 0;
    bool terminal = false; // completed / failed / canceled: the run's last event
    std::string status;    // for terminal frames: the job's status after it
    std::string text;
};
using FramePtr = std::shared_ptr<const Frame>;

class Subscriber : public std::enable_shared_from_this<Subscriber> {
public:
    Subscriber(boost::asio::any_io_executor executor, std::size_t byte_limit);

    // Thread-safe: runs on the subscriber's executor (inline when the caller
    // already runs there, e.g. one io thread without per-connection strands).
    void deliver(FramePtr frame);
    void close();
    // Run on the subscriber's executor the moment its queue passes the byte
    // limit (the SSE session cancels its blocked write). Reset it before the
    // stream it refers to goes away.
    void on_overflow(std::function<void()> action) { overflow_action_ = std::move(action); }

    enum class Wake { frame, idle, closed, overflow };
    struct Next {
        Wake wake;
        FramePtr frame;
    };
    // The next frame, or `idle` after `keepalive` without one.
    boost::asio::awaitable<Next> async_next(std::chrono::milliseconds keepalive);

private:
    void push(FramePtr frame);
    boost::asio::any_io_executor executor_;
    boost::asio::steady_timer wakeup_;
    // Not a deque: libstdc++'s allocates 576 bytes even when empty, per idle subscriber.
    std::vector<FramePtr> queue_; // frames [head_, size) are pending
    std::size_t head_ = 0;
    std::size_t queued_bytes_ = 0;
    std::size_t byte_limit_;
    bool closed_ = false;
    bool overflow_ = false;
    std::function<void()> overflow_action_;
};

// Subscribers of one stream (a job, or all jobs). Used on the app strand only.
class SubscriberList {
public:
    void add(const std::shared_ptr<Subscriber>& s);
    void publish(const FramePtr& frame);
    void close_all();
    std::size_t size() const { return subscribers_.size(); }
    bool empty() const { return subscribers_.empty(); }

private:
    std::vector<std::weak_ptr<Subscriber>> subscribers_;
    std::size_t sweep_at_ = 64;
};

std::string sse_frame(std::string_view id, std::string_view type, std::string_view data);
// The SSE data of an event: its log line (JSON envelope) without the leading version field.
std::string sse_data(std::string_view line);
// The frame of event `seq` of type `type` whose SSE data is `data`.
FramePtr make_frame(std::uint64_t seq, std::string_view type, std::string_view data);
// The frame of a whole log line (an empty frame when it does not parse).
FramePtr frame_from_log_line(std::string_view line);
// The same with `id` as its SSE id instead of the event's seq (the all-jobs streams).
FramePtr renumbered_frame(std::string_view line, std::uint64_t id);

} // namespace omx::actor
