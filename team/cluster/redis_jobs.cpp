#include "team/cluster/redis_jobs.hpp"

#include "runtime/clock.hpp"
#include "runtime/ids.hpp"
#include "runtime/log.hpp"
#include "store/redis/client.hpp"
#include "store/redis/job_snapshot.hpp"
#include "store/redis/keys.hpp"
#include "store/redis/reply.hpp"
#include "store/redis/work_queue.hpp"
#include "team/actor/job_metrics.hpp"
#include "team/actor/overview.hpp"
#include "team/core/apply.hpp"
#include "team/core/enums.hpp"
#include "team/core/events.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>

namespace asio = boost::asio;
namespace json = boost::json;

namespace omx::cluster {
namespace {

constexpr std::size_t follower_tail = 256;              // recent frames a follower keeps for replays
constexpr std::chrono::milliseconds follow_block{1000}; // one XREAD BLOCK; then it looks whether anyone listens
constexpr std::chrono::milliseconds reply_timeout{30'000};
constexpr std::size_t follow_batch = 500;
constexpr std::size_t max_live_jobs = 1000; // per status, in the overview
constexpr std::size_t monitor_ring = 10000;  // all-jobs frames kept for replays
constexpr std::chrono::milliseconds follow_retry{500};

actor::StoreUnavailable unavailable(const std::exception& e) { return actor::StoreUnavailable(e.what()); }

} // namespace

struct RedisJobs::Follower {
    std::string job_id;
    std::uint64_t position = 0; // the last seq fanned out
    actor::SubscriberList subscribers;
    std::deque<actor::FramePtr> tail;
    bool ended = false; // the job's terminal event went out
};

// The all-jobs stream of this node: ids count the events this node read from
// the feed since it started (like a single server's, they start again at a
// restart). The feed is read all the time, subscribers or not, so that a
// client reconnecting with Last-Event-ID finds every event after its id.
struct RedisJobs::Monitor {
    std::string position; // the last feed entry read; empty until the start position is known
    actor::SubscriberList subscribers;
    std::deque<actor::FramePtr> ring;
    std::uint64_t seq = 0;
};

RedisJobs::RedisJobs(asio::any_io_executor executor, const Config& config, redis::Client& client)
    : executor_(std::move(executor)), config_(config), client_(client), monitor_(std::make_unique<Monitor>()) {}

RedisJobs::~RedisJobs() = default;

asio::awaitable<std::optional<team::Job>> RedisJobs::load(const std::string& id) {
    try {
        auto loaded = co_await redis::load_job(client_.connection(), records_, events_, id);
        if (!loaded) co_return std::nullopt;
        co_return std::move(loaded->job);
    } catch (const redis::RedisError& e) {
        throw unavailable(e);
    }
}

asio::awaitable<actor::CreateOutcome> RedisJobs::async_create(team::JobRequest request,
                                                              std::optional<std::string> key, std::string hash) {
    if (shutting_down_) co_return actor::CreateOutcome{actor::Failure::unavailable, "server is shutting down", {}, false};
    std::string id = new_uuid();
    bool key_claimed = false;
    try {
        auto& c = client_.connection();
        if (key) {
            redis::IdempotencyHit mine{id, hash}; // named: GCC 12 mishandles a braced temporary in co_await
            auto taken = co_await redis::Records::claim_key(c, *key, mine);
            if (taken) {
                if (taken->request_hash != hash)
                    co_return actor::CreateOutcome{actor::Failure::conflict,
                                                   "Idempotency-Key '" + *key + "' was used with a different request body",
                                                   {}, false};
                // Requests with one key are handled one at a time: one still creating its job is waited for.
                auto first = co_await load(taken->job_id);
                for (int i = 0; !first && i < 100; ++i) {
                    asio::steady_timer pause(executor_, std::chrono::milliseconds(20));
                    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
                    first = co_await load(taken->job_id);
                }
                if (!first)
                    co_return actor::CreateOutcome{actor::Failure::unavailable,
                                                   "the job of Idempotency-Key '" + *key + "' is still being created",
                                                   {}, false};
                co_return actor::CreateOutcome{actor::Failure::none, "", actor::CreatedJob{first->id, first->status}, true};
            }
            key_claimed = true;
        }
        auto decision = team::decide_create(request, {id, key, hash});
        team::Job job;
        std::vector<std::string> lines;
        team::TimeMs now = now_ms();
        std::vector<team::Event> events;
        for (auto& d : decision.events) {
            team::Event e{job.lastSeq + 1, new_uuid(), id, std::move(d.type), std::move(d.message), std::move(d.payload), now};
            auto line = team::to_json_line(e);
            line.pop_back(); // the stream entry holds the envelope without its newline
            lines.push_back(std::move(line));
            team::apply(job, e);
            events.push_back(std::move(e));
        }
        auto appended = co_await events_.append(c, id, 1, std::move(lines), std::nullopt);
        if (appended.result != redis::AppendResult::appended) throw redis::RedisError(appended.message);
        if (!co_await records_.put(client_.connection(), id, 0, redis::record_json(job), redis::record_indexing(job)))
            throw redis::RedisError("the new job's record was written by someone else");
        co_await redis::run_queue().enqueue(client_.connection(), id);
        actor::count_job_events(job, events); // the API node counts the jobs it created; workers what they run
        co_return actor::CreateOutcome{actor::Failure::none, "", actor::CreatedJob{id, job.status}, false};
    } catch (const std::exception& e) {
        log::error("job creation failed", {{"error", e.what()}});
        if (key_claimed) // let a retry create it (best effort: the key expires anyway)
            asio::co_spawn(executor_, [this, k = *key]() -> asio::awaitable<void> {
                try {
                    co_await redis::call(client_.connection(), redis::command_timeout, "DEL", redis::keys::idempotency(k));
                } catch (const std::exception&) {
                }
            }, asio::detached);
        co_return actor::CreateOutcome{actor::Failure::unavailable, std::string("cannot store the job: ") + e.what(), {},
                                       false};
    }
}

asio::awaitable<std::optional<team::Job>> RedisJobs::async_get(std::string id) { return load(id); }

asio::awaitable<actor::ViewBody> RedisJobs::async_view(std::string id, actor::ViewKind, actor::ViewRenderer render) {
    auto job = co_await load(id);
    if (!job) co_return nullptr;
    co_return std::make_shared<const std::string>(render(*job));
}

asio::awaitable<std::optional<actor::JobList>> RedisJobs::async_list(store::ListFilter filter) {
    std::optional<redis::ListPosition> after;
    if (filter.cursor) {
        after = redis::parse_cursor(*filter.cursor);
        if (!after) co_return std::nullopt;
    }
    std::string status = filter.status ? std::string(team::to_string(*filter.status)) : std::string();
    actor::JobList list;
    try {
        // Pages of ids, newest first, filtered by mode and provider here.
        const std::size_t page = std::max<std::size_t>(filter.limit, 50);
        while (list.items.size() < filter.limit) {
            auto positions = co_await records_.list(client_.connection(), status, after, page);
            for (auto& position : positions) {
                after = position;
                auto job = co_await load(position.id);
                if (!job) continue;
                if ((filter.mode && job->request.mode != *filter.mode) ||
                    (filter.provider && job->request.provider != *filter.provider))
                    continue;
                list.items.push_back(std::move(*job));
                if (list.items.size() == filter.limit) break;
            }
            if (positions.size() < page) break;
        }
        if (list.items.size() == filter.limit && filter.limit > 0) {
            auto more = co_await records_.list(client_.connection(), status, after, 1);
            if (!more.empty()) list.next_cursor = redis::to_cursor(*after);
        }
    } catch (const redis::RedisError& e) {
        throw unavailable(e);
    }
    co_return list;
}

asio::awaitable<std::optional<CommandReply>> RedisJobs::command(const std::string& id, Command c) {
    c.id = new_uuid();
    auto reader = co_await client_.open_dedicated(); // its BLPOP must not hold the shared connection
    co_await send_command(client_.connection(), id, c);
    // The owner reads its jobs' commands; without one, any worker takes the job for this command.
    auto lease = co_await redis::call(client_.connection(), redis::command_timeout, "EXISTS", redis::keys::lease(id));
    if (redis::checked(lease, "looking for the job's owner").as_integer().value_or(0) == 0)
        co_await redis::wake_queue().enqueue(client_.connection(), id);
    co_return co_await await_reply(*reader, c.id, config_.scaled(reply_timeout));
}

asio::awaitable<actor::JobOutcome> RedisJobs::run_action(std::string id, Command c) {
    if (shutting_down_) co_return actor::JobOutcome{actor::Failure::unavailable, "server is shutting down", {}};
    std::optional<CommandReply> reply;
    try {
        if (!co_await load(id)) co_return actor::JobOutcome{actor::Failure::not_found, "job " + id + " not found", {}};
        reply = co_await command(id, std::move(c));
    } catch (const std::exception& e) {
        co_return actor::JobOutcome{actor::Failure::unavailable, std::string("cannot reach the job's owner: ") + e.what(), {}};
    }
    if (!reply)
        co_return actor::JobOutcome{actor::Failure::unavailable, "no worker answered in time; the action may still apply", {}};
    co_return actor::JobOutcome{reply->failure, std::move(reply->error), std::move(reply->job)};
}

asio::awaitable<actor::JobOutcome> RedisJobs::async_job_action(std::string id, team::JobAction action,
                                                               std::optional<std::string> comment) {
    Command c;
    c.kind = Command::Kind::job_action;
    c.action = team::to_string(action);
    c.comment = std::move(comment);
    return run_action(std::move(id), std::move(c));
}

asio::awaitable<actor::JobOutcome> RedisJobs::async_task_action(std::string id, std::string task_id, bool approve,
                                                                std::optional<std::string> comment) {
    Command c;
    c.kind = Command::Kind::task_action;
    c.task_id = std::move(task_id);
    c.approve = approve;
    c.comment = std::move(comment);
    return run_action(std::move(id), std::move(c));
}

asio::awaitable<actor::MessageOutcome> RedisJobs::async_post_message(std::string id, actor::MailboxValidator validate) {
    actor::MessageOutcome out;
    if (shutting_down_) {
        out.failure = actor::Failure::unavailable;
        out.problems = {"server is shutting down"};
        co_return out;
    }
    std::optional<CommandReply> reply;
    try {
        auto job = co_await load(id);
        if (!job) {
            out.failure = actor::Failure::not_found;
            out.problems = {"job " + id + " not found"};
            co_return out;
        }
        auto check = validate(*job); // against the job as it is now; its owner applies it to the job as it is then
        if (!check.problems.empty() || !check.message) {
            out.failure = actor::Failure::bad_request;
            out.problems = std::move(check.problems);
            co_return out;
        }
        Command c;
        c.kind = Command::Kind::message;
        c.message = std::move(check.message);
        reply = co_await command(id, std::move(c));
    } catch (const std::exception& e) {
        out.failure = actor::Failure::unavailable;
        out.problems = {std::string("cannot reach the job's owner: ") + e.what()};
        co_return out;
    }
    if (!reply) {
        out.failure = actor::Failure::unavailable;
        out.problems = {"no worker answered in time; the message may still arrive"};
        co_return out;
    }
    out.failure = reply->failure;
    out.problems = std::move(reply->problems);
    if (out.failure != actor::Failure::none && out.problems.empty()) out.problems = {reply->error};
    out.message = std::move(reply->message);
    co_return out;
}

// The copy the worker keeps in a capped stream (its tail, when the log was long).
asio::awaitable<std::optional<std::string>> RedisJobs::async_attempt_log(std::string id, std::string task_id,
                                                                        int attempt) {
    std::string text;
    try {
        auto r = co_await redis::call(client_.connection(), redis::command_timeout, "XRANGE",
                                      redis::keys::attempt_log(id, task_id, attempt), "-", "+");
        auto& entries = redis::checked(r, "reading an attempt's log").elements;
        if (entries.empty()) co_return std::nullopt;
        for (auto& e : entries)
            if (auto* piece = redis::entry_field(e, "t")) text += *piece;
    } catch (const redis::RedisError& e) {
        throw unavailable(e);
    }
    co_return text;
}

asio::awaitable<std::optional<actor::EventPage>> RedisJobs::async_events(std::string id, std::uint64_t after,
                                                                         std::size_t limit) {
    auto job = co_await load(id);
    if (!job) co_return std::nullopt;
    actor::EventPage page;
    page.next = after;
    if (after >= job->lastSeq || limit == 0) co_return page;
    try {
        auto n = std::min<std::uint64_t>(limit, job->lastSeq - after);
        for (auto& e : co_await events_.read(client_.connection(), id, after, n)) {
            page.events.push_back(actor::sse_data(e.line));
            page.next = e.seq;
        }
    } catch (const redis::RedisError& e) {
        throw unavailable(e);
    }
    co_return page;
}

// A subscriber joins the job's follower (started here if the job has none on
// this node) and gets live frames after the follower's position, which is
// where its replay ends: no gap, no duplicate.
asio::awaitable<actor::StreamStart> RedisJobs::async_subscribe(std::string id, std::shared_ptr<actor::Subscriber> s) {
    actor::StreamStart start;
    auto job = co_await load(id);
    if (!job) co_return start;
    start.found = true;
    start.terminal = team::is_terminal(job->status);
    start.status = team::to_string(job->status);
    start.last_seq = job->lastSeq;
    if (start.terminal) co_return start;
    if (shutting_down_) {
        s->close();
        co_return start;
    }
    auto& f = followers_[id];
    if (!f || f->ended) {
        f = std::make_shared<Follower>();
        f->job_id = id;
        f->position = job->lastSeq;
        asio::co_spawn(executor_, follow(f), asio::detached);
    }
    start.last_seq = f->position;
    f->subscribers.add(s);
    co_return start;
}

asio::awaitable<void> RedisJobs::follow(std::shared_ptr<Follower> f) {
    std::unique_ptr<redis::Connection> reader;
    while (!f->ended && !shutting_down_) {
        try {
            if (!reader || !reader->is_open()) reader = co_await client_.open_dedicated();
            auto events = co_await events_.wait(*reader, f->job_id, f->position, follow_batch, follow_block);
            for (auto& e : events) {
                if (e.seq != f->position + 1) continue; // never out of order
                auto frame = actor::frame_from_log_line(e.line);
                f->position = e.seq;
                f->tail.push_back(frame);
                if (f->tail.size() > follower_tail) f->tail.pop_front();
                f->subscribers.publish(frame);
                if (frame->terminal) f->ended = true;
            }
        } catch (const std::exception& e) {
            // Redis is away: this node's streams end, their clients reconnect with Last-Event-ID.
            log::warn("event stream reader failed", {{"job", f->job_id}, {"error", e.what()}});
            f->ended = true;
        }
        if (f->subscribers.empty()) break; // nobody listens here any more
    }
    f->ended = true;
    f->subscribers.close_all();
    if (auto it = followers_.find(f->job_id); it != followers_.end() && it->second == f) followers_.erase(it);
}

asio::awaitable<std::vector<actor::FramePtr>> RedisJobs::async_frames(std::string id, std::uint64_t after,
                                                                      std::uint64_t up_to, std::size_t max) {
    std::vector<actor::FramePtr> frames;
    if (after >= up_to) co_return frames;
    auto want = std::min<std::uint64_t>(max, up_to - after);
    if (auto it = followers_.find(id); it != followers_.end() && !it->second->tail.empty() &&
                                       it->second->tail.front()->seq <= after + 1) {
        for (auto& f : it->second->tail)
            if (f->seq > after && f->seq <= after + want) frames.push_back(f);
        co_return frames;
    }
    try {
        for (auto& e : co_await events_.read(client_.connection(), id, after, want))
            frames.push_back(actor::frame_from_log_line(e.line));
    } catch (const redis::RedisError& e) {
        throw unavailable(e);
    }
    co_return frames;
}

asio::awaitable<std::vector<actor::FramePtr>> RedisJobs::async_subscribe_monitor(std::shared_ptr<actor::Subscriber> s,
                                                                                 std::optional<std::uint64_t> last_id) {
    std::vector<actor::FramePtr> replay;
    if (last_id)
        for (auto& f : monitor_->ring)
            if (f->seq > *last_id) replay.push_back(f);
    if (shutting_down_) {
        s->close();
        co_return replay;
    }
    monitor_->subscribers.add(s);
    co_return replay;
}

void RedisJobs::start() { asio::co_spawn(executor_, follow_feed(), asio::detached); }

asio::awaitable<void> RedisJobs::follow_feed() {
    auto& m = *monitor_;
    std::unique_ptr<redis::Connection> reader;
    while (!shutting_down_) {
        bool failed = false;
        try {
            if (!reader || !reader->is_open()) reader = co_await client_.open_dedicated();
            if (m.position.empty()) m.position = co_await redis::JobEvents::feed_end(*reader);
            for (auto& e : co_await redis::JobEvents::wait_feed(*reader, m.position, follow_batch, follow_block)) {
                m.position = e.id;
                auto frame = actor::renumbered_frame(e.line, ++m.seq);
                m.ring.push_back(frame);
                if (m.ring.size() > monitor_ring) m.ring.pop_front();
                m.subscribers.publish(frame);
            }
        } catch (const std::exception& e) {
            if (shutting_down_) break;
            log::warn("all-jobs feed reader failed", {{"error", e.what()}});
            reader.reset();
            failed = true;
        }
        if (failed) { // Redis is away: read on from the same position once it is back
            asio::steady_timer t(executor_, follow_retry);
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        }
    }
}

// The counts and token sums the record writes keep; the live jobs folded one by one.
asio::awaitable<json::object> RedisJobs::async_overview(std::size_t limit) {
    actor::OverviewCounts counts;
    std::vector<team::Job> live;
    try {
        auto& c = client_.connection();
        const std::string every_status; // named: GCC 12 mishandles a temporary inside co_await
        const std::optional<redis::ListPosition> from_the_newest;
        counts.total = static_cast<std::size_t>(co_await redis::Records::count(c, every_status));
        for (auto s : team::all_job_statuses()) {
            auto name = std::string(team::to_string(s));
            counts.by_status[s] = static_cast<std::size_t>(co_await redis::Records::count(client_.connection(), name));
            if (team::is_terminal(s)) continue;
            for (auto& position : co_await records_.list(client_.connection(), name, from_the_newest, max_live_jobs))
                if (auto job = co_await load(position.id); job && !team::is_terminal(job->status))
                    live.push_back(std::move(*job));
        }
        auto t = co_await redis::Records::token_sums(client_.connection());
        counts.tokens = {t.input, t.output, t.total, static_cast<std::size_t>(std::max<std::int64_t>(0, t.jobs_with_usage)),
                         static_cast<std::size_t>(std::max<std::int64_t>(0, t.jobs_without_usage))};
    } catch (const redis::RedisError& e) {
        throw unavailable(e);
    }
    std::vector<const team::Job*> pointers;
    for (auto& j : live) pointers.push_back(&j);
    co_return actor::overview_json(counts, std::move(pointers), limit);
}

asio::awaitable<std::optional<std::string>> RedisJobs::async_readiness() {
    if (shutting_down_) co_return std::optional<std::string>("server is shutting down");
    if (!client_.is_up()) co_return std::optional<std::string>("Redis is unreachable: " + client_.last_error());
    co_return std::nullopt;
}

asio::awaitable<std::vector<metrics::GaugeSample>> RedisJobs::async_metric_gauges() {
    std::vector<metrics::GaugeSample> gauges;
    try {
        for (auto s : team::all_job_statuses()) {
            auto name = std::string(team::to_string(s));
            auto n = co_await redis::Records::count(client_.connection(), name);
            gauges.push_back({metrics::family::jobs, {{"status", name}}, static_cast<double>(n)});
        }
    } catch (const redis::RedisError& e) {
        throw unavailable(e);
    }
    co_return gauges;
}

asio::awaitable<void> RedisJobs::async_shutdown(std::chrono::milliseconds) {
    shutting_down_ = true;
    for (auto& [_, f] : followers_) f->subscribers.close_all();
    monitor_->subscribers.close_all();
    co_return;
}

} // namespace omx::cluster
