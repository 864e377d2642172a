#include "runtime/serve_redis.hpp"

#include "api/http_server.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/log.hpp"
#include "runtime/shutdown_signal.hpp"
#include "store/redis/client.hpp"
#include "store/redis/endpoint.hpp"
#include "store/redis/redis_job_store.hpp"
#include "team/actor/job_service.hpp"
#include "team/cluster/redis_jobs.hpp"
#include "team/cluster/worker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <iostream>

namespace asio = boost::asio;

namespace omx {
namespace {

struct Roles {
    std::unique_ptr<cluster::RedisJobs> api;
    std::unique_ptr<api::HttpServer> server;
    std::unique_ptr<redis::RedisJobStore> store;
    std::unique_ptr<actor::JobService> engine;
    std::unique_ptr<cluster::Worker> worker;
};

// Stages: no new connections and no new jobs taken; streams ended; the
// engine's running attempts stopped and their results stored; the held jobs
// handed over to other workers; answers in flight written.
asio::awaitable<void> shutdown_on_signal(asio::signal_set& signals, asio::io_context& io, Roles& roles,
                                         redis::Client& client, const Config& config) {
    auto grace = config.scaled(config.shutdown_grace);
    co_await await_shutdown_signal(signals, grace);
    if (roles.server) roles.server->stop_accepting();
    if (roles.worker) roles.worker->stop();
    if (roles.api) co_await roles.api->async_shutdown(grace);
    if (roles.engine) co_await roles.engine->async_shutdown(grace);
    if (roles.worker) co_await roles.worker->async_hand_over();
    if (roles.server) co_await roles.server->async_wait_sessions(grace);
    client.stop();
    log::info("stopped");
    log::flush();
    io.stop();
}

} // namespace

int serve_with_redis(const Config& config) {
    auto where = redis::parse_url(config.redis_url);
    if (auto* why = std::get_if<std::string>(&where)) {
        std::cerr << "omxd: --redis: " << *why << "\n";
        return 2;
    }
    if (config.threads != 1) {
        std::cerr << "omxd: --threads: the Redis backend runs on one io thread for now\n";
        return 2;
    }
    auto endpoint = std::get<redis::Endpoint>(where);
    asio::io_context io(1);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    BlockingPool pool(8);
    auto app = asio::make_strand(io);
    redis::Client client(app, endpoint);
    Roles roles;
    if (config.run_jobs) {
        roles.store = std::make_unique<redis::RedisJobStore>(app, client);
        roles.engine = std::make_unique<actor::JobService>(app, config, *roles.store, nullptr, pool);
        roles.worker = std::make_unique<cluster::Worker>(app, config, client, *roles.store, *roles.engine);
    }
    if (config.serve_api) {
        roles.api = std::make_unique<cluster::RedisJobs>(app, config, client);
        roles.server = std::make_unique<api::HttpServer>(io, config, *roles.api);
        try {
            roles.server->listen();
        } catch (const std::exception& e) {
            std::cerr << "omxd: " << e.what() << "\n";
            return 2;
        }
    }
    log::info("redis backend", {{"redis", endpoint.display()},
                                {"role", config.serve_api ? (config.run_jobs ? "all" : "api") : "worker"}});
    client.start();
    // Serving starts after the first connection attempt: a request right after
    // start-up finds Redis connected (or a reason why not), not "not connected yet".
    auto attempt_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (!client.first_attempt_done() && std::chrono::steady_clock::now() < attempt_deadline)
        io.run_one_for(std::chrono::milliseconds(50));
    if (io.stopped()) io.restart();
    if (roles.api) roles.api->start();
    if (roles.worker) roles.worker->start();
    if (roles.server) {
        roles.server->start();
        log::info("listening on http://" + config.host + ":" + std::to_string(roles.server->port()));
    }
    log::flush();
    asio::co_spawn(io, shutdown_on_signal(signals, io, roles, client, config), [&io](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log::error("shutdown failed", {{"error", ex.what()}});
        }
        io.stop();
    });
    io.run();
    pool.join();
    log::flush();
    return 0;
}

} // namespace omx
