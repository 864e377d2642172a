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

#include <atomic>
#include <exception>
#include <memory>
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

    // Runs f(0) … f(n-1) spread over the pool's threads and resumes the caller on
    // its own executor when all have returned. f must not throw; it reports
    // through what it captures (the caller's locals outlive the wait).
    template <class F>
    boost::asio::awaitable<void> run_each(std::size_t n, F f) {
        return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void()>(
            [this, n](auto handler, F fn) {
                using Handler = decltype(handler);
                struct Shared {
                    Shared(Handler h, F fn, std::size_t n) : handler(std::move(h)), fn(std::move(fn)), left(n) {}
                    Handler handler;
                    F fn;
                    std::atomic<std::size_t> left;
                };
                auto home = boost::asio::get_associated_executor(handler);
                auto shared = std::make_shared<Shared>(std::move(handler), std::move(fn), n);
                if (n == 0) {
                    boost::asio::post(home, [shared] { std::move(shared->handler)(); });
                    return;
                }
                for (std::size_t i = 0; i < n; ++i)
                    boost::asio::post(pool_, [shared, home, i] {
                        shared->fn(i);
                        if (shared->left.fetch_sub(1) == 1)
                            boost::asio::post(home, [shared] { std::move(shared->handler)(); });
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
