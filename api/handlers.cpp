// Dispatch from route to handler, and the helpers the handlers share.
#include "api/handlers.hpp"

#include "team/actor/job_api.hpp"

#include <boost/json/parse.hpp>

#include <cctype>

namespace json = boost::json;

namespace omx::api {
namespace {

// The media type of a Content-Type value without its parameters, lowercased
// (type and subtype are case-insensitive: "Application/JSON; charset=utf-8").
std::string media_type(std::string_view content_type) {
    auto media = content_type.substr(0, content_type.find(';'));
    while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
    std::string out(media);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

} // namespace

std::variant<json::value, Response> json_body(const Request& req, bool required) {
    if (req.body.empty() && !required) return json::value(nullptr);
    if (media_type(req.header("content-type").value_or("")) != "application/json")
        return error_response(415, "Content-Type must be application/json");
    json::parse_options options;
    options.max_depth = 64;
    boost::system::error_code ec;
    auto value = json::parse(req.body, ec, {}, options);
    if (ec) return error_response(400, "body is not valid JSON: " + ec.message());
    return value;
}

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
