// What a job's committed events add to the Prometheus counters: jobs created
// and finished, task attempts started, retried and failed, agent tokens.
#pragma once

#include "team/core/events.hpp"
#include "team/core/types.hpp"

#include <vector>

namespace omx::actor {

// `job` is the state after the events were applied.
void count_job_events(const team::Job& job, const std::vector<team::Event>& events);

} // namespace omx::actor
