// Job ownership in Redis (storage.md): a lease key per job, set only when
// free and expiring unless its holder renews it, and a fencing token — a
// per-job counter incremented at every acquisition — that each write of the
// holder carries (job_events.hpp), so a worker that lost its lease (paused,
// cut off) cannot write after its successor started.
#pragma once

#include "store/redis/connection.hpp"
#include "store/redis/script.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace omx::redis {

struct Holder {
    std::string worker;
    std::uint64_t token = 0;
    std::string value() const { return worker + " " + std::to_string(token); }
};

class Leases {
public:
    // The job's lease for `worker` with a new fencing token, or nullopt while another holds it.
    boost::asio::awaitable<std::optional<Holder>> acquire(Connection& c, const std::string& job_id,
                                                          const std::string& worker, std::chrono::milliseconds ttl);
    // Extends the lease; false when it is no longer `holder`'s (expired, taken over).
    boost::asio::awaitable<bool> renew(Connection& c, const std::string& job_id, const Holder& holder,
                                       std::chrono::milliseconds ttl);
    // Gives the lease up (if still held by `holder`).
    boost::asio::awaitable<void> release(Connection& c, const std::string& job_id, const Holder& holder);

private:
    Script acquire_{R"lua(
-- KEYS: lease, fence. ARGV: worker, ttl ms
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return token
)lua"};
    Script renew_{R"lua(
-- KEYS: lease. ARGV: holder value, ttl ms
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
)lua"};
    Script release_{R"lua(
-- KEYS: lease. ARGV: holder value
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua"};
};

} // namespace omx::redis
