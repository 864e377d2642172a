// Runs a test's coroutine to completion on a fresh io_context:
// run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<T> {…}) returns
// its T (or rethrows what it threw).
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace omx::test {

template <class F>
auto run_coroutine(F f) {
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(io, f(io.get_executor()), boost::asio::use_future);
    io.run();
    return future.get();
}

} // namespace omx::test
