#include "store/redis/redis_job_store.hpp"

#include "runtime/log.hpp"
#include "store/redis/client.hpp"
#include "store/redis/job_snapshot.hpp"
#include "store/redis/keys.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>

namespace asio = boost::asio;

namespace omx::redis {
namespace {

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        lines.emplace_back(text, pos, nl - pos);
        pos = nl + 1;
    }
    return lines;
}

} // namespace

RedisJobStore::RedisJobStore(asio::any_io_executor executor, Client& client)
    : executor_(std::move(executor)), client_(client) {}

void RedisJobStore::hold(const std::string& job_id, std::uint64_t token, std::uint64_t record_version) {
    auto& h = held_[job_id];
    h.token = token;
    h.record_version = record_version;
    h.released = false;
}

void RedisJobStore::create_job(const std::string& job_id) {
    throw std::logic_error("job " + job_id + ": jobs of the Redis backend are created by API nodes");
}

void RedisJobStore::reopen(const team::Job& job) {
    if (!held_.count(job.id)) throw std::logic_error("job " + job.id + " is not held by this worker");
}

void RedisJobStore::release(const std::string& job_id) {
    auto it = held_.find(job_id);
    if (it == held_.end()) return;
    if (it->second.writing) it->second.released = true; // dropped once its last record is written
    else held_.erase(it);
}

void RedisJobStore::lost(const std::string& job_id, const std::string& why) {
    log::warn("job lost to another owner", {{"job", job_id}, {"why", why}});
    if (on_lost_) on_lost_(job_id, why);
}

asio::awaitable<void> RedisJobStore::async_append(const std::string& job_id, std::uint64_t first_seq,
                                                  std::string lines) {
    auto it = held_.find(job_id);
    if (it == held_.end()) throw std::runtime_error("job " + job_id + " is not held by this worker");
    auto token = it->second.token;
    auto outcome = co_await events_.append(client_.connection(), job_id, first_seq, split_lines(lines), token);
    if (outcome.result == AppendResult::appended) co_return;
    lost(job_id, outcome.message);
    throw std::runtime_error("the job's events were not stored: " + outcome.message);
}

bool RedisJobStore::save_record(const team::Job& job) {
    auto it = held_.find(job.id);
    if (it == held_.end()) return false;
    it->second.pending.emplace(record_json(job), record_indexing(job));
    if (!it->second.writing) {
        it->second.writing = true;
        asio::co_spawn(executor_, write_records(job.id), asio::detached);
    }
    return true;
}

bool RedisJobStore::record_pending(const std::string& job_id) const {
    auto it = held_.find(job_id);
    return it != held_.end() && it->second.writing;
}

// Writes the newest pending record of a job until none is left. A record lost
// to a failure is harmless (readers fold the events after the last one
// written); one refused by the compare-and-set means another worker owns the job.
asio::awaitable<void> RedisJobStore::write_records(std::string job_id) {
    for (;;) {
        auto it = held_.find(job_id);
        if (it == held_.end()) co_return;
        if (!it->second.pending) {
            it->second.writing = false;
            if (it->second.released) held_.erase(it);
            co_return;
        }
        auto [json, indexing] = std::move(*it->second.pending);
        it->second.pending.reset();
        auto expected = it->second.record_version;
        auto token = it->second.token;
        bool written = false, failed = false;
        try {
            written = co_await records_.put(client_.connection(), job_id, expected, json, indexing, token);
        } catch (const std::exception& e) {
            failed = true;
            log::warn("record write failed", {{"job", job_id}, {"error", e.what()}});
        }
        it = held_.find(job_id);
        if (it == held_.end()) co_return;
        if (written) {
            it->second.record_version = expected + 1;
        } else if (!failed) {
            it->second.pending.reset();
            it->second.writing = false;
            if (it->second.released) held_.erase(it);
            lost(job_id, "a newer owner holds its fencing token");
            co_return;
        }
    }
}

asio::awaitable<void> RedisJobStore::async_flush(std::chrono::steady_clock::time_point deadline) {
    asio::steady_timer tick(executor_);
    auto writing = [this] {
        for (auto& [_, h] : held_)
            if (h.writing) return true;
        return false;
    };
    while (writing() && std::chrono::steady_clock::now() < deadline) {
        tick.expires_after(std::chrono::milliseconds(5));
        co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

namespace {
constexpr std::size_t log_entries_kept = 10000;     // per attempt, roughly (MAXLEN ~): the log's tail
constexpr std::size_t log_pending_limit = 1 << 20; // bytes waiting while Redis is slow or away
} // namespace

std::function<void(std::string_view)> RedisJobStore::attempt_log_mirror(const std::string& job_id,
                                                                        const std::string& task_id, int attempt) {
    auto copy = std::make_shared<LogCopy>();
    copy->key = keys::attempt_log(job_id, task_id, attempt);
    return [this, copy](std::string_view text) {
        if (copy->pending.size() + text.size() > log_pending_limit) {
            copy->dropped += text.size();
            return;
        }
        copy->pending.append(text);
        if (copy->writing) return;
        copy->writing = true;
        asio::co_spawn(executor_, write_log(copy), asio::detached);
    };
}

// What the log got meanwhile goes out as one entry; a failed write loses that
// text (the file on the worker keeps it all).
asio::awaitable<void> RedisJobStore::write_log(std::shared_ptr<LogCopy> copy) {
    while (!copy->pending.empty()) {
        std::string text = std::move(copy->pending);
        copy->pending.clear();
        if (copy->dropped > 0) {
            text += "omx | " + std::to_string(copy->dropped) + " bytes of log not copied to Redis (it was too slow)\n";
            copy->dropped = 0;
        }
        try {
            auto r = co_await redis::call(client_.connection(), command_timeout, "XADD", copy->key, "MAXLEN", "~",
                                          std::to_string(log_entries_kept), "*", "t", text);
            checked(r, "copying an attempt's log");
        } catch (const std::exception& e) {
            log::warn("attempt log not copied to Redis", {{"key", copy->key}, {"error", e.what()}});
        }
    }
    copy->writing = false;
}

std::optional<std::string> RedisJobStore::check_writable() const {
    if (client_.is_up()) return std::nullopt;
    return "Redis is unreachable: " + client_.last_error();
}

} // namespace omx::redis
