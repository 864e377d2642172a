// The job service: per-job command ordering, the commit path, reads and streams.
#include "team/actor/job_service.hpp"

#include "team/actor/job_metrics.hpp"
#include "team/core/role_log.hpp"
#include "team/actor/job_slot.hpp"
#include "team/actor/staged_events.hpp"

#include "process/leftovers.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/async_mutex.hpp"
#include "runtime/clock.hpp"
#include "runtime/ids.hpp"
#include "runtime/log.hpp"
#include "store/file_store.hpp"
#include "team/core/apply.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/events.hpp"
#include "team/core/json_codec.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <set>

namespace asio = boost::asio;
namespace json = boost::json;

namespace omx::actor {
namespace {

constexpr std::size_t tail_capacity = 256;      // recent frames of an active job kept in memory
constexpr std::size_t monitor_capacity = 10000;                  // recent frames of all jobs,
constexpr std::size_t monitor_capacity_bytes = 16 * 1024 * 1024; // and at most this many bytes of them
constexpr std::size_t finished_cache_capacity = 256;
constexpr std::uint64_t record_lag_limit = 64; // events a record may lag its log while the job is active
constexpr team::TimeMs idempotency_window_ms = 24LL * 3600 * 1000;

} // namespace

JobService::JobService(Strand app, const Config& config, store::JobStore& store, store::FileStore* files,
                       BlockingPool& pool)
    : agents_(config.max_agents), worker_id_("omxd-" + random_hex(4)), config_(config), store_(store), files_(files),
      pool_(pool),
      strand_(std::move(app)) {}

JobService::~JobService() = default;

template <class T, class F>
asio::awaitable<T> JobService::on_strand(F f) {
    // With one io thread (the default) every handler is already serialized with
    // the strand's: run in place, without two hops and a coroutine spawn per call.
    if (config_.threads == 1) co_return co_await f();
    co_return co_await asio::co_spawn(strand_, std::move(f), asio::use_awaitable);
}

namespace {

// How long the agents of old claims get to die once SIGKILLed.
constexpr std::chrono::seconds leftover_kill_wait{5};

// Every claim not released by a result: running tasks, and tasks canceled or
// reset while their agent was still stopping when its server died.
void add_claims(const team::Job& job, std::set<std::string>& claims) {
    for (auto& t : job.team.tasks)
        if (t.claimToken) claims.insert(*t.claimToken);
}

} // namespace

void JobService::recover(team::Job job) {
    index_.upsert(job);
    if (job.idempotencyKey && job.requestHash && now_ms() - job.createdAt < idempotency_window_ms)
        idempotency_[*job.idempotencyKey] = {job.id, *job.requestHash, job.createdAt};
    add_claims(job, leftover_claims_);
    if (team::is_terminal(job.status)) return;
    auto slot = std::make_unique<Slot>(strand_);
    slot->job = std::move(job);
    slot->recorded_seq = slot->job.lastSeq; // recovery brought the record up to date
    active_.emplace(slot->job.id, std::move(slot));
}

void JobService::recovered() {
    // Their agents must not outlive their claim: killed before the tasks run again.
    if (int killed = process::kill_claimed_processes(leftover_claims_, leftover_kill_wait))
        log::warn("killed agents left by the previous server", {{"processes", std::to_string(killed)}});
    leftover_claims_.clear();
    log::info("jobs loaded", {{"jobs", std::to_string(index_.size())}, {"active", std::to_string(active_.size())}});
}

JobService::Slot* JobService::find_active(const std::string& id) {
    auto it = active_.find(id);
    return it == active_.end() ? nullptr : it->second.get();
}

void JobService::remember_finished(team::Job job) {
    auto id = job.id;
    if (auto it = finished_by_id_.find(id); it != finished_by_id_.end()) finished_.erase(it->second);
    finished_.push_front(FinishedJob{std::move(job), {}});
    finished_by_id_[id] = finished_.begin();
    // Drop the oldest entries whose snapshot is on disk; one whose record write
    // is still in flight must stay readable from here.
    while (finished_.size() > finished_cache_capacity) {
        auto victim = std::find_if(finished_.rbegin(), finished_.rend(),
                                   [&](const FinishedJob& f) { return !store_.record_pending(f.job.id); });
        if (victim == finished_.rend()) break;
        finished_by_id_.erase(victim->job.id);
        finished_.erase(std::next(victim).base());
    }
}

std::pair<const team::Job*, Views*> JobService::locate(const std::string& id) {
    if (auto* slot = find_active(id)) return {&slot->job, &slot->views};
    if (!index_.find(id)) return {nullptr, nullptr};
    auto it = finished_by_id_.find(id);
    if (it == finished_by_id_.end()) {
        auto job = files_ ? files_->load_job(id) : std::nullopt;
        if (!job) {
            log::error("indexed job has no readable record", {{"job", id}});
            return {nullptr, nullptr};
        }
        remember_finished(std::move(*job));
        it = finished_by_id_.find(id);
    }
    return {&it->second->job, &it->second->views};
}

std::optional<team::Job> JobService::find_job(const std::string& id) {
    auto [job, views] = locate(id);
    if (!job) return std::nullopt;
    return *job;
}

// record.json is a snapshot for a fast start, not the source of truth (the log
// is): it is written when the job settles (finished, or waiting for a person),
// when it is `record_lag_limit` events behind the log, and at shutdown. A
// restart folds at most that many events on top of it; a job whose log is
// shorter needs no record at all. (Writing it at every commit cost a file
// creation and rename per event: most of the time of a task on this disk.)
void JobService::record_changed(Slot& slot) {
    slot.views = {};
    slot.record_dirty = true;
    bool settled = team::is_terminal(slot.job.status) || slot.job.status == team::JobStatus::waiting_approval;
    // In Redis the record also keeps the by-status indexes that list jobs: written at every change of status.
    bool indexed_status_changed = released_ && slot.job.status != slot.recorded_status;
    if (settled || indexed_status_changed || slot.job.lastSeq - slot.recorded_seq >= record_lag_limit) store_record(slot);
}

// Fields kept in the record only (the pid, heartbeats) changed. The API nodes
// of the Redis backend see them only in the stored record: written now (a
// heartbeat comes once per interval; a write in flight coalesces the next).
void JobService::record_only_changed(Slot& slot) {
    record_changed(slot);
    if (released_) store_record(slot);
}

void JobService::store_record(Slot& slot) {
    if (!slot.record_dirty || !store_.save_record(slot.job)) return;
    slot.recorded_seq = slot.job.lastSeq;
    slot.recorded_status = slot.job.status;
    slot.record_dirty = false;
}

JobService::Slot* JobService::activate(const std::string& id) {
    if (auto* slot = find_active(id)) return slot;
    auto job = find_job(id);
    if (!job) return nullptr;
    store_.reopen(*job);
    auto slot = std::make_unique<Slot>(strand_);
    slot->job = std::move(*job);
    slot->recorded_seq = slot->job.lastSeq;
    return active_.emplace(id, std::move(slot)).first->second.get();
}

bool JobService::parked(const Slot& slot) const {
    return released_ && slot.job.status == team::JobStatus::waiting_approval && slot.attempts.empty();
}

void JobService::deactivate_if_done(Slot& slot) {
    if (slot.busy > 0 || slot.runner || !slot.attempts.empty()) return;
    bool finished = team::is_terminal(slot.job.status);
    if (!finished && !parked(slot) && !slot.lease_lost && !slot.put_back) return;
    std::string id = slot.job.id;
    if (!slot.lease_lost) store_record(slot); // record-only fields changed after it settled
    if (finished && !released_) remember_finished(slot.job);
    store_.release(id);
    bool tell = released_ && !slot.lease_lost;
    active_.erase(id); // destroys `slot`
    wake_jobs(agents_.withdraw(id)); // agent slots handed to it while it was going go on to the next job
    if (tell) released_(id);
}

void JobService::hand_back_jobs(std::function<void(const std::string&)> released) { released_ = std::move(released); }

asio::awaitable<void> JobService::async_adopt(team::Job job) {
    std::set<std::string> claims;
    add_claims(job, claims);
    if (!claims.empty()) {
        // Named: GCC 12 destroys a lambda temporary inside co_await too early.
        auto kill_leftovers = [claims] { return process::kill_claimed_processes(claims, leftover_kill_wait); };
        int killed = co_await pool_.run(kill_leftovers);
        if (killed > 0)
            log::warn("killed agents left by the job's last owner", {{"job", job.id}, {"processes", std::to_string(killed)}});
    }
    auto id = job.id;
    auto slot = std::make_unique<Slot>(strand_);
    slot->job = std::move(job);
    slot->recorded_seq = slot->job.lastSeq;
    slot->recorded_status = slot->job.status;
    slot->adopted = true;
    active_.insert_or_assign(id, std::move(slot));
}

void JobService::run(const std::string& job_id) {
    auto* slot = find_active(job_id);
    if (!slot) return;
    slot->adopted = false;
    poke(*slot);
    deactivate_if_done(*slot); // nothing to run (a finished job whose command was refused): released now
}

void JobService::put_back(const std::string& job_id) {
    auto* slot = find_active(job_id);
    if (!slot) return;
    slot->put_back = true;
    deactivate_if_done(*slot);
}

void JobService::drop(const std::string& job_id, const std::string& why) {
    auto* slot = find_active(job_id);
    if (!slot || slot->lease_lost) return;
    log::warn("stopping a lost job's agents", {{"job", job_id}, {"why", why}});
    slot->lease_lost = true;
    stop_all(*slot, process::StopReason::reassign);
    deactivate_if_done(*slot);
}

void JobService::stop_all(Slot& slot, process::StopReason reason) {
    slot.subscribers.close_all();
    slot.stop_preparation.emit(asio::cancellation_type::terminal);
    for (auto& [task, a] : slot.attempts)
        if (!a.finished && !a.stopping) {
            a.stopping = true;
            a.attempt->stop(reason);
        }
    slot.wake.cancel();
}

std::vector<std::string> JobService::read_events(const std::string& id, std::uint64_t after, std::size_t limit) {
    if (!files_) return {};
    return files_->read_events(id, after, limit);
}

void JobService::publish(Slot& slot, const team::Event& event, std::string_view log_line) {
    auto data = sse_data(log_line);
    auto frame = make_frame(event.seq, event.type, data);
    slot.tail.push_back(frame);
    if (slot.tail.size() > tail_capacity) slot.tail.pop_front();
    slot.subscribers.publish(frame);

    auto monitor = std::make_shared<Frame>();
    monitor->seq = ++monitor_seq_;
    monitor->text = sse_frame(std::to_string(monitor->seq), event.type, data);
    monitor_ring_.push_back(monitor);
    monitor_ring_bytes_ += monitor->text.size();
    while (monitor_ring_.size() > monitor_capacity || monitor_ring_bytes_ > monitor_capacity_bytes) {
        monitor_ring_bytes_ -= monitor_ring_.front()->text.size();
        monitor_ring_.pop_front();
    }
    monitor_subscribers_.publish(monitor);
}

std::vector<team::Event> JobService::stamp(Slot& slot, const team::Job& after, std::vector<team::EventDraft> drafts) {
    std::vector<team::Event> events;
    if (drafts.empty()) return events;
    team::TimeMs now = std::max(now_ms(), after.updatedAt);
    std::uint64_t seq = after.lastSeq;
    // A new job has no id until its creation event applies: take it from that event.
    std::string job_id = after.id.empty() ? std::string(drafts.front().payload.at("job").at("id").as_string()) : after.id;
    end_tmux_view(slot, drafts);
    for (auto& d : drafts)
        events.push_back({++seq, new_uuid(), job_id, std::move(d.type), std::move(d.message), std::move(d.payload), now});
    return events;
}

void JobService::stage(Slot& slot, StagedEvents& staged, std::vector<team::EventDraft> drafts) {
    staged.add(stamp(slot, staged.job(), std::move(drafts)));
}

asio::awaitable<void> JobService::commit(Slot& slot, std::vector<team::EventDraft> drafts) {
    auto stamped = stamp(slot, slot.job, std::move(drafts)); // named: GCC 12 mishandles temporaries in co_await
    co_await commit(slot, std::move(stamped));
}

asio::awaitable<void> JobService::commit(Slot& slot, std::vector<team::Event> events) {
    if (slot.lease_lost) throw std::runtime_error("the job's lease was lost: its new owner writes it");
    if (events.empty()) co_return;
    team::Job& job = slot.job;
    const std::string job_id = events.front().jobId;
    std::vector<std::string> lines;
    std::string batch;
    for (auto& e : events) {
        lines.push_back(team::to_json_line(e));
        batch += lines.back();
    }
    co_await store_.async_append(job_id, job.lastSeq + 1, std::move(batch));
    metrics::count(metrics::family::event_appends, {}, static_cast<double>(events.size()));
    for (std::size_t i = 0; i < events.size(); ++i) {
        team::apply(job, events[i]);
        publish(slot, events[i], lines[i]);
        if (slot.tmux) slot.tmux->write(team::role_log_lines(job, events[i]));
        if (events[i].type == team::event_type::mailbox_received)
            deliver_to_inboxes(slot, team::message_from_json(events[i].payload.at("message").as_object()));
    }
    if (!released_) index_.upsert(job); // a Redis worker serves no reads: its index would only grow
    record_changed(slot);
    count_job_events(job, events);
    if (slot.tmux && team::is_terminal(job.status)) close_tmux_view(slot);
    // Live output items change no state: nothing for the runner to look at again.
    bool only_output = std::all_of(events.begin(), events.end(),
                                   [](const team::Event& e) { return e.type == team::event_type::task_output; });
    if (only_output) co_return;
    stop_orphaned_attempts(slot);
    poke(slot);
}

// Keys older than the 24 h window are dropped now and then, so the map stays bounded.
void JobService::remember_key(const std::string& key, IdempotencyEntry entry) {
    if (idempotency_.size() >= next_key_prune_) {
        auto now = now_ms();
        std::erase_if(idempotency_, [&](auto& kv) { return now - kv.second.created_at >= idempotency_window_ms; });
        next_key_prune_ = std::max<std::size_t>(1024, 2 * idempotency_.size());
    }
    idempotency_[key] = std::move(entry);
}

asio::awaitable<CreateOutcome> JobService::async_create(team::JobRequest request,
                                                        std::optional<std::string> key, std::string hash) {
    return on_strand<CreateOutcome>([this, request = std::move(request), key = std::move(key),
                                     hash = std::move(hash)]() -> asio::awaitable<CreateOutcome> {
        if (shutting_down_) co_return CreateOutcome{Failure::unavailable, "server is shutting down", {}, false};
        InFlight counted(in_flight_);
        std::shared_ptr<AsyncMutex> key_lock;
        if (key) { // requests with the same key are handled one at a time
            auto& l = key_locks_[*key];
            if (!l) l = std::make_shared<AsyncMutex>(strand_);
            key_lock = l;
            co_await key_lock->async_lock();
        }
        CreateOutcome outcome;
        auto existing = key ? idempotency_.find(*key) : idempotency_.end();
        if (existing != idempotency_.end() && now_ms() - existing->second.created_at < idempotency_window_ms) {
            if (existing->second.request_hash != hash) {
                outcome = {Failure::conflict,
                           "Idempotency-Key '" + *key + "' was used with a different request body", {}, false};
            } else {
                auto [job, views] = locate(existing->second.job_id);
                outcome = {Failure::none, "", job ? std::optional<CreatedJob>({job->id, job->status}) : std::nullopt, true};
            }
        } else {
            std::string id = new_uuid();
            auto decision = team::decide_create(request, {id, key, hash});
            auto slot = std::make_unique<Slot>(strand_);
            try {
                store_.create_job(id);
                co_await commit(*slot, std::move(decision.events));
                if (key) remember_key(*key, {id, hash, slot->job.createdAt});
                outcome = {Failure::none, "", CreatedJob{id, slot->job.status}, false};
                poke(*active_.emplace(id, std::move(slot)).first->second);
            } catch (const std::exception& e) {
                log::error("job creation failed", {{"error", e.what()}});
                store_.discard_job(id);
                outcome = {Failure::unavailable, std::string("cannot store the job: ") + e.what(), {}, false};
            }
        }
        if (key_lock) {
            key_lock->unlock();
            if (key_lock.use_count() == 2) key_locks_.erase(*key); // nobody else waits on this key
        }
        co_return outcome;
    });
}

asio::awaitable<std::optional<team::Job>> JobService::async_get(std::string id) {
    return on_strand<std::optional<team::Job>>(
        [this, id = std::move(id)]() -> asio::awaitable<std::optional<team::Job>> { co_return find_job(id); });
}

asio::awaitable<ViewBody> JobService::async_view(std::string id, ViewKind kind, ViewRenderer render) {
    return on_strand<ViewBody>([this, id = std::move(id), kind, render = std::move(render)]() -> asio::awaitable<ViewBody> {
        auto [job, views] = locate(id);
        if (!job) co_return nullptr;
        auto& body = (*views)[static_cast<std::size_t>(kind)];
        if (!body) body = std::make_shared<const std::string>(render(*job));
        co_return body;
    });
}

asio::awaitable<std::optional<JobList>> JobService::async_list(store::ListFilter filter) {
    return on_strand<std::optional<JobList>>([this, filter]() -> asio::awaitable<std::optional<JobList>> {
        auto page = index_.list(filter);
        if (!page) co_return std::nullopt;
        JobList list;
        list.next_cursor = page->next_cursor;
        for (auto& id : page->ids)
            if (auto job = find_job(id)) list.items.push_back(std::move(*job));
        co_return list;
    });
}

asio::awaitable<JobOutcome> JobService::run_command(const std::string& id,
                                                    std::function<team::Decision(const team::Job&)> decide) {
    if (shutting_down_) co_return JobOutcome{Failure::unavailable, "server is shutting down", {}};
    InFlight counted(in_flight_);
    Slot* slot = nullptr;
    try {
        slot = activate(id);
    } catch (const std::exception& e) {
        co_return JobOutcome{Failure::unavailable, std::string("cannot open the job's log: ") + e.what(), {}};
    }
    if (!slot) co_return JobOutcome{Failure::not_found, "job " + id + " not found", {}};
    ++slot->busy;
    co_await slot->lock.async_lock();
    JobOutcome outcome;
    try {
        if (shutting_down_) { // admitted before shutdown began, but nothing may change after the final flush
            outcome = {Failure::unavailable, "server is shutting down", {}};
        } else if (auto decision = decide(slot->job); decision.refusal) {
            outcome.failure =
                decision.refusal->kind == team::RefusalKind::conflict ? Failure::conflict : Failure::not_found;
            outcome.message = decision.refusal->message;
        } else if (!decision.events.empty()) {
            co_await commit(*slot, std::move(decision.events));
        }
    } catch (const std::system_error& e) {
        outcome.failure = Failure::unavailable;
        outcome.message = std::string("cannot store the change: ") + e.what();
    } catch (const std::exception& e) { // a bug: keep the server and this job's lock alive
        log::error("command failed", {{"job", id}, {"error", e.what()}});
        outcome.failure = Failure::unavailable;
        outcome.message = std::string("internal error: ") + e.what();
    }
    outcome.job = slot->job;
    slot->lock.unlock();
    --slot->busy;
    deactivate_if_done(*slot);
    co_return outcome;
}

asio::awaitable<JobOutcome> JobService::async_job_action(std::string id, team::JobAction action,
                                                         std::optional<std::string> comment) {
    return on_strand<JobOutcome>([this, id = std::move(id), action, comment = std::move(comment)]() {
        return run_command(id, [&](const team::Job& job) { return team::decide_job_action(job, action, comment); });
    });
}

asio::awaitable<JobOutcome> JobService::async_task_action(std::string id, std::string task_id, bool approve,
                                                          std::optional<std::string> comment) {
    return on_strand<JobOutcome>([this, id = std::move(id), task_id = std::move(task_id), approve,
                                  comment = std::move(comment)]() {
        return run_command(id, [&](const team::Job& job) {
            return team::decide_task_action(job, task_id, approve, comment);
        });
    });
}

asio::awaitable<MessageOutcome> JobService::async_post_message(std::string id, MailboxValidator validate) {
    return on_strand<MessageOutcome>([this, id = std::move(id),
                                      validate = std::move(validate)]() -> asio::awaitable<MessageOutcome> {
        MessageOutcome out;
        std::function<team::Decision(const team::Job&)> decide = [&](const team::Job& job) {
            MailboxCheck check = validate(job);
            if (!check.problems.empty() || !check.message) {
                out.problems = std::move(check.problems);
                return team::Decision{}; // nothing to commit
            }
            team::Message m = std::move(*check.message);
            m.id = new_uuid();
            m.from = "leader";
            m.createdAt = now_ms();
            if (m.to.is_string() && m.to.get_string() == "leader" && !m.taskId) {
                m.delivered = true; // leader messages are delivered on receipt
                m.deliveredAt = m.createdAt;
            }
            out.message = m;
            return team::decide_mailbox_post(job, m);
        };
        auto result = co_await run_command(id, std::move(decide));
        if (!out.problems.empty()) {
            out.failure = Failure::bad_request;
            out.message.reset();
        } else if (result.failure != Failure::none) {
            out.failure = result.failure;
            out.problems = {result.message};
            out.message.reset();
        }
        co_return out;
    });
}

// The log file in this server's work root (read on the caller's executor: it does not touch the service's state).
asio::awaitable<std::optional<std::string>> JobService::async_attempt_log(std::string id, std::string task_id,
                                                                         int attempt) {
    auto path = config_.work_root / id / "tasks" / task_id / (std::to_string(attempt) + ".log");
    std::ifstream in(path, std::ios::binary);
    if (!in) co_return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    co_return text.str();
}

asio::awaitable<std::optional<EventPage>> JobService::async_events(std::string id, std::uint64_t after,
                                                                   std::size_t limit) {
    return on_strand<std::optional<EventPage>>(
        [this, id = std::move(id), after, limit]() -> asio::awaitable<std::optional<EventPage>> {
            auto job = find_job(id);
            if (!job) co_return std::nullopt;
            EventPage page;
            page.next = after;
            if (after < job->lastSeq) {
                auto n = std::min<std::uint64_t>(limit, job->lastSeq - after);
                for (auto& line : read_events(id, after, n)) {
                    page.events.push_back(sse_data(line));
                    ++page.next;
                }
            }
            co_return page;
        });
}

asio::awaitable<StreamStart> JobService::async_subscribe(std::string id, std::shared_ptr<Subscriber> s) {
    return on_strand<StreamStart>([this, id = std::move(id), s]() -> asio::awaitable<StreamStart> {
        StreamStart start;
        auto* slot = find_active(id);
        std::optional<team::Job> job = slot ? std::optional<team::Job>() : find_job(id);
        const team::Job* j = slot ? &slot->job : (job ? &*job : nullptr);
        if (!j) co_return start;
        start.found = true;
        start.last_seq = j->lastSeq;
        start.terminal = team::is_terminal(j->status);
        start.status = team::to_string(j->status);
        if (slot && !start.terminal) {
            if (shutting_down_) s->close(); // the stream ends right after its replay
            else slot->subscribers.add(s);
        }
        co_return start;
    });
}

asio::awaitable<std::vector<FramePtr>> JobService::async_frames(std::string id, std::uint64_t after,
                                                                std::uint64_t up_to, std::size_t max) {
    return on_strand<std::vector<FramePtr>>(
        [this, id = std::move(id), after, up_to, max]() -> asio::awaitable<std::vector<FramePtr>> {
            std::vector<FramePtr> frames;
            if (after >= up_to) co_return frames;
            auto want = std::min<std::uint64_t>(max, up_to - after);
            auto* slot = find_active(id);
            if (slot && !slot->tail.empty() && slot->tail.front()->seq <= after + 1) {
                for (auto& f : slot->tail)
                    if (f->seq > after && f->seq <= after + want) frames.push_back(f);
                co_return frames;
            }
            for (auto& line : read_events(id, after, want)) frames.push_back(frame_from_log_line(line));
            co_return frames;
        });
}

asio::awaitable<std::vector<FramePtr>> JobService::async_subscribe_monitor(std::shared_ptr<Subscriber> s,
                                                                           std::optional<std::uint64_t> last_id) {
    return on_strand<std::vector<FramePtr>>([this, s, last_id]() -> asio::awaitable<std::vector<FramePtr>> {
        std::vector<FramePtr> replay;
        if (last_id)
            for (auto& f : monitor_ring_)
                if (f->seq > *last_id) replay.push_back(f);
        if (shutting_down_) s->close();
        else monitor_subscribers_.add(s);
        co_return replay;
    });
}

asio::awaitable<std::optional<std::string>> JobService::async_readiness() {
    return on_strand<std::optional<std::string>>([this]() -> asio::awaitable<std::optional<std::string>> {
        if (shutting_down_) co_return std::optional<std::string>("server is shutting down");
        co_return store_.check_writable();
    });
}

asio::awaitable<json::object> JobService::async_overview(std::size_t limit) {
    return on_strand<json::object>([this, limit]() -> asio::awaitable<json::object> { co_return overview(limit); });
}

asio::awaitable<std::vector<metrics::GaugeSample>> JobService::async_metric_gauges() {
    return on_strand<std::vector<metrics::GaugeSample>>(
        [this]() -> asio::awaitable<std::vector<metrics::GaugeSample>> { co_return metric_gauges(); });
}

asio::awaitable<void> JobService::async_shutdown(std::chrono::milliseconds grace) {
    return on_strand<void>([this, grace]() -> asio::awaitable<void> {
        shutting_down_ = true;
        for (auto& [_, slot] : active_)
            stop_all(*slot, process::StopReason::shutdown); // the attempts are requeued without counting a failure
        monitor_subscribers_.close_all();
        // Commands admitted before the flag finish their commit first.
        auto deadline = std::chrono::steady_clock::now() + grace;
        asio::steady_timer tick(strand_);
        auto agents_running = [this] {
            return std::any_of(active_.begin(), active_.end(), [](auto& kv) { return !kv.second->attempts.empty(); });
        };
        while ((in_flight_ > 0 || agents_running()) && std::chrono::steady_clock::now() < deadline) {
            tick.expires_after(std::chrono::milliseconds(5));
            co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        for (auto& [_, slot] : active_) store_record(*slot);
        co_await store_.async_flush(deadline);
        store_.stop();
    });
}

} // namespace omx::actor
