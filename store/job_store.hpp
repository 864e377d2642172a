// Where the job engine writes a job's changes (storage.md): the file store on
// one machine, Redis on a worker of several. The engine appends each change
// (whole event lines) before it applies it, and saves a record — a snapshot of
// the job folded up to its lastSeq — now and then.
#pragma once

#include "team/core/types.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace omx::store {

class JobStore {
public:
    virtual ~JobStore() = default;

    // A new job: its first append comes next.
    virtual void create_job(const std::string& job_id) = 0;
    // Undoes create_job after its first append failed.
    virtual void discard_job(const std::string& job_id) = 0;
    // A job loaded from the store that is about to change again (resume).
    virtual void reopen(const team::Job& job) = 0;
    // The job is done changing for now (finished, or handed back).
    virtual void release(const std::string& job_id) = 0;

    // Durably appends `lines` (JSON envelopes, each ending in '\n'), whose
    // seqs start at `first_seq`. Throws when they are not stored.
    virtual boost::asio::awaitable<void> async_append(const std::string& job_id, std::uint64_t first_seq,
                                                      std::string lines) = 0;
    // Writes the job's record in the background; false when it cannot be written
    // yet (the job must ask again later).
    virtual bool save_record(const team::Job& job) = 0;
    // A record write of the job is still under way.
    virtual bool record_pending(const std::string& job_id) const = 0;
    // Shutdown: every record written (waiting until `deadline` at most) and every append synced.
    virtual boost::asio::awaitable<void> async_flush(std::chrono::steady_clock::time_point deadline) = 0;

    // Where a copy of an attempt's log goes besides its file, or an empty
    // function when the file is all (API nodes of another machine read it from here).
    virtual std::function<void(std::string_view)> attempt_log_mirror(const std::string& job_id,
                                                                     const std::string& task_id, int attempt) {
        return {};
    }

    // Why the store cannot take a write now (/v1/readyz), or nullopt.
    virtual std::optional<std::string> check_writable() const = 0;
    virtual void stop() = 0;
};

} // namespace omx::store
