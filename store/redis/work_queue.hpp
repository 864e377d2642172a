// The work queue (storage.md): a stream of job ids with one consumer group,
// "workers". A worker takes new entries with XREADGROUP and acknowledges an
// entry when its job finished or parked (approval); entries a dead worker took
// and never acknowledged are taken over with XAUTOCLAIM once idle longer than
// the job lease. A second stream of the same shape, the wake queue, names
// jobs that got a command while no worker held them: every worker reads it,
// whether or not it has room to run a job, so an action on a queued or parked
// job is applied at once even when the cluster is busy.
#pragma once

#include "store/redis/connection.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace omx::redis {

struct QueueEntry {
    std::string entry_id; // the stream entry (for ack)
    std::string job_id;
};

class WorkQueue {
public:
    explicit WorkQueue(std::string stream) : stream_(std::move(stream)) {}

    // Creates the stream and its group if missing.
    boost::asio::awaitable<void> ensure(Connection& c) const;
    boost::asio::awaitable<std::string> enqueue(Connection& c, const std::string& job_id) const;
    // New entries for `worker`, waiting up to `block` for the first (a blocking
    // read: use a dedicated connection when block > 0).
    boost::asio::awaitable<std::vector<QueueEntry>> take_new(Connection& c, const std::string& worker,
                                                             std::size_t count, std::chrono::milliseconds block) const;
    // Entries other workers took and left unacknowledged for at least `min_idle`, now `worker`'s.
    boost::asio::awaitable<std::vector<QueueEntry>> take_over(Connection& c, const std::string& worker,
                                                              std::chrono::milliseconds min_idle,
                                                              std::size_t count) const;
    // Done with it: acknowledged and removed.
    boost::asio::awaitable<void> ack(Connection& c, const std::string& entry_id) const;

private:
    std::string stream_;
};

const WorkQueue& run_queue();  // jobs to run
const WorkQueue& wake_queue(); // jobs with commands and no owner

} // namespace omx::redis
