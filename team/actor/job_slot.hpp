// An active job inside the JobService: its state, its command lock, its recent
// frames and its SSE subscribers, and the engine's side of its run (the
// runner coroutine's wake-up, its workspace, its running attempts).
// Private to team/actor.
#pragma once

#include "process/agent_attempt.hpp"
#include "runtime/async_mutex.hpp"
#include "team/actor/event_stream.hpp"
#include "team/actor/job_service.hpp"
#include "team/actor/tmux_view.hpp"

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <filesystem>
#include <map>

namespace omx::actor {

// One attempt of one task, from its spawn until its result is committed.
struct RunningAttempt {
    std::string claimToken;
    std::shared_ptr<process::AgentAttempt> attempt;
    std::optional<int> pid;
    std::int64_t liveTokens = 0;
    bool starting = true;  // its start is written; launch() has not seen its agent spawned yet
    bool finished = false; // async_run completed
    bool stopping = false; // stop() was called
    bool reported = false; // its result is being committed: no longer counted against parallelTasks
};

// The files an attempt reads (its prompt, its dependencies' outputs), written
// on the blocking pool while its start commits.
struct AttemptFiles {
    bool written = false;
    std::optional<std::string> error;
};

// An attempt ready to spawn, its team.task.started staged but not committed;
// it holds one of the server's agent slots.
struct JobService::PreparedStart {
    std::string task_id;
    std::string claim;
    std::shared_ptr<process::AgentAttempt> attempt;
    std::shared_ptr<AttemptFiles> files;
};

struct JobService::Slot {
    explicit Slot(boost::asio::any_io_executor ex) : lock(ex), wake(ex), launch_wake(ex) {}
    team::Job job;
    AsyncMutex lock;
    int busy = 0; // commands waiting or running
    std::deque<FramePtr> tail;
    SubscriberList subscribers;
    Views views; // cleared by record_changed()
    // The record on disk describes the job up to this seq (store_record());
    // record_dirty: the job changed since, events or record-only fields.
    std::uint64_t recorded_seq = 0;
    team::JobStatus recorded_status = team::JobStatus::queued; // the status the last record written had
    bool record_dirty = false;

    // The engine.
    bool runner = false;         // the runner coroutine of this job is alive
    bool poked = false;          // something changed since the runner last looked
    boost::asio::steady_timer wake; // the runner sleeps on it; poke() cancels it
    // launch() sleeps on it until its attempts' files are written and their agents spawned.
    boost::asio::steady_timer launch_wake;
    std::optional<std::filesystem::path> workspace; // prepared for the current run
    boost::asio::cancellation_signal stop_preparation;
    std::map<std::string, RunningAttempt> attempts; // by task id
    std::vector<team::EventDraft> pending_output;   // team.task.output events not committed yet
    bool output_flush_scheduled = false;
    std::chrono::steady_clock::time_point next_heartbeat{};
    // After a change the store could not make durable (a full disk): no agent
    // starts before this time, and the runner tries again then.
    std::chrono::steady_clock::time_point store_retry_at{};
    bool lost_a_result = false; // an attempt's result was not stored: its task is reclaimed
    bool lease_lost = false;    // drop(): nothing of it is written any more
    bool put_back = false;      // put_back(): forgotten once idle, whatever its status
    bool adopted = false;       // adopt()ed and not yet run(): commands apply, no runner starts
    std::unique_ptr<TmuxView> tmux; // the run's tmux view, when the job asked for one
};

} // namespace omx::actor
