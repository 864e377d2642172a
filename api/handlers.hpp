// Request handlers: one per route, each returning the whole response.
// Streams (SSE) are served by api/sse.hpp instead.
#pragma once

#include "api/http_types.hpp"
#include "api/request_body.hpp"
#include "api/router.hpp"
#include "runtime/config.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <variant>

namespace omx::actor {
class JobApi;
enum class Failure;
}

namespace omx::api {

struct ApiContext {
    actor::JobApi& jobs;
    const Config& config;
};

boost::asio::awaitable<Response> handle_request(const Request& req, const RouteMatch& m, ApiContext& ctx);

// Shared by the handlers (and json_body, api/request_body.hpp):
Response failure_response(actor::Failure failure, const std::string& message);

boost::asio::awaitable<Response> create_job(const Request&, ApiContext&);
boost::asio::awaitable<Response> list_jobs(const Request&, ApiContext&);
boost::asio::awaitable<Response> get_job(const RouteMatch&, ApiContext&);
boost::asio::awaitable<Response> get_team(const RouteMatch&, ApiContext&);
boost::asio::awaitable<Response> job_action(const Request&, const RouteMatch&, ApiContext&);
boost::asio::awaitable<Response> task_action(const Request&, const RouteMatch&, ApiContext&);
boost::asio::awaitable<Response> task_logs(const Request&, const RouteMatch&, ApiContext&);
boost::asio::awaitable<Response> get_mailbox(const RouteMatch&, ApiContext&);
boost::asio::awaitable<Response> post_mailbox(const Request&, const RouteMatch&, ApiContext&);
boost::asio::awaitable<Response> events_page(const Request&, const RouteMatch&, ApiContext&);
boost::asio::awaitable<Response> overview(const Request&, ApiContext&);
boost::asio::awaitable<Response> readiness(ApiContext&);
// The dashboard, docs, OpenAPI document and metrics (handlers_web.cpp).
boost::asio::awaitable<Response> web_request(const RouteMatch&, ApiContext&);

} // namespace omx::api
