#include "store/redis/records.hpp"

#include <charconv>
#include "store/redis/keys.hpp"

#include "team/core/enums.hpp"

namespace asio = boost::asio;

namespace omx::redis {
namespace {
constexpr int idempotency_seconds = 86400;
} // namespace

asio::awaitable<bool> Records::put(Connection& c, const std::string& job_id, std::uint64_t expected,
                                   const std::string& json, const RecordIndexing& indexing,
                                   std::optional<std::uint64_t> fence_token) {
    if (!team::parse_job_status(indexing.status)) throw RedisError("not a job status: " + indexing.status);
    std::vector<std::string> record_keys{keys::record(job_id), keys::all_jobs, keys::tokens, keys::fence(job_id)};
    for (auto s : team::all_job_statuses()) record_keys.push_back(keys::jobs_with_status(std::string(team::to_string(s))));
    std::vector<std::string> args{std::to_string(expected), json, job_id, keys::jobs_with_status(indexing.status),
                                  std::to_string(indexing.created_at), std::to_string(indexing.updated_at),
                                  std::to_string(indexing.input_tokens), std::to_string(indexing.output_tokens),
                                  std::to_string(indexing.total_tokens),
                                  fence_token ? std::to_string(*fence_token) : std::string()};
    auto r = co_await put_.run(c, std::move(record_keys), std::move(args), command_timeout);
    co_return checked(r, "writing a job record").as_integer().value_or(0) != 0;
}

asio::awaitable<std::optional<StoredRecord>> Records::get(Connection& c, const std::string& job_id) {
    std::vector<std::string> read{"HMGET", keys::record(job_id), "version", "json"};
    auto r = co_await c.command(std::move(read), command_timeout);
    checked(r, "reading a job record");
    if (!r.is_array() || r.elements.size() != 2 || r.elements[0].is_nil()) co_return std::nullopt;
    auto version = r.elements[0].as_integer();
    if (!version || *version <= 0) throw RedisError("a job record without a version: " + job_id);
    co_return StoredRecord{static_cast<std::uint64_t>(*version), r.elements[1].text};
}

asio::awaitable<TokenSums> Records::token_sums(Connection& c) {
    auto r = co_await call(c, command_timeout, "HMGET", keys::tokens, "input", "output", "total", "with", "without");
    auto& v = checked(r, "reading token sums").elements;
    auto at = [&](std::size_t i) { return i < v.size() ? v[i].as_integer().value_or(0) : 0; };
    co_return TokenSums{at(0), at(1), at(2), at(3), at(4)};
}

asio::awaitable<std::int64_t> Records::count(Connection& c, const std::string& status) {
    // Named: GCC 12 destroys a temporary made inside a co_await expression twice.
    std::string key = status.empty() ? keys::all_jobs : keys::jobs_with_status(status);
    auto r = co_await call(c, command_timeout, "ZCARD", key);
    co_return checked(r, "counting jobs").as_integer().value_or(0);
}

namespace {

// [member, score, member, score, …] (WITHSCORES)
std::vector<ListPosition> positions_of(const Reply& r) {
    std::vector<ListPosition> out;
    for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
        std::int64_t score = 0;
        auto& text = r.elements[i + 1].text;
        std::from_chars(text.data(), text.data() + text.size(), score);
        out.push_back({score, r.elements[i].text});
    }
    return out;
}

} // namespace

std::string to_cursor(const ListPosition& p) { return std::to_string(p.score) + ":" + p.id; }

std::optional<ListPosition> parse_cursor(std::string_view cursor) {
    auto colon = cursor.find(':');
    if (colon == std::string_view::npos || colon + 1 == cursor.size()) return std::nullopt;
    ListPosition p;
    auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + colon, p.score);
    if (ec != std::errc() || end != cursor.data() + colon) return std::nullopt;
    p.id = std::string(cursor.substr(colon + 1));
    return p;
}

asio::awaitable<std::vector<ListPosition>> Records::list(Connection& c, const std::string& status,
                                                         const std::optional<ListPosition>& after,
                                                         std::size_t limit) {
    std::vector<ListPosition> out;
    if (limit == 0) co_return out;
    std::string key = status.empty() ? keys::all_jobs : keys::jobs_with_status(status);
    std::string below = "+inf";
    if (after) {
        // Equal scores come in reverse order of id: the rest of `after`'s score first.
        auto score = std::to_string(after->score);
        std::vector<std::string> ties{"ZREVRANGEBYSCORE", key, score, score, "WITHSCORES"};
        auto r = co_await c.command(std::move(ties), command_timeout);
        for (auto& p : positions_of(checked(r, "listing jobs")))
            if (p.id < after->id && out.size() < limit) out.push_back(std::move(p));
        below = "(" + score;
    }
    if (out.size() == limit) co_return out;
    std::vector<std::string> range{"ZREVRANGEBYSCORE", key, below, "-inf", "WITHSCORES",
                                   "LIMIT", "0", std::to_string(limit - out.size())};
    auto r = co_await c.command(std::move(range), command_timeout);
    for (auto& p : positions_of(checked(r, "listing jobs"))) out.push_back(std::move(p));
    co_return out;
}

asio::awaitable<std::optional<IdempotencyHit>> Records::claim_key(Connection& c, const std::string& key,
                                                                  const IdempotencyHit& mine) {
    std::vector<std::string> set{"SET", keys::idempotency(key), mine.job_id + " " + mine.request_hash,
                                 "NX", "EX", std::to_string(idempotency_seconds), "GET"};
    auto r = co_await c.command(std::move(set), command_timeout);
    if (checked(r, "claiming an idempotency key").is_nil()) co_return std::nullopt; // ours now
    auto space = r.text.find(' ');
    if (space == std::string::npos) throw RedisError("an odd idempotency entry: " + r.text);
    co_return IdempotencyHit{r.text.substr(0, space), r.text.substr(space + 1)};
}

} // namespace omx::redis
