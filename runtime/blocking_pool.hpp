// A small thread pool for blocking syscalls (fdatasync, whole-file writes) so
// the io_context thread never waits on the disk. `co_await pool.run(f)` runs f
// there and resumes the caller on its own executor with f's result (or its
// exception).
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <utility>

namespace omx {

class BlockingPool {
public:
    explicit BlockingPool(std::size_t threads) : pool_(threads) {}
    ~BlockingPool() { pool_.join(); }

    // R must be default-constructible. Not a coroutine itself (GCC 12 mishandles
    // capturing coroutine lambdas): the work is posted with a plain handler.
    template <class F, class R = decltype(std::declval<F&>()())>
    boost::asio::awaitable<R> run(F f) {
        return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(std::exception_ptr, R)>(
            [this](auto handler, F fn) {
                auto home = boost::asio::get_associated_executor(handler);
                boost::asio::post(pool_, [handler = std::move(handler), fn = std::move(fn), home]() mutable {
                    std::exception_ptr error;
                    R result{};
                    try {
                        result = fn();
                    } catch (...) {
                        error = std::current_exception();
                    }
                    boost::asio::post(home, [handler = std::move(handler), error, result = std::move(result)]() mutable {
                        std::move(handler)(error, std::move(result));
                    });
                });
            },
            boost::asio::use_awaitable, std::move(f));
    }

    template <class F>
    void post(F f) {
        boost::asio::post(pool_, std::move(f));
    }

    void join() { pool_.join(); }

private:
    boost::asio::thread_pool pool_;
};

} // namespace omx
