// The in-memory index of every job: a compact entry per job (about 1 KiB)
// ordered by creation time, with counters by status and token totals, so that
// listing and the overview never touch the disk or scan finished jobs.
#pragma once

#include "team/core/types.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace omx::store {

struct IndexEntry {
    std::string id;
    team::JobStatus status = team::JobStatus::queued;
    team::Mode mode = team::Mode::team;
    team::Provider provider = team::Provider::codex;
    team::TimeMs createdAt = 0;
    team::Usage usage;
};

struct ListFilter {
    std::optional<team::JobStatus> status;
    std::optional<team::Mode> mode;
    std::optional<team::Provider> provider;
    std::size_t limit = 50;
    std::optional<std::string> cursor; // from a previous page
};

struct ListPage {
    std::vector<std::string> ids;
    std::optional<std::string> next_cursor;
    team::TimeMs last_time = 0;
};

struct StatusCounts {
    std::size_t total = 0;
    std::map<team::JobStatus, std::size_t> by_status;
};

struct TokenTotals {
    std::int64_t inputTokens = 0, outputTokens = 0, totalTokens = 0;
    std::size_t jobsWithUsage = 0, jobsWithoutUsage = 0;
};

class JobIndex {
public:
    void upsert(const team::Job& job);
    const IndexEntry* find(const std::string& id) const;
    std::size_t size() const { return entries_.size(); }

    // Newest first. Returns nullopt for a cursor this index did not make.
    std::optional<ListPage> list(const ListFilter& filter) const;
    StatusCounts counts() const;
    TokenTotals tokens() const { return tokens_; }

private:
    using TimeKey = std::pair<team::TimeMs, std::string>; // ordered newest first by the set's comparator
    void account(const IndexEntry& e, int sign);

    std::unordered_map<std::string, IndexEntry> entries_;
    std::set<TimeKey, std::greater<>> by_time_;
    std::map<team::JobStatus, std::set<TimeKey, std::greater<>>> by_status_;
    TokenTotals tokens_;
};

} // namespace omx::store
