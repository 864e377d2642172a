// Round-robin agent slots.
#include "team/actor/agent_slots.hpp"

#include <algorithm>

namespace omx::actor {

bool AgentSlots::try_acquire(const std::string& job) {
    if (auto it = handed_.find(job); it != handed_.end()) {
        if (--it->second == 0) handed_.erase(it);
        return true;
    }
    if (used_ < capacity_ && waiting_.empty()) {
        ++used_;
        return true;
    }
    if (std::find(waiting_.begin(), waiting_.end(), job) == waiting_.end()) waiting_.push_back(job);
    return false;
}

std::optional<std::string> AgentSlots::release() {
    if (waiting_.empty()) {
        --used_;
        return std::nullopt;
    }
    auto next = waiting_.front(); // the slot stays in use, reserved for the next job in turn
    waiting_.pop_front();
    ++handed_[next];
    return next;
}

std::deque<std::string> AgentSlots::withdraw(const std::string& job) {
    std::erase(waiting_, job);
    std::deque<std::string> woken;
    auto it = handed_.find(job);
    if (it == handed_.end()) return woken;
    int n = it->second;
    handed_.erase(it);
    for (int i = 0; i < n; ++i)
        if (auto next = release()) woken.push_back(*next);
    return woken;
}

} // namespace omx::actor
