// The jobs as an API node of the Redis backend sees them (storage.md): reads
// fold each job's record with the events after it; a new job is written and
// queued for the workers; actions go to the job's owner as commands
// (commands.hpp); each followed job has one XREAD reader here, fanned out to
// this node's SSE clients. It never runs the team engine.
#pragma once

#include "runtime/config.hpp"
#include "store/redis/job_events.hpp"
#include "store/redis/lease.hpp"
#include "store/redis/records.hpp"
#include "team/actor/job_api.hpp"
#include "team/cluster/commands.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <deque>
#include <unordered_map>

namespace omx::redis {
class Client;
}

namespace omx::cluster {

class RedisJobs final : public actor::JobApi {
public:
    // Runs on `executor` (a strand); `client` is used from there too.
    RedisJobs(boost::asio::any_io_executor executor, const Config& config, redis::Client& client);
    ~RedisJobs() override;

    // Starts reading the all-jobs feed (kept up until shutdown).
    void start();

    boost::asio::awaitable<actor::CreateOutcome> async_create(team::JobRequest request,
                                                              std::optional<std::string> idempotency_key,
                                                              std::string request_hash) override;
    boost::asio::awaitable<std::optional<team::Job>> async_get(std::string id) override;
    boost::asio::awaitable<actor::ViewBody> async_view(std::string id, actor::ViewKind kind,
                                                       actor::ViewRenderer render) override;
    boost::asio::awaitable<std::optional<actor::JobList>> async_list(store::ListFilter filter) override;
    boost::asio::awaitable<actor::JobOutcome> async_job_action(std::string id, team::JobAction action,
                                                               std::optional<std::string> comment) override;
    boost::asio::awaitable<actor::JobOutcome> async_task_action(std::string id, std::string task_id, bool approve,
                                                                std::optional<std::string> comment) override;
    boost::asio::awaitable<actor::MessageOutcome> async_post_message(std::string id,
                                                                     actor::MailboxValidator validate) override;
    boost::asio::awaitable<std::optional<std::string>> async_attempt_log(std::string id, std::string task_id,
                                                                        int attempt) override;
    boost::asio::awaitable<std::optional<actor::EventPage>> async_events(std::string id, std::uint64_t after,
                                                                         std::size_t limit) override;
    boost::asio::awaitable<actor::StreamStart> async_subscribe(std::string id,
                                                               std::shared_ptr<actor::Subscriber> s) override;
    boost::asio::awaitable<std::vector<actor::FramePtr>> async_frames(std::string id, std::uint64_t after,
                                                                      std::uint64_t up_to, std::size_t max) override;
    boost::asio::awaitable<std::vector<actor::FramePtr>> async_subscribe_monitor(
        std::shared_ptr<actor::Subscriber> s, std::optional<std::uint64_t> last_id) override;
    boost::asio::awaitable<boost::json::object> async_overview(std::size_t limit) override;
    boost::asio::awaitable<std::optional<std::string>> async_readiness() override;
    boost::asio::awaitable<std::vector<metrics::GaugeSample>> async_metric_gauges() override;
    boost::asio::awaitable<void> async_shutdown(std::chrono::milliseconds grace) override;

private:
    struct Follower; // one job's XREAD reader and its subscribers
    struct Monitor;  // the all-jobs feed's reader, its subscribers and the frames it numbered
    // The job as of its last event; nullopt if there is none. Throws actor::StoreUnavailable.
    boost::asio::awaitable<std::optional<team::Job>> load(const std::string& id);
    // Sends a command to the job's owner (queueing the job when it has none) and waits for the answer.
    boost::asio::awaitable<std::optional<CommandReply>> command(const std::string& id, Command c);
    boost::asio::awaitable<void> follow(std::shared_ptr<Follower> f);
    boost::asio::awaitable<void> follow_feed(); // from start() until shutdown
    // A job or task action: sent to the owner, answered with the job after it.
    boost::asio::awaitable<actor::JobOutcome> run_action(std::string id, Command c);

    boost::asio::any_io_executor executor_;
    const Config& config_;
    redis::Client& client_;
    redis::JobEvents events_;
    redis::Records records_;
    std::unordered_map<std::string, std::shared_ptr<Follower>> followers_;
    std::unique_ptr<Monitor> monitor_;
    bool shutting_down_ = false;
};

} // namespace omx::cluster
