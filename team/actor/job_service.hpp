// The job service: owner of every job in this process. Each command on a job
// (create, action, mailbox message) is handled in order by that job's actor:
// decide (pure) -> append to the log (durable) -> apply -> publish -> snapshot.
// All of its state lives on one strand; callers co_await its async_* methods
// from any executor.
#pragma once

#include "runtime/config.hpp"
#include "team/actor/agent_slots.hpp"
#include "team/actor/job_api.hpp"
#include "team/core/run.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/object.hpp>

#include <chrono>

#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <array>
#include <unordered_map>
#include <variant>
#include <vector>

namespace omx {
class AsyncMutex;
class BlockingPool;
}
namespace omx::store {
class FileStore;
class JobStore;
}
namespace omx::process {
class AgentAttempt;
enum class StopReason;
}

namespace omx::actor {

class StagedEvents;
class TmuxView;

class JobService final : public JobApi {
public:
    using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
    // `app` is the strand the store runs on too; `pool` takes the blocking file
    // work. `store` takes the changes; `files`, when the jobs live in files, is
    // where finished jobs and old events are read from (null on a Redis worker,
    // which holds only the jobs it runs, while API nodes serve the reads).
    JobService(Strand app, const Config& config, store::JobStore& store, store::FileStore* files, BlockingPool& pool);
    ~JobService();

    // Start-up (before serving): takes each job the file store recovers, then
    // recovered() kills agents the last server left running.
    void recover(team::Job job);
    void recovered();
    // Starts the runs of the jobs recover() loaded (their runners begin once the io_context runs).
    void start_runs();

    // On a worker of the Redis backend the jobs are handed in and taken back:
    // `released` is told when a job needs its owner no more — finished, or
    // parked until a person acts (waiting for approval, no agent running) —
    // and the service forgets it.
    void hand_back_jobs(std::function<void(const std::string& job_id)> released);
    // Holds a job loaded from the store whose lease this worker holds; its
    // commands may be applied before run() lets its runner look at it (no
    // runner starts until then).
    // Agents of the job's claims still running on this machine (its last
    // owner died here) are killed first, as at a restart.
    boost::asio::awaitable<void> async_adopt(team::Job job);
    void run(const std::string& job_id);
    // Hands back a job adopted only for its commands (this worker does not run
    // it): its record is written and `released` told, as for a parked one.
    void put_back(const std::string& job_id);
    // The job's lease is lost: its agents are stopped at once and nothing more
    // of it is written; the service forgets it once they are gone.
    void drop(const std::string& job_id, const std::string& why);
    // The job is held here (adopted and not yet released or forgotten).
    bool holds(const std::string& job_id) const { return active_.count(job_id) != 0; }
    const std::string& worker_id() const { return worker_id_; }

    boost::asio::awaitable<CreateOutcome> async_create(team::JobRequest request,
                                                       std::optional<std::string> idempotency_key,
                                                       std::string request_hash) override;
    boost::asio::awaitable<std::optional<team::Job>> async_get(std::string id) override;
    boost::asio::awaitable<ViewBody> async_view(std::string id, ViewKind kind, ViewRenderer render) override;
    boost::asio::awaitable<std::optional<JobList>> async_list(store::ListFilter filter) override;
    boost::asio::awaitable<JobOutcome> async_job_action(std::string id, team::JobAction action,
                                                        std::optional<std::string> comment) override;
    boost::asio::awaitable<JobOutcome> async_task_action(std::string id, std::string task_id, bool approve,
                                                         std::optional<std::string> comment) override;
    boost::asio::awaitable<MessageOutcome> async_post_message(std::string id, MailboxValidator validate) override;

    boost::asio::awaitable<std::optional<std::string>> async_attempt_log(std::string id, std::string task_id,
                                                                        int attempt) override;
    boost::asio::awaitable<std::optional<EventPage>> async_events(std::string id, std::uint64_t after,
                                                                  std::size_t limit) override;
    boost::asio::awaitable<StreamStart> async_subscribe(std::string id, std::shared_ptr<Subscriber> s) override;
    boost::asio::awaitable<std::vector<FramePtr>> async_frames(std::string id, std::uint64_t after,
                                                               std::uint64_t up_to, std::size_t max) override;
    boost::asio::awaitable<std::vector<FramePtr>> async_subscribe_monitor(std::shared_ptr<Subscriber> s,
                                                                          std::optional<std::uint64_t> last_id) override;

    boost::asio::awaitable<boost::json::object> async_overview(std::size_t limit) override;
    boost::asio::awaitable<std::optional<std::string>> async_readiness() override;
    boost::asio::awaitable<std::vector<metrics::GaugeSample>> async_metric_gauges() override;
    boost::asio::awaitable<void> async_shutdown(std::chrono::milliseconds grace) override;

private:
    struct Slot;
    template <class T, class F>
    boost::asio::awaitable<T> on_strand(F f);

    Slot* find_active(const std::string& id);
    std::optional<team::Job> find_job(const std::string& id);
    // The job and its view cache, active or finished (loaded from disk when needed); null if unknown.
    std::pair<const team::Job*, Views*> locate(const std::string& id);
    // After the job changed in any way (events, heartbeats, a pid): views are
    // rendered anew and the record is written.
    void record_changed(Slot& slot);
    void record_only_changed(Slot& slot); // the pid or heartbeats: no event
    void store_record(Slot& slot); // when record_dirty
    std::vector<metrics::GaugeSample> metric_gauges() const;
    Slot* activate(const std::string& id); // loads a finished job to change it
    void deactivate_if_done(Slot& slot);
    bool parked(const Slot& slot) const; // handed back when hand_back_jobs() was called
    void remember_finished(team::Job job);

    boost::asio::awaitable<JobOutcome> run_command(const std::string& id,
                                                   std::function<team::Decision(const team::Job&)> decide);
    // Stamps, appends durably, applies, publishes, snapshots. Throws on a store failure.
    boost::asio::awaitable<void> commit(Slot& slot, std::vector<team::EventDraft> drafts);
    boost::asio::awaitable<void> commit(Slot& slot, std::vector<team::Event> stamped);
    // Drafts as the events that follow `after` (seq, id, time; the tmux view's end before a terminal event).
    std::vector<team::Event> stamp(Slot& slot, const team::Job& after, std::vector<team::EventDraft> drafts);
    void stage(Slot& slot, StagedEvents& staged, std::vector<team::EventDraft> drafts);
    void publish(Slot& slot, const team::Event& event, std::string_view log_line);
    // Event lines from the files (a Redis worker serves no reads: none there).
    std::vector<std::string> read_events(const std::string& id, std::uint64_t after, std::size_t limit);

    boost::json::object overview(std::size_t limit) const;

    // The engine (job_runner.cpp: a runner coroutine per job; task_runner.cpp:
    // a coroutine per running attempt). Everything runs on strand_.
    void poke(Slot& slot); // wakes the job's runner, starting one when the job needs it
    boost::asio::awaitable<void> run_job(std::string id);
    struct PreparedStart;
    // Runs under the job's lock. What the runner does next, staged after what
    // `staged` holds (an attempt's result, a ready workspace): the run's step,
    // then the starts of the tasks that may start; all committed in one write,
    // then the started agents are spawned. Returns whether the write stuck.
    boost::asio::awaitable<bool> advance(Slot& slot, StagedEvents staged);
    boost::asio::awaitable<void> prepare_workspace(Slot& slot);
    void heartbeat(Slot& slot);
    team::StepInput step_input(const Slot& slot, const team::Job& job) const;
    void wake_jobs(const std::deque<std::string>& ids);
    // Stages team.task.started for every task that may start in staged.job(),
    // as far as parallelTasks and the server's agent slots allow, with its
    // attempt prepared (files written on the pool meanwhile). `wants_more`: a
    // task is left waiting for an agent slot.
    std::vector<PreparedStart> stage_starts(Slot& slot, StagedEvents& staged, bool& wants_more);
    std::optional<PreparedStart> prepare_start(Slot& slot, StagedEvents& staged, const std::string& task_id);
    // After the starts' commit: spawns their agents (`announced`), or gives their agent slots back.
    boost::asio::awaitable<void> launch(Slot& slot, std::vector<PreparedStart> starts, bool announced);
    // Commits the attempt's result: what `attempt` ran to, or `failed_before_start`.
    boost::asio::awaitable<void> finish_attempt(std::string job_id, std::string task_id,
                                                std::shared_ptr<process::AgentAttempt> attempt,
                                                std::optional<std::string> failed_before_start);
    void queue_output(Slot& slot, team::EventDraft event);
    boost::asio::awaitable<void> flush_output(std::string job_id);
    std::vector<team::EventDraft> take_output(Slot& slot);
    // Ends the job's streams and preparation and stops every attempt (shutdown, a lost lease).
    void stop_all(Slot& slot, process::StopReason reason);
    // Stops attempts whose task no longer runs under their claim (cancel, reassign, run end).
    void stop_orphaned_attempts(Slot& slot);
    // Appends a message that just arrived to the inbox of every matching running task.
    void deliver_to_inboxes(Slot& slot, const team::Message& message);
    // The tmux view (tmux_view.hpp): its end announced before the run's terminal event.
    boost::asio::awaitable<std::optional<std::variant<std::unique_ptr<TmuxView>, std::string>>> open_tmux_view(Slot& slot);
    void adopt_tmux_view(Slot& slot, std::unique_ptr<TmuxView> view, team::Decision& decision);
    void end_tmux_view(Slot& slot, std::vector<team::EventDraft>& drafts);
    void close_tmux_view(Slot& slot);
    // Appends under the job's lock, logging instead of throwing; returns whether it stuck.
    boost::asio::awaitable<bool> commit_engine(Slot& slot, std::vector<team::Event> stamped);

    AgentSlots agents_;
    std::string worker_id_;

    const Config& config_;
    store::JobStore& store_;
    store::FileStore* files_;
    BlockingPool& pool_;
    Strand strand_;
    std::unordered_map<std::string, std::unique_ptr<Slot>> active_;
    store::JobIndex index_;

    // Finished jobs recently read, newest at the front.
    struct FinishedJob {
        team::Job job;
        Views views;
    };
    std::list<FinishedJob> finished_;
    std::unordered_map<std::string, std::list<FinishedJob>::iterator> finished_by_id_;

    struct IdempotencyEntry {
        std::string job_id, request_hash;
        team::TimeMs created_at = 0;
    };
    std::unordered_map<std::string, IdempotencyEntry> idempotency_;
    std::size_t next_key_prune_ = 1024;
    void remember_key(const std::string& key, IdempotencyEntry entry);
    std::unordered_map<std::string, std::shared_ptr<AsyncMutex>> key_locks_;

    SubscriberList monitor_subscribers_;
    std::deque<FramePtr> monitor_ring_;
    std::size_t monitor_ring_bytes_ = 0;
    std::uint64_t monitor_seq_ = 0;
    std::set<std::string> leftover_claims_; // of agents that may have outlived the last server (recover())
    std::deque<std::string> retained_tmux_; // kept tmux sessions, oldest first (at most 20)
    bool shutting_down_ = false;
    std::function<void(const std::string&)> released_; // hand_back_jobs()
    int in_flight_ = 0; // commands between admission and their answer

    struct InFlight { // counts a command for the duration of a scope
        explicit InFlight(int& n) : n_(n) { ++n_; }
        ~InFlight() { --n_; }
        int& n_;
    };
};

} // namespace omx::actor
