// Handlers for health, readiness, the overview and the JSON page of a job's events.
#include "api/handlers.hpp"

#include "api/query.hpp"
#include "team/actor/job_api.hpp"

#include <boost/json/parse.hpp>

namespace json = boost::json;
namespace asio = boost::asio;

namespace omx::api {
namespace {
Response problems_response(std::vector<std::string> problems) {
    json::array list(problems.begin(), problems.end());
    return error_response(400, std::move(list));
}
} // namespace

asio::awaitable<Response> readiness(ApiContext& ctx) {
    auto problem = co_await ctx.jobs.async_readiness();
    if (problem) co_return error_response(503, *problem);
    co_return json_response(200, json::object{{"ok", true}});
}

asio::awaitable<Response> overview(const Request& req, ApiContext& ctx) {
    std::vector<std::string> problems;
    reject_unknown_params(req.query, {"limit"}, problems);
    auto limit = int_param(req.query, "limit", 1, 2000, problems).value_or(200);
    if (!problems.empty()) co_return problems_response(std::move(problems));
    co_return json_response(200, co_await ctx.jobs.async_overview(static_cast<std::size_t>(limit)));
}

asio::awaitable<Response> events_page(const Request& req, const RouteMatch& m, ApiContext& ctx) {
    std::vector<std::string> problems;
    reject_unknown_params(req.query, {"after", "limit"}, problems);
    auto after = int_param(req.query, "after", 0, std::numeric_limits<long long>::max(), problems).value_or(0);
    auto limit = int_param(req.query, "limit", 1, 1000, problems).value_or(200);
    if (!problems.empty()) co_return problems_response(std::move(problems));
    auto page = co_await ctx.jobs.async_events(m.job_id, static_cast<std::uint64_t>(after),
                                               static_cast<std::size_t>(limit));
    if (!page) co_return error_response(404, "job " + m.job_id + " not found");
    json::array items;
    for (auto& e : page->events) items.push_back(json::parse(e));
    co_return json_response(200, json::object{{"items", std::move(items)}, {"next", page->next}});
}

} // namespace omx::api
