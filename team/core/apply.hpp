// apply(job, event): the only code that changes a job's state. Used live by the
// job actor and at start-up to rebuild a job from its log (storage.md).
#pragma once

#include "team/core/events.hpp"
#include "team/core/types.hpp"

#include <vector>

namespace omx::team {

inline constexpr TimeMs lease_ms = 75'000;           // claimExpiresAt = last heartbeat + this
inline constexpr int max_uncounted_rate_limits = 3; // rate-limited runs that do not count as failures
inline constexpr int max_reclaims = 3;              // crash reclaims of one task

// Throws std::runtime_error for an event that cannot apply (unknown type,
// unknown task, a `created` event on an existing job).
void apply(Job& job, const Event& event);

// Folds a whole log; the first event must be `queued` with reason `created`.
Job fold(const std::vector<Event>& events);

// Puts tasks back to queued/blocked with no failures counted (resume, fix, reassign).
void reset_tasks(TeamState& team, const std::vector<std::string>& ids);

} // namespace omx::team
