// The shared journal of new jobs' creation events.
#include "store/creation_journal.hpp"

#include "runtime/log.hpp"
#include "store/read_file.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <unistd.h>

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace omx::store {
namespace {

// A segment is closed for appends past this size (it is deleted once empty).
constexpr std::uint64_t segment_bytes = 4 * 1024 * 1024;

std::string segment_name(std::uint64_t n) {
    char name[32];
    std::snprintf(name, sizeof name, "%020llu.jsonl", static_cast<unsigned long long>(n));
    return name;
}

// The segments on disk, by number (files named as segment_name() makes them).
std::map<std::uint64_t, fs::path> segments_on_disk(const fs::path& dir) {
    std::map<std::uint64_t, fs::path> found;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        auto name = it->path().filename().string();
        if (name.size() != 26 || !name.ends_with(".jsonl")) continue;
        auto digits = name.substr(0, 20);
        if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
        found.emplace(std::stoull(digits), it->path());
    }
    return found;
}

// The jobId of an event line, or "" when the line is not a readable event.
std::string job_id_of(std::string_view line) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (ec || !v.is_object()) return {};
    auto* id = v.get_object().if_contains("jobId");
    return id && id->is_string() ? std::string(id->get_string()) : std::string();
}

} // namespace

CreationJournal::CreationJournal(asio::any_io_executor executor, EventLog& log, fs::path dir)
    : executor_(std::move(executor)), log_(log), dir_(std::move(dir)) {}

std::vector<CreationJournal::Journaled> CreationJournal::read_all() {
    std::vector<Journaled> jobs;
    std::unordered_map<std::string, std::size_t> index; // job id -> position in `jobs`
    for (auto& [n, path] : segments_on_disk(dir_)) {
        next_segment_ = std::max(next_segment_, n + 1);
        segments_.emplace(n, Segment{"journal/" + std::to_string(n), path, 0});
        auto read = read_file(path);
        if (!read) throw std::system_error(errno, std::generic_category(), "open " + path.string());
        const std::string& text = *read;
        std::size_t pos = 0;
        for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', pos)) {
            auto line = std::string_view(text).substr(pos, nl + 1 - pos);
            pos = nl + 1;
            auto id = job_id_of(line);
            if (id.empty()) {
                log::warn("unreadable line in the creation journal skipped", {{"segment", path.string()}});
                continue;
            }
            auto [it, added] = index.emplace(id, jobs.size());
            if (added) jobs.push_back({id, n, ""});
            jobs[it->second].lines += line;
        }
    }
    return jobs;
}

void CreationJournal::adopt(Journaled job) {
    ++segments_.at(job.segment).jobs;
    jobs_.emplace(std::move(job.job_id), Entry{job.segment, std::move(job.lines)});
}

void CreationJournal::drop_unused() {
    std::vector<std::uint64_t> unused;
    for (auto& [n, segment] : segments_)
        if (segment.jobs == 0) unused.push_back(n);
    for (auto n : unused) {
        auto it = segments_.find(n);
        asio::co_spawn(executor_, drop(it->second.key, it->second.path), asio::detached);
        segments_.erase(it);
    }
}

std::uint64_t CreationJournal::current() {
    if (!segments_.empty()) {
        auto& [n, last] = *segments_.rbegin();
        if (log_.is_open(last.key) && log_.size(last.key) < segment_bytes) return n;
    }
    if (!dir_made_) {
        std::error_code ec;
        fs::create_directory(dir_, ec);
        if (ec) throw std::system_error(ec, "create " + dir_.string());
        dir_made_ = true;
    }
    std::uint64_t previous = segments_.empty() ? 0 : segments_.rbegin()->first;
    std::uint64_t n = next_segment_++;
    Segment segment{"journal/" + std::to_string(n), dir_ / segment_name(n), 0};
    log_.open(segment.key, segment.path, 0);
    segments_.emplace(n, std::move(segment));
    if (previous) drop_if_unused(previous);
    return n;
}

asio::awaitable<void> CreationJournal::async_append(const std::string& job_id, std::string lines) {
    std::uint64_t n = current();
    ++segments_.at(n).jobs; // counted while in flight: the segment must not be dropped under it
    try {
        co_await log_.async_append(segments_.at(n).key, lines);
    } catch (...) {
        --segments_.at(n).jobs;
        throw;
    }
    jobs_.emplace(job_id, Entry{n, std::move(lines)});
}

std::vector<std::string> CreationJournal::job_ids() const {
    std::vector<std::string> ids;
    ids.reserve(jobs_.size());
    for (auto& [id, _] : jobs_) ids.push_back(id);
    return ids;
}

void CreationJournal::materialized(const std::string& job_id) {
    auto it = jobs_.find(job_id);
    if (it == jobs_.end()) return;
    auto n = it->second.segment;
    jobs_.erase(it);
    --segments_.at(n).jobs;
    drop_if_unused(n);
}

void CreationJournal::drop_if_unused(std::uint64_t n) {
    auto it = segments_.find(n);
    if (it == segments_.end() || it->second.jobs > 0) return;
    if (n == segments_.rbegin()->first && log_.is_open(it->second.key)) return; // the one appended to
    asio::co_spawn(executor_, drop(it->second.key, it->second.path), asio::detached);
    segments_.erase(it);
}

// Its jobs' own logs are durable before the segment goes (under the interval
// policy they may not be synced yet).
asio::awaitable<void> CreationJournal::drop(std::string key, fs::path path) {
    co_await log_.async_sync_all();
    log_.close(key);
    if (::unlink(path.c_str()) != 0)
        log::warn("cannot remove a creation journal segment", {{"path", path.string()}, {"error", std::strerror(errno)}});
}

} // namespace omx::store
