// A job as Redis holds it: its record (a snapshot folded up to lastSeq, CAS
// written by its owner) and the events after it in its stream. Reading folds
// the two, so a reader always sees the job as of its last event, however far
// the record lags.
#pragma once

#include "store/redis/connection.hpp"
#include "store/redis/job_events.hpp"
#include "store/redis/records.hpp"
#include "team/core/types.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

namespace omx::redis {

// The record's JSON: {"lastSeq": N, "job": {…}} (the file store's record without the log size).
std::string record_json(const team::Job& job);
RecordIndexing record_indexing(const team::Job& job);

struct LoadedJob {
    team::Job job;
    std::uint64_t record_version = 0; // 0: no record yet (a job being created)
};

// What Redis holds for a job does not fold (not JSON, out of sequence): it
// will not read better later. Other RedisErrors (unreachable, still loading
// its data after a restart) may pass.
struct UnreadableJob : RedisError {
    using RedisError::RedisError;
};

// Throws UnreadableJob, or RedisError when Redis fails.
boost::asio::awaitable<std::optional<LoadedJob>> load_job(Connection& c, Records& records, JobEvents& events,
                                                          const std::string& job_id);

} // namespace omx::redis
