// omx-bench: the load generator of the omx HTTP API (performance.md).
#include "tools/bench/cli.hpp"
#include "tools/bench/scenarios.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <csignal>
#include <exception>
#include <iostream>

namespace asio = boost::asio;
using namespace omx::bench;

namespace {

asio::awaitable<int> dispatch(Options o) {
    if (o.scenario == "get") co_return co_await run_get(o);
    if (o.scenario == "create") co_return co_await run_create(o);
    if (o.scenario == "sse") co_return co_await run_sse(o);
    if (o.scenario == "team") co_return co_await run_team(o);
    if (o.scenario == "recovery") co_return co_await run_recovery(o);
    co_return co_await run_overview(o);
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
        std::cout << usage_text();
        return exit_ok;
    }
    std::string error;
    auto options = parse_options(args, error);
    if (!options) {
        std::cerr << "omx-bench: " << error << "\n\n" << usage_text();
        return exit_usage;
    }
    std::signal(SIGPIPE, SIG_IGN);
    asio::io_context io(1);
    int rc = exit_failed;
    asio::co_spawn(io, dispatch(*options), [&](std::exception_ptr e, int result) {
        rc = result;
        if (e) {
            rc = exit_failed;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                std::cerr << "omx-bench: " << ex.what() << "\n";
            }
        }
        io.stop();
    });
    io.run();
    return rc;
}
