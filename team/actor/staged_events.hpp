// Events decided one after another within one change of a job — an
// attempt's result, the run's step after it, the starts of the tasks that
// became ready — each decision made against the job as the events before it
// leave it, then committed together: one append, one sync. The job is copied
// only once something is staged. Private to team/actor.
#pragma once

#include "team/core/events.hpp"
#include "team/core/types.hpp"

#include <optional>
#include <vector>

namespace omx::actor {

class StagedEvents {
public:
    explicit StagedEvents(const team::Job& job) : base_(job) {}

    // The job after every event staged so far.
    const team::Job& job() const { return copy_ ? *copy_ : base_; }
    // Stamped events that follow job(); applied to it.
    void add(std::vector<team::Event> events);
    bool empty() const { return events_.empty(); }
    std::vector<team::Event> take() { return std::move(events_); }

private:
    const team::Job& base_;
    std::optional<team::Job> copy_;
    std::vector<team::Event> events_;
};

} // namespace omx::actor
