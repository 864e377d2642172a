// File store: layout, recovery and reads. Appends go through EventLog, records
// through RecordWriter.
#include "store/file_store.hpp"

#include "runtime/blocking_pool.hpp"
#include "runtime/ids.hpp"
#include "runtime/log.hpp"
#include "team/core/apply.hpp"
#include "team/core/enums.hpp"
#include "team/core/events.hpp"
#include "team/core/json_codec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace omx::store {
namespace {

constexpr const char* events_file = "events.jsonl";
constexpr const char* record_file = "record.json";

std::string read_file(const fs::path& path, std::uint64_t from = 0) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    in.seekg(static_cast<std::streamoff>(from));
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

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

struct Record {
    team::Job job;
    std::uint64_t log_size = 0;
};

std::optional<Record> read_record(const fs::path& path) {
    auto text = read_file(path);
    if (text.empty()) return std::nullopt;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
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
      records_(app, pool) {}

void FileStore::open() {
    std::error_code ec;
    fs::create_directories(root_, ec);
    if (ec) throw std::runtime_error("cannot create state directory " + root_.string() + ": " + ec.message());
    lock_.acquire(root_);
}

void FileStore::start() { log_.start_interval_sync(); }
void FileStore::stop() { log_.stop(); }

// Brings one job up to date with its log: the record is the starting point when
// it is consistent, the log fills in what the record missed, and a torn or
// unreadable tail of the log is cut off.
std::optional<team::Job> FileStore::recover_job(const fs::path& dir) {
    std::string id = dir.filename().string();
    for (auto& entry : fs::directory_iterator(dir))
        if (entry.path().filename().string().starts_with("record.json.tmp")) fs::remove(entry.path());

    auto log_path = dir / events_file;
    std::error_code ec;
    auto file_size = fs::exists(log_path) ? fs::file_size(log_path, ec) : 0;
    auto record = read_record(dir / record_file);
    if (record && record->log_size > file_size) record.reset(); // log lost its end (OS crash): refold
    team::Job job = record ? record->job : team::Job{};
    std::uint64_t good = record ? record->log_size : 0;

    auto tail = read_file(log_path, good);
    std::size_t pos = 0;
    std::uint64_t applied = 0;
    while (pos < tail.size()) {
        auto nl = tail.find('\n', pos);
        if (nl == std::string::npos) break;
        auto event = parse_event_line(std::string_view(tail).substr(pos, nl - pos));
        if (!event || event->seq != job.lastSeq + 1 || (job.id.empty() && event->jobId != id) ||
            (!job.id.empty() && event->jobId != job.id))
            break;
        try {
            team::apply(job, *event);
        } catch (const std::exception& e) {
            log::error("event does not apply; log cut there", {{"job", id}, {"seq", std::to_string(event->seq)},
                                                                {"error", e.what()}});
            break;
        }
        pos = nl + 1;
        ++applied;
    }
    good += pos;
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
    if (applied > 0 || !record) {
        RecordWriter::write_now(dir / record_file, record_json(job, good));
        if (record) log::info("record brought up to date from its log", {{"job", id}, {"events", std::to_string(applied)}});
    }
    if (!team::is_terminal(job.status)) log_.open(id, log_path, good);
    return job;
}

std::vector<team::Job> FileStore::recover() {
    std::vector<team::Job> jobs;
    for (auto& entry : fs::directory_iterator(root_)) {
        if (!entry.is_directory() || !is_canonical_uuid(entry.path().filename().string())) continue;
        try {
            if (auto job = recover_job(entry.path())) jobs.push_back(std::move(*job));
        } catch (const std::exception& e) {
            log::error("job could not be recovered; left untouched", {{"dir", entry.path().string()}, {"error", e.what()}});
        }
    }
    return jobs;
}

void FileStore::create_job(const std::string& job_id) {
    auto dir = job_dir(job_id);
    std::error_code ec;
    fs::create_directory(dir, ec);
    if (ec) throw std::system_error(ec, "create " + dir.string());
    log_.open(job_id, dir / events_file, 0);
}

void FileStore::discard_job(const std::string& job_id) {
    log_.close(job_id);
    std::error_code ec;
    fs::remove_all(job_dir(job_id), ec);
}

void FileStore::reopen(const team::Job& job) {
    if (log_.is_open(job.id)) return;
    auto path = job_dir(job.id) / events_file;
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (ec) throw std::system_error(ec, "reopen " + path.string());
    log_.open(job.id, path, size);
}

void FileStore::release(const std::string& job_id) { log_.close(job_id); }

asio::awaitable<void> FileStore::async_append(const std::string& job_id, std::string lines) {
    co_await log_.async_append(job_id, std::move(lines));
}

void FileStore::save_record(const team::Job& job) {
    records_.save(job_dir(job.id) / record_file, record_json(job, log_.size(job.id)));
}

asio::awaitable<void> FileStore::async_flush() {
    co_await records_.async_drain();
    co_await log_.async_sync_all();
}

std::optional<team::Job> FileStore::load_job(const std::string& job_id) const {
    auto record = read_record(job_dir(job_id) / record_file);
    if (!record) return std::nullopt;
    return std::move(record->job);
}

std::vector<std::string> FileStore::read_events(const std::string& job_id, std::uint64_t after, std::size_t limit) {
    std::vector<std::string> lines;
    auto path = job_dir(job_id) / events_file;
    std::uint64_t from = 0, skip = after;
    std::uint64_t end = 0;
    if (log_.is_open(job_id)) {
        end = log_.size(job_id);
        auto offset = log_.offset_of(job_id, after + 1);
        if (!offset) return lines;
        from = *offset;
        skip = 0;
    }
    auto text = read_file(path, from);
    if (end) text.resize(std::min<std::uint64_t>(text.size(), end - from)); // only durable, whole lines
    std::size_t pos = 0;
    while (pos < text.size() && lines.size() < limit) {
        auto nl = text.find('\n', pos);
        if (nl == std::string::npos) break;
        if (skip > 0) --skip;
        else lines.emplace_back(text, pos, nl - pos);
        pos = nl + 1;
    }
    return lines;
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
