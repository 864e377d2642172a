// A worker of the Redis backend (storage.md): takes jobs from the work queue,
// holds each one's lease while it runs it on the local job engine
// (actor::JobService over a RedisJobStore), renews the leases, and hands a job
// back — lease released, queue entry acknowledged — once it is finished or
// parked for a person. Queue entries a dead worker left are taken over after
// the lease time. A lease it cannot renew is lost: the job's agents stop at
// once and its appends are fenced.
#pragma once

#include "runtime/config.hpp"
#include "store/redis/job_events.hpp"
#include "store/redis/job_snapshot.hpp"
#include "store/redis/lease.hpp"
#include "store/redis/records.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>
#include <unordered_map>

namespace omx::actor {
class JobService;
}
namespace omx::redis {
class Client;
class RedisJobStore;
struct QueueEntry;
class WorkQueue;
} // namespace omx::redis

namespace omx::cluster {

struct PendingCommand;

class Worker {
public:
    // Runs on `executor` (the job service's strand).
    Worker(boost::asio::any_io_executor executor, const Config& config, redis::Client& client,
           redis::RedisJobStore& store, actor::JobService& jobs);
    ~Worker();

    void start();
    // Takes no more jobs and applies no more commands.
    void stop();
    // Shutdown, after the job service stopped its runs: every job still held is
    // released and queued again, so another worker continues it at once.
    boost::asio::awaitable<void> async_hand_over();

    const std::string& id() const { return id_; }

private:
    boost::asio::awaitable<void> queue_loop(const redis::WorkQueue& queue);
    boost::asio::awaitable<void> takeover_loop();
    boost::asio::awaitable<void> lease_loop();
    // Applies the commands of the jobs held here, in order (commands.hpp).
    boost::asio::awaitable<void> command_loop();
    boost::asio::awaitable<void> apply(std::string job_id, PendingCommand command);
    // Applies the job's pending commands unless they are being applied already.
    boost::asio::awaitable<void> apply_pending(std::string job_id);
    boost::asio::awaitable<bool> has_commands(const std::string& job_id);
    boost::asio::awaitable<std::optional<redis::LoadedJob>> load(const std::string& id);
    boost::asio::awaitable<void> hold(const std::string& id, redis::Holder holder, redis::LoadedJob loaded,
                                      std::string entry_id);
    boost::asio::awaitable<void> take(redis::QueueEntry entry);
    boost::asio::awaitable<void> wake(redis::QueueEntry entry);
    boost::asio::awaitable<void> hand_back(std::string job_id);
    void lose(const std::string& job_id, const std::string& why);
    std::size_t room() const;

    struct Owned {
        redis::Holder holder;
        std::string entry_id; // in the run queue; empty when woken for commands
        bool requeue = false; // handed back runnable: queued to run again
    };

    boost::asio::any_io_executor executor_;
    const Config& config_;
    redis::Client& client_;
    redis::RedisJobStore& store_;
    actor::JobService& jobs_;
    std::string id_;
    std::chrono::milliseconds lease_;
    redis::Leases leases_;
    redis::Records records_;
    redis::JobEvents events_;
    std::unordered_map<std::string, Owned> owned_;
    std::size_t taking_ = 0; // entries being looked at (leasing, loading)
    std::unordered_map<std::string, int> applying_; // jobs whose commands are being read: calls meanwhile
    std::unordered_map<std::string, std::string> seen_commands_; // job → the last command entry the command loop saw
    boost::asio::steady_timer room_freed_;
    boost::asio::steady_timer jobs_held_; // the command loop sleeps on it while no job is held
    std::shared_ptr<bool> running_;
};

} // namespace omx::cluster
