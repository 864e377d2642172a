// The embedded file store (storage.md): per job a directory with events.jsonl
// (the source of truth) and record.json (a snapshot: the job folded up to
// lastSeq); new jobs start in the creation journal (creation_journal.hpp).
// Owns the state root lock, the event logs, the journal and the record writer.
#pragma once

#include "runtime/config.hpp"
#include "store/creation_journal.hpp"
#include "store/event_log.hpp"
#include "store/job_store.hpp"
#include "store/record_writer.hpp"
#include "store/state_lock.hpp"
#include "team/core/types.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace omx {
class BlockingPool;
}

namespace omx::store {

class FileStore final : public JobStore {
public:
    FileStore(boost::asio::any_io_executor app, BlockingPool& pool, const Config& config);

    // Creates the root if needed and takes its lock; throws std::runtime_error.
    void open();
    const std::filesystem::path& root() const { return root_; }

    // Loads every job, repairing what a crash may have left (storage.md), and
    // hands each to `take` as it is loaded (one at a time: 10 000 jobs never
    // sit in memory whole at once). Logs of non-terminal jobs stay open for appending.
    void recover(const std::function<void(team::Job)>& take);

    // A new job: its first append goes to the creation journal; its directory
    // and log are made when it first changes again (materialize()).
    void create_job(const std::string& job_id) override;
    // Undoes create_job after its first append failed.
    void discard_job(const std::string& job_id) override;
    // Opens the log of a job loaded from disk so it can change again (resume).
    void reopen(const team::Job& job) override;
    // Closes the log of a finished job once nothing is pending.
    void release(const std::string& job_id) override;

    boost::asio::awaitable<void> async_append(const std::string& job_id, std::uint64_t first_seq,
                                              std::string lines) override;
    // False when the job is still in the creation journal (no directory yet):
    // the record is wanted again once it has one.
    bool save_record(const team::Job& job) override;
    bool record_pending(const std::string& job_id) const override { return records_.pending(job_dir(job_id) / "record.json"); }
    // Shutdown: every record written (waiting until `deadline` at most) and every log synced.
    boost::asio::awaitable<void> async_flush(std::chrono::steady_clock::time_point deadline) override;

    std::optional<team::Job> load_job(const std::string& job_id) const;
    // Whole event lines (JSON envelopes, no newline) with after < seq, at most `limit`.
    std::vector<std::string> read_events(const std::string& job_id, std::uint64_t after, std::size_t limit);

    // /v1/readyz: the root accepts a new file.
    std::optional<std::string> check_writable() const override;

    void start();
    void stop() override;

private:
    std::filesystem::path job_dir(const std::string& id) const { return root_ / id; }
    // Makes the job's directory and log, starting with its journaled lines, then
    // appends `lines`; the journal entry is dropped once that is durable.
    boost::asio::awaitable<void> materialize(const std::string& job_id, std::string lines);
    // Start-up: the jobs that are still only in the creation journal.
    void recover_journal(const std::function<void(team::Job)>& take);
    std::optional<team::Job> recover_job(const std::filesystem::path& dir);
    struct CaughtUp {
        team::Job job;             // empty id: no readable creation event
        std::uint64_t log_size = 0; // bytes of whole lines folded into `job`
        std::uint64_t applied = 0;  // events applied on top of the record
        bool from_record = false;
    };
    // `file_size`: the event log's size now (0 when it is missing).
    CaughtUp catch_up(const std::string& id, const std::filesystem::path& dir, std::uint64_t file_size) const;

    std::filesystem::path root_;
    StateLock lock_;
    EventLog log_;
    CreationJournal journal_;
    std::unordered_set<std::string> creating_; // create_job() called, first append not done
    RecordWriter records_;
    std::unordered_map<std::string, std::vector<std::uint64_t>> closed_offsets_; // line starts of finished logs
};

} // namespace omx::store
