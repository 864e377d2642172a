// A FIFO mutex for coroutines: commands on one job are handled one at a time,
// in arrival order, even while a command awaits the disk.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace omx {

class AsyncMutex {
public:
    explicit AsyncMutex(boost::asio::any_io_executor ex) : slot_(std::move(ex), 1) {}

    boost::asio::awaitable<void> async_lock() {
        co_await slot_.async_send(boost::system::error_code{}, boost::asio::use_awaitable);
    }
    void unlock() {
        slot_.try_receive([](boost::system::error_code) {});
    }

private:
    boost::asio::experimental::channel<void(boost::system::error_code)> slot_;
};

// Holds an AsyncMutex until the end of scope.
class AsyncLockGuard {
public:
    explicit AsyncLockGuard(AsyncMutex& m) : m_(&m) {}
    AsyncLockGuard(const AsyncLockGuard&) = delete;
    ~AsyncLockGuard() {
        if (m_) m_->unlock();
    }

private:
    AsyncMutex* m_;
};

} // namespace omx
