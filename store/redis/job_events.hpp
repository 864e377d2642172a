// A job's event log in Redis: one stream per job whose entry ids are the
// events' seq (`<seq>-0`), so seq semantics are the file store's — contiguous
// from 1, never reused — and a reader resumes from any Last-Event-ID with
// XREAD/XRANGE. Appends are one Lua script: it checks the writer's fencing
// token (lease.hpp) and that the log ends right before the first new seq, so
// a stale or concurrent writer fails instead of forking the log.
#pragma once

#include "store/redis/connection.hpp"
#include "store/redis/script.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omx::redis {

struct StoredEvent {
    std::uint64_t seq = 0;
    std::string line; // the event's JSON envelope, as appended
};

enum class AppendResult { appended, fenced, seq_conflict };

struct AppendOutcome {
    AppendResult result = AppendResult::appended;
    std::string message; // why not appended
};

class JobEvents {
public:
    // `lines` carry seq first_seq, first_seq + 1, …; `fence_token` is the
    // writer's (nullopt only for a job's creation, where first_seq must be 1 and
    // the log must not exist).
    boost::asio::awaitable<AppendOutcome> append(Connection& c, const std::string& job_id, std::uint64_t first_seq,
                                                 std::vector<std::string> lines,
                                                 std::optional<std::uint64_t> fence_token);
    // Events with seq > after, at most `limit`, in order.
    boost::asio::awaitable<std::vector<StoredEvent>> read(Connection& c, const std::string& job_id,
                                                          std::uint64_t after, std::size_t limit);
    // Like read, but waits up to `block` for the first one (XREAD BLOCK: give
    // it a connection of its own). Empty when none came.
    boost::asio::awaitable<std::vector<StoredEvent>> wait(Connection& c, const std::string& job_id,
                                                          std::uint64_t after, std::size_t limit,
                                                          std::chrono::milliseconds block);

    // Every job's events as they are appended (a capped stream, about the last
    // 10 000), after the feed entry `after_id`, waiting up to `block`.
    struct FeedEntry {
        std::string id; // the feed's entry id, to continue from
        std::string line;
    };
    // The id of the feed's last entry ("0-0" while it is empty).
    static boost::asio::awaitable<std::string> feed_end(Connection& c);
    static boost::asio::awaitable<std::vector<FeedEntry>> wait_feed(Connection& c, const std::string& after_id,
                                                                    std::size_t limit, std::chrono::milliseconds block);

private:
    Script append_script_{R"lua(
-- KEYS: events stream, fence counter, all-jobs feed. ARGV: token ('' = creation), first seq, feed length, lines…
if ARGV[1] ~= '' then
  local current = redis.call('GET', KEYS[2])
  if current ~= ARGV[1] then
    return redis.error_reply('FENCED the job is written by a newer owner (token ' .. tostring(current) .. ', not ' .. ARGV[1] .. ')')
  end
end
local first = tonumber(ARGV[2])
local last = 0
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #top > 0 then last = tonumber(string.match(top[1][1], '^(%d+)')) end
if first ~= last + 1 then
  return redis.error_reply('SEQ the log ends at seq ' .. last .. ', the append starts at ' .. first)
end
for i = 4, #ARGV do
  redis.call('XADD', KEYS[1], (first + i - 4) .. '-0', 'e', ARGV[i])
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'e', ARGV[i])
end
return first + #ARGV - 4
)lua"};
};

} // namespace omx::redis
