// File store: layout, recovery and reads. Appends go through EventLog, records
// through RecordWriter.
#include "store/file_store.hpp"

#include "store/read_file.hpp"

#include "runtime/blocking_pool.hpp"
#include "runtime/ids.hpp"
#include "runtime/log.hpp"
#include "team/core/apply.hpp"
#include "team/core/enums.hpp"
#include "team/core/events.hpp"
#include "team/core/json_codec.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <fstream>
#include <unistd.h>

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace omx::store {
namespace {

constexpr const char* events_file = "events.jsonl";
constexpr const char* record_file = "record.json";

std::optional<team::Event> parse_event_line(std::string_view line) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (ec || !v.is_object()) return std::nullopt;
    try {
        return team::event_from_json(v.get_object());
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::string record_json(const team::Job& job, std::uint64_t log_size) {
    json::object o{{"lastSeq", job.lastSeq}, {"logSize", log_size}, {"job", team::job_to_record_json(job)}};
    return json::serialize(o);
}

// Applies whole event lines of job `id` to `job` in order; stops at the first
// line that is torn, unreadable, out of sequence, of another job or not
// applicable. Returns {bytes of the lines applied, how many}.
std::pair<std::size_t, std::uint64_t> apply_lines(team::Job& job, const std::string& id, std::string_view text) {
    std::size_t pos = 0;
    std::uint64_t applied = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        if (nl == std::string::npos) break;
        auto event = parse_event_line(text.substr(pos, nl - pos));
        const std::string& owner = job.id.empty() ? id : job.id;
        if (!event || event->seq != job.lastSeq + 1 || event->jobId != owner) break;
        try {
            team::apply(job, *event);
        } catch (const std::exception& e) {
            log::error("event does not apply; log ends there", {{"job", id}, {"seq", std::to_string(event->seq)},
                                                                 {"error", e.what()}});
            break;
        }
        pos = nl + 1;
        ++applied;
    }
    return {pos, applied};
}

struct Record {
    team::Job job;
    std::uint64_t log_size = 0;
};

std::optional<Record> read_record(const fs::path& path) {
    auto text = read_file(path).value_or("");
    if (text.empty()) return std::nullopt;
    boost::system::error_code ec;
    // The tree only lives until the job is decoded: one arena instead of a malloc
    // per value. The decoder assigns into the job, which copies into the job's own
    // storage (on the heap, so a value left pointing here would show under ASan).
    json::monotonic_resource memory(2 * text.size() + 1024);
    auto v = json::parse(text, ec, &memory);
    if (ec || !v.is_object()) return std::nullopt;
    try {
        auto& o = v.get_object();
        Record r;
        r.job = team::job_from_record_json(o.at("job").as_object());
        r.log_size = o.at("logSize").to_number<std::uint64_t>();
        if (r.job.lastSeq != o.at("lastSeq").to_number<std::uint64_t>()) return std::nullopt;
        return r;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

} // namespace

FileStore::FileStore(asio::any_io_executor app, BlockingPool& pool, const Config& config)
    : root_(fs::absolute(config.state_dir).lexically_normal()),
      log_(app, pool, config.fsync),
      journal_(app, log_, root_ / ".journal"),
      records_(app, pool) {}

void FileStore::open() {
    std::error_code ec;
    fs::create_directories(root_, ec);
    if (ec) throw std::runtime_error("cannot create state directory " + root_.string() + ": " + ec.message());
    lock_.acquire(root_);
}

void FileStore::start() { log_.start_interval_sync(); }
void FileStore::stop() { log_.stop(); }

// The record (when consistent) plus every whole, valid event after it. Stops
// at the first line that is torn, unreadable, out of sequence or not applicable.
FileStore::CaughtUp FileStore::catch_up(const std::string& id, const fs::path& dir, std::uint64_t file_size) const {
    auto log_path = dir / events_file;
    auto record = read_record(dir / record_file);
    if (record && record->log_size > file_size) record.reset(); // log lost its end (OS crash): refold
    CaughtUp out;
    out.from_record = record.has_value();
    if (record) {
        out.job = std::move(record->job);
        out.log_size = record->log_size;
    }
    if (out.log_size == file_size) return out;
    auto tail = read_file(log_path, out.log_size).value_or("");
    auto [bytes, applied] = apply_lines(out.job, id, tail);
    out.log_size += bytes;
    out.applied = applied;
    return out;
}

// Brings one job up to date with its log: the record is the starting point when
// it is consistent, the log fills in what the record missed, and a torn or
// unreadable tail of the log is cut off.
std::optional<team::Job> FileStore::recover_job(const fs::path& dir) {
    std::string id = dir.filename().string();
    // A record write a crash interrupted: RecordWriter's temporary file. Removed
    // by its name (listing every job directory cost a fifth of a start).
    std::error_code removing;
    fs::remove(dir / (std::string(record_file) + ".tmp"), removing);
    if (removing)
        log::warn("cannot remove an interrupted record write", {{"job", id}, {"error", removing.message()}});

    auto log_path = dir / events_file;
    std::error_code ec;
    auto file_size = fs::file_size(log_path, ec); // a missing log: ec set
    if (ec) file_size = 0;
    auto caught_up = catch_up(id, dir, file_size);
    bool had_record = caught_up.from_record;
    team::Job job = std::move(caught_up.job);
    std::uint64_t good = caught_up.log_size;
    std::uint64_t applied = caught_up.applied;
    if (good < file_size) {
        log::warn("cut a torn or unreadable end of an event log",
                  {{"job", id}, {"bytes", std::to_string(file_size - good)}});
        if (::truncate(log_path.c_str(), static_cast<off_t>(good)) != 0)
            throw std::runtime_error("cannot repair " + log_path.string());
    }
    if (job.id.empty()) {
        log::warn("job directory without a readable creation event; removed", {{"job", id}});
        fs::remove_all(dir);
        return std::nullopt;
    }
    if (applied > 0 || !had_record) {
        RecordWriter::write_now(dir / record_file, record_json(job, good));
        if (had_record) log::info("record brought up to date from its log", {{"job", id}, {"events", std::to_string(applied)}});
    }
    if (!team::is_terminal(job.status)) log_.open(id, log_path, good);
    return job;
}

// Jobs still only in the creation journal are folded from there and stay in
// it. One that has a log of its own at least as long as its journaled lines was
// materialized before the stop (the journal copy is stale); a shorter log is a
// materialization that never became durable, so nothing after the journaled
// lines was acknowledged: its directory goes and the journal stays the truth.
void FileStore::recover_journal(const std::function<void(team::Job)>& take) {
    for (auto& entry : journal_.read_all()) {
        if (!is_canonical_uuid(entry.job_id)) { // never a path outside the root, whatever the file says
            log::warn("creation journal line with a malformed job id skipped", {{"job", entry.job_id}});
            continue;
        }
        auto dir = job_dir(entry.job_id);
        std::error_code ec;
        auto size = fs::file_size(dir / events_file, ec);
        if (!ec && size >= entry.lines.size()) continue;
        if (fs::exists(dir)) fs::remove_all(dir);
        team::Job job;
        auto [bytes, applied] = apply_lines(job, entry.job_id, entry.lines);
        if (job.id.empty()) {
            log::warn("journaled job without a readable creation event; dropped", {{"job", entry.job_id}});
            continue;
        }
        entry.lines.resize(bytes); // only what applied
        journal_.adopt(std::move(entry));
        take(std::move(job));
    }
    journal_.drop_unused();
}

void FileStore::recover(const std::function<void(team::Job)>& take) {
    recover_journal(take);
    for (auto& entry : fs::directory_iterator(root_)) {
        if (!entry.is_directory() || !is_canonical_uuid(entry.path().filename().string())) continue;
        try {
            if (auto job = recover_job(entry.path())) take(std::move(*job));
        } catch (const std::exception& e) {
            log::error("job could not be recovered; left untouched", {{"dir", entry.path().string()}, {"error", e.what()}});
        }
    }
}

void FileStore::create_job(const std::string& job_id) { creating_.insert(job_id); }

void FileStore::discard_job(const std::string& job_id) {
    creating_.erase(job_id);
    journal_.discard(job_id);
}

void FileStore::reopen(const team::Job& job) {
    if (log_.is_open(job.id)) return;
    closed_offsets_.erase(job.id);
    auto path = job_dir(job.id) / events_file;
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (ec) throw std::system_error(ec, "reopen " + path.string());
    log_.open(job.id, path, size);
}

void FileStore::release(const std::string& job_id) { log_.close(job_id); }

asio::awaitable<void> FileStore::async_append(const std::string& job_id, std::uint64_t, std::string lines) {
    if (creating_.erase(job_id)) {
        co_await journal_.async_append(job_id, std::move(lines));
    } else if (journal_.holds(job_id)) {
        co_await materialize(job_id, std::move(lines));
    } else {
        co_await log_.async_append(job_id, std::move(lines));
    }
}

asio::awaitable<void> FileStore::materialize(const std::string& job_id, std::string lines) {
    auto dir = job_dir(job_id);
    auto path = dir / events_file;
    std::error_code ec;
    fs::create_directory(dir, ec); // it may exist: an earlier attempt failed
    if (ec) throw std::system_error(ec, "create " + dir.string());
    if (::truncate(path.c_str(), 0) != 0 && errno != ENOENT)
        throw std::system_error(errno, std::generic_category(), "truncate " + path.string());
    log_.open(job_id, path, 0);
    try {
        co_await log_.async_append(job_id, journal_.lines_of(job_id) + lines);
    } catch (...) {
        log_.close(job_id); // still journaled: the next change tries again
        throw;
    }
    journal_.materialized(job_id);
}

bool FileStore::save_record(const team::Job& job) {
    if (journal_.holds(job.id)) return false;
    records_.save(job_dir(job.id) / record_file, record_json(job, log_.size(job.id)));
    return true;
}

asio::awaitable<void> FileStore::async_flush(std::chrono::steady_clock::time_point deadline) {
    co_await records_.async_drain(deadline);
    co_await log_.async_sync_all();
}

std::optional<team::Job> FileStore::load_job(const std::string& job_id) const {
    // The record of a finished job can lag its log (a failed or lost record
    // write): the log wins, so a reopened job continues its own sequence.
    auto dir = job_dir(job_id);
    std::error_code ec;
    auto file_size = fs::file_size(dir / events_file, ec);
    auto caught_up = catch_up(job_id, dir, ec ? 0 : file_size);
    if (caught_up.job.id.empty()) return std::nullopt;
    return std::move(caught_up.job);
}

namespace {

// Whole lines from `offset` (a line start) up to `end` (or EOF), at most `limit`,
// read in chunks: never more of the file than the lines asked for.
std::vector<std::string> read_lines(const fs::path& path, std::uint64_t offset, std::optional<std::uint64_t> end,
                                    std::size_t limit) {
    std::vector<std::string> lines;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lines;
    std::string pending, chunk(64 * 1024, '\0');
    while (lines.size() < limit && (!end || offset < *end)) {
        auto want = end ? std::min<std::uint64_t>(chunk.size(), *end - offset) : chunk.size();
        ssize_t n = ::pread(fd, chunk.data(), static_cast<std::size_t>(want), static_cast<off_t>(offset));
        if (n <= 0) break;
        offset += static_cast<std::uint64_t>(n);
        pending.append(chunk.data(), static_cast<std::size_t>(n));
        std::size_t pos = 0;
        for (auto nl = pending.find('\n'); nl != std::string::npos && lines.size() < limit;
             nl = pending.find('\n', pos)) {
            lines.emplace_back(pending, pos, nl - pos);
            pos = nl + 1;
        }
        pending.erase(0, pos);
    }
    ::close(fd);
    return lines;
}

// Start offsets of every line of a file.
std::vector<std::uint64_t> line_offsets(const fs::path& path) {
    std::vector<std::uint64_t> offsets;
    std::ifstream in(path, std::ios::binary);
    std::string chunk(64 * 1024, '\0');
    std::uint64_t at = 0, line_start = 0;
    while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
        auto n = static_cast<std::size_t>(in.gcount());
        for (std::size_t i = 0; i < n; ++i)
            if (chunk[i] == '\n') {
                offsets.push_back(line_start);
                line_start = at + i + 1;
            }
        at += n;
    }
    return offsets;
}

} // namespace

std::vector<std::string> FileStore::read_events(const std::string& job_id, std::uint64_t after, std::size_t limit) {
    if (journal_.holds(job_id)) {
        std::vector<std::string> lines;
        std::string_view text = journal_.lines_of(job_id);
        for (std::uint64_t seq = 1; !text.empty() && lines.size() < limit; ++seq) {
            auto nl = text.find('\n');
            if (seq > after) lines.emplace_back(text.substr(0, nl));
            text.remove_prefix(nl + 1);
        }
        return lines;
    }
    auto path = job_dir(job_id) / events_file;
    if (log_.is_open(job_id)) {
        auto offset = log_.offset_of(job_id, after + 1);
        if (!offset) return {};
        return read_lines(path, *offset, log_.size(job_id), limit); // only written, whole lines
    }
    // A finished job's log no longer changes: index it once, keep a few indexes.
    auto it = closed_offsets_.find(job_id);
    if (it == closed_offsets_.end()) {
        if (closed_offsets_.size() >= 64) closed_offsets_.clear();
        it = closed_offsets_.emplace(job_id, line_offsets(path)).first;
    }
    if (after >= it->second.size()) return {};
    return read_lines(path, it->second[after], std::nullopt, limit);
}

std::optional<std::string> FileStore::check_writable() const {
    auto probe = root_ / (".ready-probe-" + random_hex(4));
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return "state directory " + root_.string() + " is not writable: " + std::strerror(errno);
    bool ok = ::write(fd, "ok\n", 3) == 3;
    ::close(fd);
    ::unlink(probe.c_str());
    if (!ok) return "state directory " + root_.string() + " cannot take a write: " + std::strerror(errno);
    return std::nullopt;
}

} // namespace omx::store
