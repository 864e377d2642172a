// The work queue (storage.md): a stream of job ids with one consumer group,
// "workers". A worker takes new entries with XREADGROUP and acknowledges an
// entry when its job finished or parked (approval); entries a dead worker took
// and never acknowledged are taken over with XAUTOCLAIM once idle longer than
// the job lease.
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
    // Creates the stream and its group if missing.
    static boost::asio::awaitable<void> ensure(Connection& c);
    static boost::asio::awaitable<std::string> enqueue(Connection& c, const std::string& job_id);
    // New entries for `worker`, waiting up to `block` for the first (a blocking
    // read: use a dedicated connection when block > 0).
    static boost::asio::awaitable<std::vector<QueueEntry>> take_new(Connection& c, const std::string& worker,
                                                                    std::size_t count,
                                                                    std::chrono::milliseconds block);
    // Entries other workers took and left unacknowledged for at least `min_idle`, now `worker`'s.
    static boost::asio::awaitable<std::vector<QueueEntry>> take_over(Connection& c, const std::string& worker,
                                                                     std::chrono::milliseconds min_idle,
                                                                     std::size_t count);
    // Done with it: acknowledged and removed.
    static boost::asio::awaitable<void> ack(Connection& c, const std::string& entry_id);
};

} // namespace omx::redis
