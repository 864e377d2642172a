// The start of a staged shutdown, shared by both ways omxd runs (file store,
// Redis roles): waits for SIGTERM/SIGINT, then arms the two ways out that do
// not wait for the stages — a second signal exits at once (130), and a
// watchdog exits (1) once `grace` + 4 s have passed.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/signal_set.hpp>

#include <chrono>

namespace omx {

boost::asio::awaitable<void> await_shutdown_signal(boost::asio::signal_set& signals, std::chrono::milliseconds grace);

} // namespace omx
