#include "store/redis/job_events.hpp"
#include "store/redis/keys.hpp"

#include <charconv>

namespace asio = boost::asio;

namespace omx::redis {
namespace {
constexpr std::size_t feed_length = 10000; // events of all jobs kept for the all-jobs SSE (about)
} // namespace

namespace {

// Stream entries [[id, [field, value, …]], …] → events (the 'e' field).
std::vector<StoredEvent> events_of(const Reply& entries) {
    std::vector<StoredEvent> out;
    if (!entries.is_array()) return out;
    for (auto& entry : entries.elements) {
        const std::string* id = entry_id(entry);
        if (!id) throw RedisError("an odd stream entry: " + entry.describe());
        StoredEvent e;
        auto [end, ec] = std::from_chars(id->data(), id->data() + id->size(), e.seq);
        if (ec != std::errc() || end == id->data()) throw RedisError("a stream entry id that is no seq: " + *id);
        if (auto* line = entry_field(entry, "e")) e.line = *line;
        out.push_back(std::move(e));
    }
    return out;
}

std::string next_id(std::uint64_t after) { return std::to_string(after + 1) + "-0"; }

} // namespace

asio::awaitable<AppendOutcome> JobEvents::append(Connection& c, const std::string& job_id, std::uint64_t first_seq,
                                                 std::vector<std::string> lines,
                                                 std::optional<std::uint64_t> fence_token) {
    if (lines.empty()) co_return AppendOutcome{};
    std::vector<std::string> args{fence_token ? std::to_string(*fence_token) : std::string(), std::to_string(first_seq),
                                  std::to_string(feed_length)};
    for (auto& l : lines) args.push_back(std::move(l));
    std::vector<std::string> job_keys{keys::events(job_id), keys::fence(job_id), keys::feed};
    auto reply = co_await append_script_.run(c, std::move(job_keys), std::move(args), command_timeout);
    if (reply.is_error()) {
        if (reply.text.starts_with("FENCED ")) co_return AppendOutcome{AppendResult::fenced, reply.text.substr(7)};
        if (reply.text.starts_with("SEQ ")) co_return AppendOutcome{AppendResult::seq_conflict, reply.text.substr(4)};
        throw RedisError("appending events failed: " + reply.text);
    }
    co_return AppendOutcome{};
}

asio::awaitable<std::vector<StoredEvent>> JobEvents::read(Connection& c, const std::string& job_id,
                                                          std::uint64_t after, std::size_t limit) {
    std::vector<std::string> command{"XRANGE", keys::events(job_id), next_id(after), "+", "COUNT", std::to_string(limit)};
    auto reply = co_await c.command(std::move(command), command_timeout);
    co_return events_of(checked(reply, "reading events"));
}

asio::awaitable<std::vector<StoredEvent>> JobEvents::wait(Connection& c, const std::string& job_id,
                                                          std::uint64_t after, std::size_t limit,
                                                          std::chrono::milliseconds block) {
    // XREAD returns entries with ids greater than the one given: the last seen.
    std::vector<std::string> command{"XREAD", "COUNT", std::to_string(limit), "BLOCK", std::to_string(block.count()),
                                     "STREAMS", keys::events(job_id), std::to_string(after) + "-0"};
    auto reply = co_await c.command(std::move(command), block + command_timeout);
    const Reply* entries = single_stream_entries(checked(reply, "waiting for events"));
    co_return entries ? events_of(*entries) : std::vector<StoredEvent>{};
}

asio::awaitable<std::string> JobEvents::feed_end(Connection& c) {
    auto r = co_await call(c, command_timeout, "XREVRANGE", keys::feed, "+", "-", "COUNT", "1");
    auto& entries = checked(r, "reading the feed's end").elements;
    if (entries.empty() || !entries[0].is_array() || entries[0].elements.empty()) co_return "0-0";
    co_return entries[0].elements[0].text;
}

asio::awaitable<std::vector<JobEvents::FeedEntry>> JobEvents::wait_feed(Connection& c, const std::string& after_id,
                                                                        std::size_t limit,
                                                                        std::chrono::milliseconds block) {
    std::vector<std::string> command{"XREAD", "COUNT", std::to_string(limit), "BLOCK", std::to_string(block.count()),
                                     "STREAMS", keys::feed, after_id};
    auto reply = co_await c.command(std::move(command), block + command_timeout);
    const Reply* entries = single_stream_entries(checked(reply, "waiting for the feed"));
    std::vector<FeedEntry> out;
    if (!entries) co_return out;
    for (auto& entry : entries->elements)
        if (auto* line = entry_field(entry, "e")) out.push_back({*entry_id(entry), *line});
    co_return out;
}

} // namespace omx::redis
