#include "store/redis/work_queue.hpp"
#include "store/redis/keys.hpp"

namespace asio = boost::asio;

namespace omx::redis {
namespace {

// [[id, [job, <id>]], …]; entries deleted meanwhile come back as [id, nil] and are skipped.
std::vector<QueueEntry> entries_of(const Reply& entries) {
    std::vector<QueueEntry> out;
    if (!entries.is_array()) return out;
    for (auto& e : entries.elements)
        if (auto* job = entry_field(e, "job")) out.push_back({*entry_id(e), *job});
    return out;
}

} // namespace

asio::awaitable<void> WorkQueue::ensure(Connection& c) const {
    std::vector<std::string> create{"XGROUP", "CREATE", stream_, keys::queue_group, "0", "MKSTREAM"};
    auto r = co_await c.command(std::move(create), command_timeout);
    if (r.is_error() && !r.text.starts_with("BUSYGROUP")) throw RedisError("creating the work queue failed: " + r.text);
}

asio::awaitable<std::string> WorkQueue::enqueue(Connection& c, const std::string& job_id) const {
    std::vector<std::string> add{"XADD", stream_, "*", "job", job_id};
    auto r = co_await c.command(std::move(add), command_timeout);
    co_return checked(r, "queueing a job").text;
}

asio::awaitable<std::vector<QueueEntry>> WorkQueue::take_new(Connection& c, const std::string& worker,
                                                             std::size_t count, std::chrono::milliseconds block) const {
    std::vector<std::string> read{"XREADGROUP", "GROUP", keys::queue_group, worker, "COUNT", std::to_string(count)};
    if (block.count() > 0) {
        read.push_back("BLOCK");
        read.push_back(std::to_string(block.count()));
    }
    read.insert(read.end(), {"STREAMS", stream_, ">"});
    auto r = co_await c.command(std::move(read), block + command_timeout);
    const Reply* entries = single_stream_entries(checked(r, "reading the work queue"));
    co_return entries ? entries_of(*entries) : std::vector<QueueEntry>{};
}

asio::awaitable<std::vector<QueueEntry>> WorkQueue::take_over(Connection& c, const std::string& worker,
                                                              std::chrono::milliseconds min_idle, std::size_t count) const {
    std::vector<QueueEntry> out;
    std::string cursor = "0-0";
    do { // XAUTOCLAIM scans the pending list in pages: [next cursor, entries, deleted ids]
        std::vector<std::string> claim{"XAUTOCLAIM", stream_, keys::queue_group, worker,
                                       std::to_string(min_idle.count()), cursor, "COUNT", std::to_string(count)};
        auto r = co_await c.command(std::move(claim), command_timeout);
        checked(r, "taking over queued jobs");
        if (!r.is_array() || r.elements.size() < 2) throw RedisError("an odd XAUTOCLAIM reply: " + r.describe());
        for (auto& e : entries_of(r.elements[1])) out.push_back(std::move(e));
        cursor = r.elements[0].text;
    } while (cursor != "0-0" && out.size() < count);
    co_return out;
}

asio::awaitable<void> WorkQueue::ack(Connection& c, const std::string& entry_id) const {
    std::vector<std::string> acked{"XACK", stream_, keys::queue_group, entry_id};
    auto r = co_await c.command(std::move(acked), command_timeout);
    checked(r, "acknowledging a queued job");
    std::vector<std::string> removed{"XDEL", stream_, entry_id};
    r = co_await c.command(std::move(removed), command_timeout);
    checked(r, "removing a queued job");
}

const WorkQueue& run_queue() {
    static const WorkQueue queue(keys::queue);
    return queue;
}

const WorkQueue& wake_queue() {
    static const WorkQueue queue(keys::wake);
    return queue;
}

} // namespace omx::redis
