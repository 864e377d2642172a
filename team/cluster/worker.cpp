#include "team/cluster/worker.hpp"

#include "runtime/log.hpp"
#include "store/redis/client.hpp"
#include "store/redis/keys.hpp"
#include "store/redis/reply.hpp"
#include "team/cluster/commands.hpp"
#include "store/redis/job_snapshot.hpp"
#include "store/redis/redis_job_store.hpp"
#include "store/redis/work_queue.hpp"
#include "team/actor/job_service.hpp"
#include "team/core/enums.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;

namespace omx::cluster {
namespace {

constexpr std::chrono::milliseconds queue_block{1000};
constexpr std::chrono::milliseconds redis_retry{500};
constexpr std::size_t wake_batch = 16;

asio::awaitable<void> pause(asio::any_io_executor ex, std::chrono::milliseconds d) {
    asio::steady_timer t(ex, d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

} // namespace

Worker::Worker(asio::any_io_executor executor, const Config& config, redis::Client& client,
               redis::RedisJobStore& store, actor::JobService& jobs)
    : executor_(executor), config_(config), client_(client), store_(store), jobs_(jobs), id_(jobs.worker_id()),
      lease_(config.scaled(config.job_lease)), room_freed_(executor), jobs_held_(executor) {}

Worker::~Worker() { stop(); }

void Worker::start() {
    running_ = std::make_shared<bool>(true);
    jobs_.hand_back_jobs([this](const std::string& id) { asio::co_spawn(executor_, hand_back(id), asio::detached); });
    store_.on_lost([this](const std::string& id, const std::string& why) { lose(id, why); });
    asio::co_spawn(executor_, queue_loop(redis::run_queue()), asio::detached);
    asio::co_spawn(executor_, queue_loop(redis::wake_queue()), asio::detached);
    asio::co_spawn(executor_, takeover_loop(), asio::detached);
    asio::co_spawn(executor_, lease_loop(), asio::detached);
    asio::co_spawn(executor_, command_loop(), asio::detached);
    log::info("worker started", {{"worker", id_}, {"lease", std::to_string(lease_.count()) + " ms"}});
}

void Worker::stop() {
    if (!running_) return;
    *running_ = false;
    running_.reset();
    room_freed_.cancel();
    jobs_held_.cancel();
}

asio::awaitable<void> Worker::async_hand_over() {
    auto held = std::move(owned_);
    owned_.clear();
    for (auto& [id, owned] : held) {
        try {
            co_await leases_.release(client_.connection(), id, owned.holder);
            co_await redis::run_queue().enqueue(client_.connection(), id);
            if (!owned.entry_id.empty()) co_await redis::run_queue().ack(client_.connection(), owned.entry_id);
            log::info("job handed over", {{"job", id}});
        } catch (const std::exception& e) { // its lease runs out and its entry is taken over instead
            log::warn("job not handed over", {{"job", id}, {"error", e.what()}});
        }
    }
}

// How many more jobs this worker takes: as many as it has agents, so that a
// busy worker leaves new jobs to the others (with --max-agents 0 it runs none
// and only applies commands).
std::size_t Worker::room() const {
    auto held = owned_.size() + taking_;
    auto limit = static_cast<std::size_t>(config_.max_agents); // 0 or more (config.cpp)
    return held < limit ? limit - held : 0;
}

// Jobs to run are read while there is room for them; jobs to wake for their
// commands always (wake() runs one only if there is room).
asio::awaitable<void> Worker::queue_loop(const redis::WorkQueue& queue) {
    auto running = running_;
    const bool runs = &queue == &redis::run_queue();
    std::unique_ptr<redis::Connection> reader;
    while (*running) {
        bool failed = false;
        std::size_t count = runs ? room() : wake_batch;
        if (count == 0) {
            room_freed_.expires_after(queue_block);
            co_await room_freed_.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        try {
            if (!reader || !reader->is_open()) {
                reader = co_await client_.open_dedicated();
                co_await queue.ensure(*reader);
            }
            auto entries = co_await queue.take_new(*reader, id_, count, queue_block);
            if (!*running) co_return;
            for (auto& e : entries) {
                if (runs) co_await take(std::move(e));
                else co_await wake(std::move(e));
            }
        } catch (const std::exception& e) {
            log::warn("work queue not readable", {{"error", e.what()}});
            reader.reset();
            failed = true;
        }
        if (!*running) co_return;
        if (failed) co_await pause(executor_, redis_retry);
    }
}

// Entries taken by a worker that died (or lost its leases) and never
// acknowledged: idle for a lease time, so that worker's lease has run out.
asio::awaitable<void> Worker::takeover_loop() {
    auto running = running_;
    while (*running) {
        co_await pause(executor_, std::max(lease_ / 2, std::chrono::milliseconds(50)));
        if (!*running) co_return;
        try {
            auto wakes = co_await redis::wake_queue().take_over(client_.connection(), id_, lease_, wake_batch);
            for (auto& e : wakes) {
                if (!*running) co_return;
                co_await wake(std::move(e));
            }
            if (room() == 0) continue;
            auto entries = co_await redis::run_queue().take_over(client_.connection(), id_, lease_, room());
            if (!*running) co_return;
            for (auto& e : entries) co_await take(std::move(e));
        } catch (const std::exception& e) {
            if (!*running) co_return;
            log::debug("work queue takeover skipped", {{"error", e.what()}});
        }
    }
}

asio::awaitable<void> Worker::take(redis::QueueEntry entry) {
    auto running = running_;
    const std::string& id = entry.job_id;
    if (owned_.count(id)) { // queued again while it runs here (an action on it): the run covers it
        co_await redis::run_queue().ack(client_.connection(), entry.entry_id);
        co_return;
    }
    if (jobs_.holds(id)) co_return; // a lost run of it still stops its agents here: looked at again later
    ++taking_;
    struct Done {
        std::size_t& n;
        ~Done() { --n; }
    } done{taking_};
    auto& c = client_.connection();
    auto holder = co_await leases_.acquire(c, id, id_, lease_);
    if (!holder) co_return; // another worker runs it: the entry stays pending, looked at again after a lease time
    auto loaded = co_await load(id);
    if (!*running) co_return;
    bool runnable = loaded && !team::is_terminal(loaded->job.status) &&
                    !(loaded->job.status == team::JobStatus::waiting_approval &&
                      std::none_of(loaded->job.team.tasks.begin(), loaded->job.team.tasks.end(),
                                   [](const team::Task& t) { return t.status == team::TaskStatus::running; }));
    if (loaded && !runnable) runnable = co_await has_commands(id); // queued for an action on it
    if (!*running) co_return;
    if (!runnable) { // nothing to run: finished, parked, or unreadable
        co_await leases_.release(client_.connection(), id, *holder);
        co_await redis::run_queue().ack(client_.connection(), entry.entry_id);
        co_return;
    }
    log::info("job taken", {{"job", id}, {"token", std::to_string(holder->token)}});
    co_await hold(id, *holder, std::move(*loaded), entry.entry_id);
    // The commands it may have been queued for go first: the runner could
    // otherwise find it parked and hand it back before they apply.
    co_await apply_pending(id);
    jobs_.run(id);
    jobs_held_.cancel();
}

// The job as stored; nullopt (logged) when what Redis holds of it does not
// fold. Redis failing (down, or still loading its data after a restart)
// throws: the caller's queue entry stays pending and is taken again after a
// lease time — taken as "nothing to run", it was acknowledged and the job lost.
asio::awaitable<std::optional<redis::LoadedJob>> Worker::load(const std::string& id) {
    try {
        co_return co_await redis::load_job(client_.connection(), records_, events_, id);
    } catch (const redis::UnreadableJob& e) {
        log::error("a job cannot be loaded", {{"job", id}, {"error", e.what()}});
    }
    co_return std::nullopt;
}

// Held (commands read, lease renewed) once adopted: a command applied before would find no job.
asio::awaitable<void> Worker::hold(const std::string& id, redis::Holder holder, redis::LoadedJob loaded,
                                   std::string entry_id) {
    store_.hold(id, holder.token, loaded.record_version);
    co_await jobs_.async_adopt(std::move(loaded.job));
    owned_[id] = Owned{std::move(holder), std::move(entry_id)};
}

// A job that got a command while no worker held it: this worker holds it for
// its commands, then runs it if it has room and the job is not one the run
// queue still holds an entry for (a queued job keeps its place); otherwise it
// hands it back — queued again when it can run, so a worker with room takes it.
asio::awaitable<void> Worker::wake(redis::QueueEntry entry) {
    auto running = running_;
    const std::string& id = entry.job_id;
    auto& c = client_.connection();
    if (owned_.count(id)) { // held here: the command loop applies them
        co_await redis::wake_queue().ack(c, entry.entry_id);
        co_return;
    }
    if (jobs_.holds(id)) co_return; // a lost run of it still stops its agents here: looked at again later
    auto holder = co_await leases_.acquire(c, id, id_, lease_);
    if (!holder) { // its owner applies them
        co_await redis::wake_queue().ack(c, entry.entry_id);
        co_return;
    }
    auto loaded = co_await load(id);
    if (!*running) co_return;
    if (!loaded) {
        co_await leases_.release(c, id, *holder);
        co_await redis::wake_queue().ack(c, entry.entry_id);
        co_return;
    }
    bool was_queued = loaded->job.status == team::JobStatus::queued;
    bool may_run = !was_queued && room() > 0;
    const std::string no_queue_entry; // named: GCC 12 mishandles a braced temporary inside co_await
    co_await hold(id, *holder, std::move(*loaded), no_queue_entry);
    co_await apply_pending(id);
    if (!*running) co_return;
    co_await redis::wake_queue().ack(c, entry.entry_id);
    if (!owned_.count(id)) co_return; // a command finished or parked it: handed back already
    if (may_run) {
        log::info("job taken", {{"job", id}, {"token", std::to_string(holder->token)}});
        jobs_.run(id);
        jobs_held_.cancel();
    } else { // still held, so neither finished nor parked: it can run
        owned_[id].requeue = !was_queued;
        jobs_.put_back(id);
    }
}

// One reader of a job's commands at a time; a call while it reads makes it
// read the stream once more when done, so no command waits for the next one.
asio::awaitable<void> Worker::apply_pending(std::string job_id) {
    if (applying_[job_id]++ > 0) co_return;
    try {
        while (owned_.count(job_id)) {
            applying_[job_id] = 1;
            for (auto& pending : co_await pending_commands(client_.connection(), job_id)) {
                if (!owned_.count(job_id)) break;
                co_await apply(job_id, std::move(pending));
            }
            if (applying_[job_id] == 1) break; // not asked again meanwhile
        }
    } catch (...) {
        applying_.erase(job_id);
        throw;
    }
    applying_.erase(job_id);
}

asio::awaitable<bool> Worker::has_commands(const std::string& job_id) {
    auto r = co_await redis::call(client_.connection(), redis::command_timeout, "XLEN", redis::keys::commands(job_id));
    co_return redis::checked(r, "counting commands").as_integer().value_or(0) > 0;
}

asio::awaitable<void> Worker::hand_back(std::string job_id) {
    auto it = owned_.find(job_id);
    if (it == owned_.end()) co_return;
    Owned owned = it->second;
    owned_.erase(it);
    room_freed_.cancel();
    try {
        co_await leases_.release(client_.connection(), job_id, owned.holder);
        if (!owned.entry_id.empty()) co_await redis::run_queue().ack(client_.connection(), owned.entry_id);
        if (owned.requeue) co_await redis::run_queue().enqueue(client_.connection(), job_id);
        // An action that came after the last look for commands finds no owner: wake a worker for it.
        if (co_await has_commands(job_id)) co_await redis::wake_queue().enqueue(client_.connection(), job_id);
    } catch (const std::exception& e) { // the lease expires by itself; the entry is taken over and found done
        log::warn("job handed back incompletely", {{"job", job_id}, {"error", e.what()}});
    }
}

void Worker::lose(const std::string& job_id, const std::string& why) {
    if (!owned_.erase(job_id)) return;
    room_freed_.cancel();
    jobs_.drop(job_id, why);
}

asio::awaitable<void> Worker::lease_loop() {
    auto running = running_;
    while (*running) {
        co_await pause(executor_, lease_ / 3);
        if (!*running) co_return;
        std::vector<std::pair<std::string, redis::Holder>> held;
        for (auto& [id, o] : owned_) held.emplace_back(id, o.holder);
        for (auto& [id, holder] : held) {
            bool renewed = false;
            try {
                renewed = co_await leases_.renew(client_.connection(), id, holder, lease_);
            } catch (const std::exception& e) {
                // Redis is away: keep trying until the lease would have run out.
                log::warn("lease not renewed", {{"job", id}, {"error", e.what()}});
                continue;
            }
            if (!*running) co_return;
            if (!renewed) lose(id, "its lease ran out and another worker may hold it");
        }
    }
}

namespace {

// The streams of an XREAD reply over several streams that came with
// entries, each with its last entry's id: [[key, [entry, …]], …].
std::vector<std::pair<std::string, std::string>> streams_with_entries(const redis::Reply& r) {
    std::vector<std::pair<std::string, std::string>> out;
    if (!r.is_array()) return out;
    for (auto& stream : r.elements)
        if (stream.is_array() && stream.elements.size() == 2 && stream.elements[1].is_array() &&
            !stream.elements[1].elements.empty())
            if (auto last = redis::entry_id(stream.elements[1].elements.back()))
                out.emplace_back(stream.elements[0].text, *last);
    return out;
}

} // namespace

// One blocking read over the command streams of every job held here; the
// commands themselves are then read and applied job by job, in order.
asio::awaitable<void> Worker::command_loop() {
    auto running = running_;
    std::unique_ptr<redis::Connection> reader;
    while (*running) {
        bool failed = false;
        if (owned_.empty()) {
            jobs_held_.expires_after(std::chrono::seconds(1));
            co_await jobs_held_.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        std::vector<std::string> ids;
        for (auto& [id, _] : owned_) ids.push_back(id);
        std::erase_if(seen_commands_, [&](auto& kv) { return !owned_.count(kv.first); });
        // From the last command seen of each job: one being applied does not wake this loop again.
        std::vector<std::string> read{"XREAD", "COUNT", "1", "BLOCK", "200", "STREAMS"};
        for (auto& id : ids) read.push_back(redis::keys::commands(id));
        for (auto& id : ids) read.push_back(seen_commands_.try_emplace(id, "0-0").first->second);
        try {
            if (!reader || !reader->is_open()) reader = co_await client_.open_dedicated();
            auto r = co_await reader->command(std::move(read), redis::command_timeout);
            if (!*running) co_return;
            redis::checked(r, "waiting for commands");
            for (auto& [key, last] : streams_with_entries(r)) {
                auto id = std::find_if(ids.begin(), ids.end(), [&](auto& j) { return redis::keys::commands(j) == key; });
                if (id == ids.end() || !owned_.count(*id)) continue;
                seen_commands_[*id] = last;
                co_await apply_pending(*id);
                if (!*running) co_return;
            }
        } catch (const std::exception& e) {
            log::warn("commands not readable", {{"error", e.what()}});
            reader.reset();
            failed = true;
        }
        if (!*running) co_return;
        if (failed) co_await pause(executor_, redis_retry);
    }
}

asio::awaitable<void> Worker::apply(std::string job_id, PendingCommand pending) {
    const Command& c = pending.command;
    CommandReply reply;
    if (c.kind == Command::Kind::message && c.message) {
        team::Message message = *c.message;
        actor::MailboxValidator as_validated = [message](const team::Job&) { return actor::MailboxCheck{message, {}}; };
        auto out = co_await jobs_.async_post_message(job_id, std::move(as_validated));
        reply.failure = out.failure;
        reply.problems = std::move(out.problems);
        reply.message = std::move(out.message);
    } else {
        actor::JobOutcome out;
        if (c.kind == Command::Kind::task_action) {
            out = co_await jobs_.async_task_action(job_id, c.task_id, c.approve, c.comment);
        } else if (auto action = team::parse_job_action(c.action)) {
            out = co_await jobs_.async_job_action(job_id, *action, c.comment);
        } else {
            out = {actor::Failure::bad_request, "unknown action '" + c.action + "'", {}};
        }
        reply.failure = out.failure;
        reply.error = std::move(out.message);
        reply.job = std::move(out.job);
    }
    log::info("command applied", {{"job", job_id}, {"command", c.id}, {"error", reply.error}});
    co_await finish_command(client_.connection(), job_id, pending, reply);
}

} // namespace omx::cluster
