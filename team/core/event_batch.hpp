// The events one decision produces, applied as they are added to a copy of
// the job, so every later choice of the same decision sees their effect.
// finish() adds what follows from the whole batch: a phase change
// (team.md "phase") and the informational job.status event.
#pragma once

#include "team/core/decide.hpp"
#include "team/core/events.hpp"
#include "team/core/types.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omx::team {

class EventBatch {
public:
    // Events are applied as if made at `now` (default: the job's last change),
    // so clocks started by them (the minutes budget) start when they will.
    explicit EventBatch(const Job& job, std::optional<TimeMs> now = std::nullopt);

    void emit(std::string_view type, std::string message, json::object payload);
    const Job& after() const { return after_; }
    bool empty() const { return events_.empty(); }

    // Adds the phase change and job.status the batch leads to; returns the decision.
    Decision finish();

private:
    JobStatus status_before_;
    Job after_;
    TimeMs now_;
    std::vector<EventDraft> events_;
    bool plan_changed_ = false;
};

// The phase a job's state calls for: terminal phases by status, team-fix while
// a fix round's tasks have not run, else the earliest unfinished stage.
Phase target_phase(const Job&);

EventDraft phase_change(Phase from, Phase to, std::string_view reason);

// Ends the run: every unfinished task canceled (with the reason `why` gives
// for it), the terminal phase, then `terminal` as the run's last event.
void end_run(EventBatch&, Phase terminal_phase, const std::function<std::string(const Task&)>& why,
             EventDraft terminal);

} // namespace omx::team
