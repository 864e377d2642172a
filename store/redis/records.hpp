// Job records in Redis (storage.md): per job a hash {version, json} written
// only by a compare-and-set on the version, in the same script as the
// all-jobs indexes (sorted sets: every job by creation time; by status, by
// last update), so a stale writer fails instead of overwriting and the
// indexes never disagree with the records. Idempotency keys are SET NX EX.
#pragma once

#include "store/redis/connection.hpp"
#include "store/redis/script.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omx::redis {

struct StoredRecord {
    std::uint64_t version = 0; // 1 for a new job's first record
    std::string json;
};

struct RecordIndexing {
    std::string status;           // the job's status now
    std::int64_t created_at = 0;  // ms, the all-jobs order
    std::int64_t updated_at = 0;  // ms, the by-status order
};

struct IdempotencyHit {
    std::string job_id, request_hash;
};

class Records {
public:
    // Writes `json` as version expected + 1 if the stored version is `expected`
    // (0: no record yet); false when another writer got there first.
    boost::asio::awaitable<bool> put(Connection& c, const std::string& job_id, std::uint64_t expected,
                                     const std::string& json, const RecordIndexing& indexing);
    boost::asio::awaitable<std::optional<StoredRecord>> get(Connection& c, const std::string& job_id);
    // Job ids with `status` (or all jobs when empty), newest first, from `offset`.
    boost::asio::awaitable<std::vector<std::string>> list(Connection& c, const std::string& status,
                                                          std::size_t offset, std::size_t limit);
    // Claims `key` for the job for a day; when it is taken already, who has it.
    static boost::asio::awaitable<std::optional<IdempotencyHit>> claim_key(Connection& c, const std::string& key,
                                                                          const IdempotencyHit& mine);

private:
    Script put_{R"lua(
-- KEYS: record, all jobs, the status sets. ARGV: expected version, json, id, its status set, created, updated
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', current + 1, 'json', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[3])
for i = 3, #KEYS do
  if KEYS[i] == ARGV[4] then redis.call('ZADD', KEYS[i], ARGV[6], ARGV[3]) else redis.call('ZREM', KEYS[i], ARGV[3]) end
end
return current + 1
)lua"};
};

} // namespace omx::redis
