// Append-only per-job event logs (events.jsonl) with group commit: appends that
// arrive together are written together and made durable with one sync per file,
// off the io_context thread. A failed write is truncated back to the last good
// offset, so a log never holds a torn line in the middle.
#pragma once

#include "runtime/config.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <system_error>
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace omx {
class BlockingPool;
}

namespace omx::store {

class EventLog {
public:
    // Everything but the syncs runs on `executor` (one strand: the app's).
    EventLog(boost::asio::any_io_executor executor, BlockingPool& pool, FsyncPolicy policy);
    ~EventLog();

    // Opens (creating if needed) the log at `path`, whose whole lines end at `size`.
    void open(const std::string& job_id, const std::filesystem::path& path, std::uint64_t size);
    bool is_open(const std::string& job_id) const;
    void close(const std::string& job_id); // only when nothing is pending for it

    // Appends whole lines; returns when durable under the policy. Throws
    // std::system_error (and leaves the log as it was) when the write or sync fails.
    boost::asio::awaitable<void> async_append(const std::string& job_id, std::string lines);

    std::uint64_t size(const std::string& job_id) const;
    // Byte offset where the line of `seq` starts (seq >= 1), building the index lazily.
    std::optional<std::uint64_t> offset_of(const std::string& job_id, std::uint64_t seq);
    std::uint64_t line_count(const std::string& job_id);

    // Syncs every log now (shutdown, interval policy); never throws.
    boost::asio::awaitable<void> async_sync_all();
    void start_interval_sync(); // for FsyncPolicy::interval
    void stop();                // ends the interval loop

private:
    struct Log;
    struct Pending;
    struct SyncTarget;
    boost::asio::awaitable<void> write_batches();
    boost::asio::awaitable<void> write_batch(const std::vector<std::shared_ptr<Pending>>& batch);
    boost::asio::awaitable<void> interval_loop();
    boost::asio::awaitable<std::map<void*, std::error_code>> sync_targets(const std::vector<SyncTarget>& targets);
    void index_lines(Log&, std::uint64_t from, std::string_view bytes);

    boost::asio::any_io_executor executor_;
    BlockingPool& pool_;
    FsyncPolicy policy_;
    std::unordered_map<std::string, std::unique_ptr<Log>> logs_;
    std::vector<std::unique_ptr<Log>> retired_; // closed while not yet synced (interval policy)
    std::vector<std::shared_ptr<Pending>> queue_;
    bool writing_ = false;
    bool stopped_ = false;
    int syncing_ = 0; // interval syncs in flight
    std::unique_ptr<boost::asio::steady_timer> interval_timer_;
};

} // namespace omx::store
