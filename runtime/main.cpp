// omxd: the server. Parses the configuration, takes the state root, recovers
// the jobs, serves HTTP, and shuts down in stages on SIGTERM/SIGINT.
#include "api/http_server.hpp"
#include "api/router.hpp"
#include "process/sandbox.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/config.hpp"
#include "runtime/heap.hpp"
#include "runtime/log.hpp"
#include "runtime/serve_redis.hpp"
#include "runtime/shutdown_signal.hpp"
#include "store/file_store.hpp"
#include "team/actor/job_service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <sys/resource.h>
#include <thread>

extern char** environ;

namespace asio = boost::asio;

namespace {

std::map<std::string, std::string> environment() {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string kv(*e);
        auto eq = kv.find('=');
        if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    return env;
}

void raise_open_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

asio::awaitable<void> shutdown_on_signal(asio::signal_set& signals, asio::io_context& io, omx::api::HttpServer& server,
                                         omx::actor::JobApi& jobs, const omx::Config& config) {
    auto grace = config.scaled(config.shutdown_grace);
    co_await omx::await_shutdown_signal(signals, grace);
    server.stop_accepting();                          // stage 1: no new connections, idle ones closed
    co_await jobs.async_shutdown(grace);              // stage 2: streams ended, commands finished, all persisted
    co_await server.async_wait_sessions(grace);       // stage 3: answers in flight written
    omx::log::info("stopped");
    omx::log::flush();
    io.stop(); // everything is persisted; leftover idle timers need not run down
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    auto outcome = omx::parse_config(args, environment());
    if (outcome.help) {
        std::cout << omx::help_text();
        return 0;
    }
    if (outcome.routes) {
        for (auto& r : omx::api::route_table()) std::cout << r.method << " " << r.pattern << "\n";
        return 0;
    }
    if (!outcome.config) {
        std::cerr << "omxd: " << outcome.error << "\n";
        return 2;
    }
    omx::Config configured = std::move(*outcome.config);
    if (configured.sandbox == omx::Sandbox::bwrap) {
        try {
            configured.sandbox_policy = std::make_shared<omx::process::SandboxPolicy>(omx::process::prepare_sandbox(configured));
        } catch (const std::exception& e) {
            std::cerr << "omxd: " << e.what() << "\n";
            return 2;
        }
    }
    const omx::Config config = std::move(configured);
    omx::log::configure(config.log_level, config.log_json);
    std::signal(SIGPIPE, SIG_IGN);
    raise_open_file_limit();

    if (config.time_scale != 1.0)
        omx::log::warn("TIME SCALE IS NOT 1: every duration is multiplied", {{"timeScale", std::to_string(config.time_scale)}});
    if (!config.redis_url.empty()) return omx::serve_with_redis(config);

    asio::io_context io(config.threads);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    // Mostly waiting on the disk: concurrent flushes of a batch's files (EventLog),
    // an attempt's files written while its start commits (JobService).
    omx::BlockingPool pool(8);
    auto app = asio::make_strand(io);
    omx::store::FileStore store(app, pool, config);
    omx::actor::JobService jobs(app, config, store, &store, pool);
    omx::api::HttpServer server(io, config, jobs);
    try {
        store.open();
        omx::log::info("state directory", {{"path", store.root().string()}, {"fsync", std::string(to_string(config.fsync))},
                                           {"allocator", omx::heap::allocator_name()}});
        store.recover([&jobs](omx::team::Job job) { jobs.recover(std::move(job)); });
        jobs.recovered();
        // Recovery parsed every record: give the freed parse memory back to the
        // system, or it stays in the heap as RSS (about 10 KiB per job on disk).
        omx::heap::release_free_memory();
        jobs.start_runs();
        server.listen();
    } catch (const std::exception& e) {
        omx::log::flush();
        std::cerr << "omxd: " << e.what() << "\n";
        return 2;
    }
    server.start();
    store.start();
    asio::co_spawn(io, shutdown_on_signal(signals, io, server, jobs, config), [&io](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            omx::log::error("shutdown failed", {{"error", ex.what()}});
        }
        io.stop();
    });
    omx::log::info("listening on http://" + config.host + ":" + std::to_string(server.port()));
    omx::log::flush();

    std::vector<std::thread> extra;
    for (int i = 1; i < config.threads; ++i) extra.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : extra) t.join();
    pool.join(); // record writes still on the pool finish while the store exists
    omx::log::flush();
    return 0;
}
