// Coalescing atomic writer of record.json files.
#include "store/record_writer.hpp"

#include "runtime/blocking_pool.hpp"
#include "runtime/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace asio = boost::asio;

namespace omx::store {

RecordWriter::RecordWriter(asio::any_io_executor executor, BlockingPool& pool)
    : executor_(std::move(executor)), pool_(pool) {}

void RecordWriter::write_now(const std::filesystem::path& path, const std::string& contents) {
    auto tmp = path;
    tmp += ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    std::size_t done = 0;
    while (done < contents.size()) {
        ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int err = n < 0 ? errno : ENOSPC;
            ::close(fd);
            ::unlink(tmp.c_str());
            throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(err));
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw std::runtime_error("cannot rename " + tmp.string() + ": " + std::strerror(err));
    }
}

void RecordWriter::save(const std::filesystem::path& path, std::string contents) {
    Slot& slot = slots_[path.string()];
    slot.pending = std::move(contents);
    if (!slot.in_flight) start_write(path);
}

void RecordWriter::start_write(const std::filesystem::path& path) {
    Slot& slot = slots_[path.string()];
    slot.in_flight = true;
    auto contents = std::move(*slot.pending);
    slot.pending.reset();
    pool_.post([this, path, contents = std::move(contents)] {
        std::string failure;
        try {
            write_now(path, contents);
        } catch (const std::exception& e) {
            failure = e.what(); // the log is the source of truth: the next save or a restart repairs it
        }
        asio::post(executor_, [this, path, failure] {
            if (!failure.empty()) log::warn("record write failed", {{"error", failure}});
            Slot& slot = slots_[path.string()];
            slot.in_flight = false;
            if (slot.pending) start_write(path);
            else slots_.erase(path.string());
        });
    });
}

asio::awaitable<void> RecordWriter::async_drain(std::chrono::steady_clock::time_point deadline) {
    asio::steady_timer timer(executor_);
    while (!idle() && std::chrono::steady_clock::now() < deadline) {
        timer.expires_after(std::chrono::milliseconds(5));
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

} // namespace omx::store
