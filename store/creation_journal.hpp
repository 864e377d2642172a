// The creation journal: a new job's first events go to a shared append-only
// file (<root>/.journal/<n>.jsonl) instead of a new directory and log of its
// own, so a burst of POSTs costs one group-committed append and one sync per
// batch, not a directory, a file and three syncs per job. A job leaves the
// journal ("materializes") when it first changes: its directory and
// events.jsonl are made then, starting with the journaled lines. A segment is
// deleted once none of its jobs is left in it. A job that never changed (queued
// behind others, or waiting for approval) stays in the journal across restarts:
// start-up folds it from there.
#pragma once

#include "store/event_log.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace omx::store {

class CreationJournal {
public:
    CreationJournal(boost::asio::any_io_executor executor, EventLog& log, std::filesystem::path dir);

    // Start-up, before anything is appended: every job's journaled lines (whole
    // lines only; a torn end of a segment is ignored), in the order written.
    struct Journaled {
        std::string job_id;
        std::uint64_t segment;
        std::string lines;
    };
    std::vector<Journaled> read_all();
    // Start-up: the job stays in the journal (it has no log of its own).
    void adopt(Journaled job);
    // Start-up, after the adoptions: segments none of whose jobs is left are deleted.
    void drop_unused();

    // The creation lines of a new job; returns when durable under the policy.
    // Throws std::system_error (nothing is kept) when the write or sync fails.
    boost::asio::awaitable<void> async_append(const std::string& job_id, std::string lines);

    bool holds(const std::string& job_id) const { return jobs_.count(job_id) > 0; }
    const std::string& lines_of(const std::string& job_id) const { return jobs_.at(job_id).lines; }
    std::size_t size() const { return jobs_.size(); }
    std::vector<std::string> job_ids() const;
    // The job has its own durable log now: its entry is dropped, and its
    // segment deleted when it was the last one there.
    void materialized(const std::string& job_id);
    // A creation whose commit failed after its append (nothing was acknowledged).
    void discard(const std::string& job_id) { materialized(job_id); }

private:
    struct Segment {
        std::string key; // its name in the EventLog
        std::filesystem::path path;
        std::size_t jobs = 0; // journaled (or being appended) and not yet materialized
    };
    struct Entry {
        std::uint64_t segment;
        std::string lines;
    };
    std::uint64_t current();
    void drop_if_unused(std::uint64_t segment);
    boost::asio::awaitable<void> drop(std::string key, std::filesystem::path path);

    boost::asio::any_io_executor executor_;
    EventLog& log_;
    std::filesystem::path dir_;
    std::map<std::uint64_t, Segment> segments_;
    std::uint64_t next_segment_ = 1;
    bool dir_made_ = false;
    std::unordered_map<std::string, Entry> jobs_;
};

} // namespace omx::store
