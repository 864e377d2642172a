// The server's agent slots (--max-agents), handed to jobs round-robin so one
// big job cannot starve the rest (team.md "Scheduling"). Plain bookkeeping,
// used on the service's strand.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>

namespace omx::actor {

class AgentSlots {
public:
    explicit AgentSlots(int capacity) : capacity_(capacity) {}

    // Takes a slot for `job`: one handed to it, else a free one when no other
    // job waits. Otherwise the job joins the queue (once) and gets false.
    bool try_acquire(const std::string& job);
    // Gives a slot back; returns the job it is handed to (to wake it), if one waits.
    std::optional<std::string> release();
    // The job wants no more slots now: slots handed to it go on to the next job
    // waiting (returned, to wake them), and it leaves the queue.
    std::deque<std::string> withdraw(const std::string& job);

    int in_use() const { return used_; }
    int capacity() const { return capacity_; }

private:
    int capacity_;
    int used_ = 0;                      // running agents plus slots handed to waiting jobs
    std::deque<std::string> waiting_;   // jobs wanting a slot, oldest first
    std::map<std::string, int> handed_; // slots reserved for a job that was woken
};

} // namespace omx::actor
