// Dispatch from route to handler, and the helpers the handlers share.
#include "api/handlers.hpp"

#include "team/actor/job_api.hpp"

namespace json = boost::json;

namespace omx::api {

Response failure_response(actor::Failure failure, const std::string& message) {
    switch (failure) {
    case actor::Failure::not_found: return error_response(404, message);
    case actor::Failure::conflict: return error_response(409, message);
    case actor::Failure::bad_request: return error_response(400, json::array{json::value(message)});
    case actor::Failure::unavailable: return error_response(503, message);
    case actor::Failure::none: break;
    }
    return error_response(500, "Internal Server Error");
}

boost::asio::awaitable<Response> handle_request(const Request& req, const RouteMatch& m, ApiContext& ctx) {
    switch (m.route) {
    case Route::healthz: co_return json_response(200, json::object{{"ok", true}});
    case Route::readyz: co_return co_await readiness(ctx);
    case Route::jobs_list: co_return co_await list_jobs(req, ctx);
    case Route::jobs_create: co_return co_await create_job(req, ctx);
    case Route::job_get: co_return co_await get_job(m, ctx);
    case Route::team_get: co_return co_await get_team(m, ctx);
    case Route::mailbox_get: co_return co_await get_mailbox(m, ctx);
    case Route::mailbox_post: co_return co_await post_mailbox(req, m, ctx);
    case Route::job_action: co_return co_await job_action(req, m, ctx);
    case Route::task_action: co_return co_await task_action(req, m, ctx);
    case Route::task_logs: co_return co_await task_logs(req, m, ctx);
    case Route::job_events: co_return co_await events_page(req, m, ctx);
    case Route::overview: co_return co_await overview(req, ctx);
    case Route::monitor_events: break; // a stream: served by api/sse
    case Route::metrics:
    case Route::openapi:
    case Route::docs_page:
    case Route::docs_file:
    case Route::monitor_page:
    case Route::monitor_file: co_return co_await web_request(m, ctx);
    }
    co_return error_response(404, "Cannot " + req.method + " " + req.path);
}

} // namespace omx::api
