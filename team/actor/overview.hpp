// GET /v1/monitor/overview's body, from the job counts and the live jobs —
// whichever store they come from (the JobService's index, or Redis).
#pragma once

#include "store/job_index.hpp"
#include "team/core/types.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <vector>

namespace omx::actor {

struct OverviewCounts {
    std::size_t total = 0;
    std::map<team::JobStatus, std::size_t> by_status;
    store::TokenTotals tokens;
};

// `live`: the jobs not finished (queued, running, waiting for approval), in any order.
boost::json::object overview_json(const OverviewCounts& counts, std::vector<const team::Job*> live, std::size_t limit);

} // namespace omx::actor
