// The job engine's store on a worker of the Redis backend (storage.md): the
// jobs this worker holds the lease of, appended to their streams with the
// lease's fencing token, and their records written with a compare-and-set on
// the version this worker last wrote. An append refused because another
// worker took the job over (fenced) fails the engine's commit and reports the
// loss, so the worker stops that job's agents at once.
#pragma once

#include "store/job_store.hpp"
#include "store/redis/job_events.hpp"
#include "store/redis/records.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <unordered_map>

namespace omx::redis {

class Client;

class RedisJobStore final : public store::JobStore {
public:
    RedisJobStore(boost::asio::any_io_executor executor, Client& client);

    // This worker now owns the job: its writes carry `token`; its record is at `record_version`.
    void hold(const std::string& job_id, std::uint64_t token, std::uint64_t record_version);
    // Told once per job when Redis refused one of its writes because another owner took it over.
    void on_lost(std::function<void(const std::string& job_id, const std::string& why)> f) { on_lost_ = std::move(f); }

    // Jobs are created by API nodes (redis_jobs.hpp), never by a worker's engine.
    void create_job(const std::string& job_id) override;
    void discard_job(const std::string&) override {}
    void reopen(const team::Job& job) override;
    // Forgets the job (its record writes still finish).
    void release(const std::string& job_id) override;

    boost::asio::awaitable<void> async_append(const std::string& job_id, std::uint64_t first_seq,
                                              std::string lines) override;
    bool save_record(const team::Job& job) override;
    bool record_pending(const std::string& job_id) const override;
    boost::asio::awaitable<void> async_flush(std::chrono::steady_clock::time_point deadline) override;

    // A capped stream per attempt (keys::attempt_log), so that any API node serves /logs.
    std::function<void(std::string_view)> attempt_log_mirror(const std::string& job_id, const std::string& task_id,
                                                             int attempt) override;

    std::optional<std::string> check_writable() const override;
    void stop() override {}

private:
    struct Held {
        std::uint64_t token = 0;
        std::uint64_t record_version = 0;
        std::optional<std::pair<std::string, RecordIndexing>> pending; // the next record to write
        bool writing = false;
        bool released = false;
    };
    boost::asio::awaitable<void> write_records(std::string job_id);
    struct LogCopy {
        std::string key;
        std::string pending;
        bool writing = false;
        std::uint64_t dropped = 0;
    };
    boost::asio::awaitable<void> write_log(std::shared_ptr<LogCopy> copy);
    void lost(const std::string& job_id, const std::string& why);

    boost::asio::any_io_executor executor_;
    Client& client_;
    JobEvents events_;
    Records records_;
    std::unordered_map<std::string, Held> held_;
    std::function<void(const std::string&, const std::string&)> on_lost_;
};

} // namespace omx::redis
