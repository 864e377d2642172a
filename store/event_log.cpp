// Group-commit appender for events.jsonl files.
#include "store/event_log.hpp"

#include "runtime/blocking_pool.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <algorithm>
#include <map>
#include <set>
#include <system_error>
#include <unistd.h>

namespace asio = boost::asio;

namespace omx::store {

struct EventLog::Log {
    int fd = -1;
    std::filesystem::path path;
    std::uint64_t size = 0;             // end of the last whole, durable-or-written line
    std::vector<std::uint64_t> offsets; // offsets[i]: start of the line of seq i+1
    bool indexed = false;               // offsets cover the whole file
    bool dirty = false;                 // written since the last sync (interval policy)
    int pending = 0;                    // appends queued or in flight
    // A new log: its directory and the state root must be synced too, once,
    // or a crash could lose the job's whole directory entry.
    std::vector<std::filesystem::path> unsynced_dirs;
    ~Log() {
        if (fd >= 0) ::close(fd);
    }
};

struct EventLog::Pending {
    Pending(asio::any_io_executor ex, Log& l, std::string b) : log(l), bytes(std::move(b)), done(ex) {
        done.expires_at(asio::steady_timer::time_point::max());
    }
    Log& log;
    std::string bytes;
    std::error_code error;
    asio::steady_timer done; // expired (not just cancelled) when the append is complete
    // Completes the append whether or not its caller waits yet: the writer may
    // run inline (co_spawn dispatches) and finish before async_append waits.
    void complete() { done.expires_at(asio::steady_timer::time_point::min()); }
};

EventLog::EventLog(asio::any_io_executor executor, BlockingPool& pool, FsyncPolicy policy)
    : executor_(std::move(executor)), pool_(pool), policy_(policy) {}

EventLog::~EventLog() = default;

void EventLog::open(const std::string& job_id, const std::filesystem::path& path, std::uint64_t size) {
    auto log = std::make_unique<Log>(); // its fd is opened by the first write (write_batch)
    log->path = path;
    log->size = size;
    log->indexed = size == 0;
    if (size == 0 && policy_ != FsyncPolicy::off) log->unsynced_dirs = {path.parent_path(), path.parent_path().parent_path()};
    logs_[job_id] = std::move(log);
}

bool EventLog::is_open(const std::string& job_id) const { return logs_.count(job_id) > 0; }

void EventLog::close(const std::string& job_id) {
    auto it = logs_.find(job_id);
    if (it == logs_.end() || it->second->pending > 0) return;
    if (it->second->dirty || syncing_ > 0) retired_.push_back(std::move(it->second)); // synced, then closed, later
    logs_.erase(it);
}

std::uint64_t EventLog::size(const std::string& job_id) const {
    auto it = logs_.find(job_id);
    return it == logs_.end() ? 0 : it->second->size;
}

void EventLog::index_lines(Log& log, std::uint64_t from, std::string_view bytes) {
    std::uint64_t start = from;
    for (std::size_t i = 0; i < bytes.size(); ++i)
        if (bytes[i] == '\n') {
            log.offsets.push_back(start);
            start = from + i + 1;
        }
}

namespace {
// Reads [0, size) of a file in chunks; calls f(offset, chunk).
template <class F>
void scan_file(const std::filesystem::path& path, std::uint64_t size, F f) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
    std::string buf(1 << 16, '\0');
    std::uint64_t at = 0;
    while (at < size) {
        auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - at));
        ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(at));
        if (n <= 0) break;
        f(at, std::string_view(buf.data(), static_cast<std::size_t>(n)));
        at += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
}
} // namespace

std::optional<std::uint64_t> EventLog::offset_of(const std::string& job_id, std::uint64_t seq) {
    auto it = logs_.find(job_id);
    if (it == logs_.end() || seq == 0) return std::nullopt;
    Log& log = *it->second;
    if (!log.indexed) {
        log.offsets.clear();
        scan_file(log.path, log.size, [&](std::uint64_t at, std::string_view chunk) { index_lines(log, at, chunk); });
        log.indexed = true;
    }
    if (seq > log.offsets.size()) return std::nullopt;
    return log.offsets[seq - 1];
}

std::uint64_t EventLog::line_count(const std::string& job_id) {
    offset_of(job_id, 1);
    auto it = logs_.find(job_id);
    return it == logs_.end() ? 0 : it->second->offsets.size();
}

asio::awaitable<void> EventLog::async_append(const std::string& job_id, std::string lines) {
    auto it = logs_.find(job_id);
    if (it == logs_.end()) throw std::system_error(std::make_error_code(std::errc::bad_file_descriptor),
                                                   "no open log for job " + job_id);
    auto pending = std::make_shared<Pending>(executor_, *it->second, std::move(lines));
    ++pending->log.pending;
    queue_.push_back(pending);
    if (!writing_) {
        writing_ = true;
        asio::co_spawn(executor_, write_batches(), [](std::exception_ptr e) {
            if (e) log::error("event log writer stopped unexpectedly");
        });
    }
    co_await pending->done.async_wait(asio::as_tuple(asio::use_awaitable));
    --pending->log.pending;
    if (pending->error) throw std::system_error(pending->error, "append to " + pending->log.path.string());
}

namespace {
std::error_code write_all(int fd, std::string_view bytes, std::uint64_t at) {
    while (!bytes.empty()) {
        ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(at));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::error_code(n < 0 ? errno : ENOSPC, std::generic_category());
        bytes.remove_prefix(static_cast<std::size_t>(n));
        at += static_cast<std::uint64_t>(n);
    }
    return {};
}
} // namespace

namespace {
std::error_code sync_directory(const std::filesystem::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return std::error_code(errno, std::generic_category());
    std::error_code ec;
    if (::fsync(fd) != 0) ec = std::error_code(errno, std::generic_category());
    ::close(fd);
    return ec;
}

} // namespace

// What one log needs synced: its data, and for a new log its directories.
struct EventLog::SyncTarget {
    void* log;
    int fd;
    std::vector<std::filesystem::path> dirs;
};

// Every file of the batch, then every directory a new log needs (the state root
// once, not once per new job), each step spread over the pool's threads: the
// disk takes concurrent flushes about as fast as one, so a batch of N new jobs
// costs a few flush times instead of 3N.
asio::awaitable<std::map<void*, std::error_code>> EventLog::sync_targets(const std::vector<SyncTarget>& targets) {
    std::vector<std::error_code> file_errors(targets.size());
    co_await pool_.run_each(targets.size(), [&](std::size_t i) {
        auto started = std::chrono::steady_clock::now();
        if (::fdatasync(targets[i].fd) != 0) file_errors[i] = std::error_code(errno, std::generic_category());
        metrics::observe(metrics::family::fsync_duration, {},
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    });
    std::vector<std::filesystem::path> dirs;
    for (auto& t : targets) dirs.insert(dirs.end(), t.dirs.begin(), t.dirs.end());
    std::sort(dirs.begin(), dirs.end());
    dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
    std::vector<std::error_code> dir_errors(dirs.size());
    co_await pool_.run_each(dirs.size(), [&](std::size_t i) { dir_errors[i] = sync_directory(dirs[i]); });

    std::map<void*, std::error_code> errors;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        auto ec = file_errors[i];
        for (auto& dir : targets[i].dirs) {
            if (ec) break;
            ec = dir_errors[static_cast<std::size_t>(std::lower_bound(dirs.begin(), dirs.end(), dir) - dirs.begin())];
        }
        if (ec) errors[targets[i].log] = ec;
    }
    co_return errors;
}

// One batch at a time: write every queued append, sync each touched file once,
// then complete them all. Appends that arrive meanwhile form the next batch.
asio::awaitable<void> EventLog::write_batches() {
    std::vector<std::shared_ptr<Pending>> batch;
    try {
        while (!queue_.empty()) {
            batch = std::move(queue_);
            queue_.clear();
            co_await write_batch(batch);
            for (auto& p : batch) p->complete();
            batch.clear();
        }
    } catch (const std::exception& e) { // a bug or no memory: fail the appends, never hang them
        log::error("event log writer failed", {{"error", e.what()}});
        for (auto* list : {&batch, &queue_})
            for (auto& p : *list) {
                if (!p->error) p->error = std::make_error_code(std::errc::io_error);
                p->complete();
            }
        queue_.clear();
    }
    writing_ = false;
}

asio::awaitable<void> EventLog::write_batch(const std::vector<std::shared_ptr<Pending>>& batch) {
    std::map<Log*, std::uint64_t> start_of; // size of each touched log before this batch
    for (auto& p : batch) {
        Log& log = p->log;
        if (log.fd < 0) { // opened at the first write: a job that never changes again holds no fd
            log.fd = ::open(log.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
            if (log.fd < 0) {
                p->error = std::error_code(errno, std::generic_category());
                continue;
            }
        }
        start_of.emplace(&log, log.size);
        p->error = write_all(log.fd, p->bytes, log.size);
        if (p->error) {
            if (::ftruncate(log.fd, static_cast<off_t>(log.size)) != 0)
                log::error("cannot truncate event log after a failed write", {{"path", log.path.string()}});
            continue;
        }
        if (log.indexed) index_lines(log, log.size, p->bytes);
        log.size += p->bytes.size();
        log.dirty = policy_ == FsyncPolicy::interval;
    }
    if (policy_ != FsyncPolicy::always) co_return;
    std::vector<SyncTarget> targets;
    for (auto& [log, _] : start_of) targets.push_back({log, log->fd, log->unsynced_dirs});
    auto failed = co_await sync_targets(targets);
    for (auto& [log, _] : start_of) {
        auto it = failed.find(log);
        if (it == failed.end()) {
            log->unsynced_dirs.clear();
            continue;
        }
        // Not durable: take the whole batch of this log back out.
        auto start = start_of[log];
        if (::ftruncate(log->fd, static_cast<off_t>(start)) != 0)
            log::error("cannot truncate event log after a failed sync", {{"path", log->path.string()}});
        log->size = start;
        if (log->indexed)
            while (!log->offsets.empty() && log->offsets.back() >= start) log->offsets.pop_back();
        for (auto& p : batch)
            if (&p->log == log && !p->error) p->error = it->second;
    }
}

asio::awaitable<void> EventLog::async_sync_all() {
    std::vector<SyncTarget> targets;
    for (auto& [_, log] : logs_)
        if (log->fd >= 0 && (log->dirty || !log->unsynced_dirs.empty())) {
            targets.push_back({log.get(), log->fd, std::move(log->unsynced_dirs)});
            log->unsynced_dirs.clear();
            log->dirty = false;
        }
    auto retired = std::move(retired_); // their fds stay open until synced
    retired_.clear();
    for (auto& log : retired)
        if (log->fd >= 0) targets.push_back({log.get(), log->fd, log->unsynced_dirs});
    if (targets.empty()) co_return;
    ++syncing_; // close() retires instead of closing while a sync may use the fd
    auto failed = co_await sync_targets(targets);
    --syncing_;
    for (auto& [log, ec] : failed) log::error("event log sync failed", {{"error", ec.message()}});
}

asio::awaitable<void> EventLog::interval_loop() {
    while (!stopped_) {
        interval_timer_->expires_after(std::chrono::seconds(1));
        auto [ec] = co_await interval_timer_->async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || stopped_) co_return;
        co_await async_sync_all();
    }
}

void EventLog::start_interval_sync() {
    if (policy_ != FsyncPolicy::interval) return;
    interval_timer_ = std::make_unique<asio::steady_timer>(executor_);
    asio::co_spawn(executor_, interval_loop(), asio::detached);
}

void EventLog::stop() {
    stopped_ = true;
    if (interval_timer_) interval_timer_->cancel();
}

} // namespace omx::store
