// An active job inside the JobService: its state, its command lock, its recent
// frames and its SSE subscribers. Private to team/actor.
#pragma once

#include "runtime/async_mutex.hpp"
#include "team/actor/event_stream.hpp"
#include "team/actor/job_service.hpp"

#include <deque>

namespace omx::actor {

struct JobService::Slot {
    explicit Slot(boost::asio::any_io_executor ex) : lock(std::move(ex)) {}
    team::Job job;
    AsyncMutex lock;
    int busy = 0; // commands waiting or running
    std::deque<FramePtr> tail;
    SubscriberList subscribers;
};

} // namespace omx::actor
