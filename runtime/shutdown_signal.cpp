#include "runtime/shutdown_signal.hpp"

#include "runtime/log.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <cstdlib>
#include <string>
#include <thread>

namespace omx {

boost::asio::awaitable<void> await_shutdown_signal(boost::asio::signal_set& signals, std::chrono::milliseconds grace) {
    int sig = co_await signals.async_wait(boost::asio::use_awaitable);
    log::info("shutting down", {{"signal", std::to_string(sig)}});
    log::flush();
    signals.async_wait([](boost::system::error_code ec, int) {
        if (ec) return;
        log::warn("second signal: exiting at once");
        log::flush();
        std::_Exit(130);
    });
    // A last resort against a disk (or a Redis) that never answers: the promise is grace + 5 s.
    std::thread([grace] {
        std::this_thread::sleep_for(grace + std::chrono::seconds(4));
        log::error("shutdown did not finish in time: exiting");
        log::flush();
        std::_Exit(1);
    }).detach();
}

} // namespace omx
