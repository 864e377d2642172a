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
    std::int64_t input_tokens = 0, output_tokens = 0, total_tokens = 0; // the job's usage, summed over all jobs
};

// Token use over all jobs (the overview's), kept by the record writes.
struct TokenSums {
    std::int64_t input = 0, output = 0, total = 0;
    std::int64_t jobs_with_usage = 0, jobs_without_usage = 0;
};

struct IdempotencyHit {
    std::string job_id, request_hash;
};

// A job's place in an index: its score (creation or update time, ms), then its id.
struct ListPosition {
    std::int64_t score = 0;
    std::string id;
};
std::string to_cursor(const ListPosition& p);            // "<score>:<id>"
std::optional<ListPosition> parse_cursor(std::string_view cursor);

class Records {
public:
    // Writes `json` as the next version if the stored version is `expected`
    // (0: no record yet); false when another writer got there first. A lease
    // holder's write (`fence_token`) is checked against the job's fencing
    // token instead: whatever version a fenced-off predecessor left, the
    // current owner's write goes in and a stale owner's is refused.
    boost::asio::awaitable<bool> put(Connection& c, const std::string& job_id, std::uint64_t expected,
                                     const std::string& json, const RecordIndexing& indexing,
                                     std::optional<std::uint64_t> fence_token = std::nullopt);
    boost::asio::awaitable<std::optional<StoredRecord>> get(Connection& c, const std::string& job_id);
    static boost::asio::awaitable<TokenSums> token_sums(Connection& c);
    // How many jobs have `status` (all jobs when empty).
    static boost::asio::awaitable<std::int64_t> count(Connection& c, const std::string& status);
    // Job ids with `status` (or all jobs when empty), newest first, after
    // `after` (from the start without it): a position, not an offset, so a job
    // added meanwhile does not shift the pages that follow.
    boost::asio::awaitable<std::vector<ListPosition>> list(Connection& c, const std::string& status,
                                                           const std::optional<ListPosition>& after,
                                                           std::size_t limit);
    // Claims `key` for the job for a day; when it is taken already, who has it.
    static boost::asio::awaitable<std::optional<IdempotencyHit>> claim_key(Connection& c, const std::string& key,
                                                                          const IdempotencyHit& mine);

private:
    Script put_{R"lua(
-- KEYS: record, all jobs, token sums, fence, the status sets.
-- ARGV: expected version, json, id, its status set, created, updated, input, output, total tokens, fence token ('' = none)
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if ARGV[10] ~= '' then
  if redis.call('GET', KEYS[4]) ~= ARGV[10] then return 0 end
elseif current ~= tonumber(ARGV[1]) then
  return 0
end
local old = redis.call('HMGET', KEYS[1], 'in', 'out', 'tot')
local was_in, was_out, was_tot = tonumber(old[1] or '0'), tonumber(old[2] or '0'), tonumber(old[3] or '0')
local now_in, now_out, now_tot = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
redis.call('HSET', KEYS[1], 'version', current + 1, 'json', ARGV[2], 'in', now_in, 'out', now_out, 'tot', now_tot)
redis.call('HINCRBY', KEYS[3], 'input', now_in - was_in)
redis.call('HINCRBY', KEYS[3], 'output', now_out - was_out)
redis.call('HINCRBY', KEYS[3], 'total', now_tot - was_tot)
local function bucket(t) if t > 0 then return 'with' else return 'without' end end
if current == 0 then
  redis.call('HINCRBY', KEYS[3], bucket(now_tot), 1)
elseif bucket(was_tot) ~= bucket(now_tot) then
  redis.call('HINCRBY', KEYS[3], bucket(was_tot), -1)
  redis.call('HINCRBY', KEYS[3], bucket(now_tot), 1)
end
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[3])
for i = 5, #KEYS do
  if KEYS[i] == ARGV[4] then redis.call('ZADD', KEYS[i], ARGV[6], ARGV[3]) else redis.call('ZREM', KEYS[i], ARGV[3]) end
end
return current + 1
)lua"};
};

} // namespace omx::redis
