// Index maintenance, listing with cursors, counters.
#include "store/job_index.hpp"

#include "team/core/derive.hpp"

#include <charconv>

namespace omx::store {
namespace {

std::string make_cursor(team::TimeMs t, const std::string& id) { return std::to_string(t) + "_" + id; }

std::optional<std::pair<team::TimeMs, std::string>> parse_cursor(const std::string& c) {
    auto sep = c.find('_');
    if (sep == std::string::npos || sep == 0) return std::nullopt;
    team::TimeMs t = 0;
    auto [p, ec] = std::from_chars(c.data(), c.data() + sep, t);
    if (ec != std::errc() || p != c.data() + sep) return std::nullopt;
    return std::pair{t, c.substr(sep + 1)};
}

} // namespace

void JobIndex::account(const IndexEntry& e, int sign) {
    tokens_.inputTokens += sign * e.usage.inputTokens;
    tokens_.outputTokens += sign * e.usage.outputTokens;
    tokens_.totalTokens += sign * e.usage.totalTokens;
    auto& bucket = e.usage.totalTokens > 0 ? tokens_.jobsWithUsage : tokens_.jobsWithoutUsage;
    bucket = static_cast<std::size_t>(static_cast<long long>(bucket) + sign);
}

void JobIndex::upsert(const team::Job& job) {
    IndexEntry next{job.id, job.status, job.request.mode, job.request.provider, job.createdAt,
                    team::compute_metrics(job.team).usage};
    TimeKey key{job.createdAt, job.id};
    auto it = entries_.find(job.id);
    if (it != entries_.end()) {
        account(it->second, -1);
        by_status_[it->second.status].erase(key);
        it->second = std::move(next);
    } else {
        it = entries_.emplace(job.id, std::move(next)).first;
        by_time_.insert(key);
    }
    account(it->second, +1);
    by_status_[it->second.status].insert(key);
}

const IndexEntry* JobIndex::find(const std::string& id) const {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : &it->second;
}

std::optional<ListPage> JobIndex::list(const ListFilter& f) const {
    const std::set<TimeKey, std::greater<>>* keys = &by_time_;
    static const std::set<TimeKey, std::greater<>> none;
    if (f.status) {
        auto it = by_status_.find(*f.status);
        keys = it == by_status_.end() ? &none : &it->second;
    }
    auto it = keys->begin();
    if (f.cursor) {
        auto after = parse_cursor(*f.cursor);
        if (!after) return std::nullopt;
        it = keys->upper_bound(*after);
    }
    ListPage page;
    for (; it != keys->end(); ++it) {
        const IndexEntry& e = entries_.at(it->second);
        if ((f.mode && e.mode != *f.mode) || (f.provider && e.provider != *f.provider)) continue;
        if (page.ids.size() == f.limit) {
            page.next_cursor = make_cursor(page.last_time, page.ids.back());
            break;
        }
        page.ids.push_back(e.id);
        page.last_time = e.createdAt;
    }
    return page;
}

StatusCounts JobIndex::counts() const {
    StatusCounts c;
    c.total = entries_.size();
    for (auto& [status, keys] : by_status_) c.by_status[status] = keys.size();
    return c;
}

} // namespace omx::store
