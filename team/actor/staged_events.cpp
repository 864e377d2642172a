#include "team/actor/staged_events.hpp"

#include "team/core/apply.hpp"

namespace omx::actor {

void StagedEvents::add(std::vector<team::Event> events) {
    if (events.empty()) return;
    if (!copy_) copy_.emplace(base_);
    for (auto& e : events) {
        team::apply(*copy_, e);
        events_.push_back(std::move(e));
    }
}

} // namespace omx::actor
