// record.json snapshots, written whole (temp file + rename) off the io_context
// thread and coalesced per job: while one write is in flight, later states
// replace the pending one.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>

namespace omx {
class BlockingPool;
}

namespace omx::store {

class RecordWriter {
public:
    RecordWriter(boost::asio::any_io_executor executor, BlockingPool& pool);

    void save(const std::filesystem::path& path, std::string contents);
    bool idle() const { return slots_.empty(); }
    bool pending(const std::filesystem::path& path) const { return slots_.count(path.string()) > 0; }
    // Until every pending record is written, or `deadline`.
    boost::asio::awaitable<void> async_drain(std::chrono::steady_clock::time_point deadline);

    // The synchronous form, for start-up repair.
    static void write_now(const std::filesystem::path& path, const std::string& contents);

private:
    struct Slot {
        bool in_flight = false;
        std::optional<std::string> pending;
    };
    void start_write(const std::filesystem::path& path);

    boost::asio::any_io_executor executor_;
    BlockingPool& pool_;
    std::unordered_map<std::string, Slot> slots_;
};

} // namespace omx::store
