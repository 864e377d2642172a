// The scenarios of omx-bench (performance.md): each prints its report and
// returns the exit code.
#pragma once

#include "tools/bench/cli.hpp"

#include <boost/asio/awaitable.hpp>

namespace omx::bench {

boost::asio::awaitable<int> run_get(const Options&);
boost::asio::awaitable<int> run_create(const Options&);
boost::asio::awaitable<int> run_sse(const Options&);
boost::asio::awaitable<int> run_team(const Options&);
boost::asio::awaitable<int> run_recovery(const Options&);
boost::asio::awaitable<int> run_overview(const Options&);

} // namespace omx::bench
