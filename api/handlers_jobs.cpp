// Handlers for jobs: create, list, read, actions, task actions, task logs.
#include "api/handlers.hpp"

#include "api/query.hpp"
#include "api/validate_job.hpp"
#include "api/validate_mailbox.hpp"
#include "api/views.hpp"
#include "team/actor/job_api.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/json_codec.hpp"

#include <boost/json/serialize.hpp>


namespace json = boost::json;
namespace asio = boost::asio;

namespace omx::api {
namespace {

std::string location_of(const Request& req, const std::string& id) {
    return (req.path.starts_with("/v1/runs") ? "/v1/runs/" : "/v1/jobs/") + id;
}

Response problems_response(std::vector<std::string> problems) {
    json::array list;
    for (auto& p : problems) list.emplace_back(p);
    return error_response(400, std::move(list));
}

// Reads an enum-valued query parameter; appends a problem for an unknown value.
template <class E, class Parse>
std::optional<E> enum_param(const Request& req, const std::string& name, Parse parse, std::string_view values,
                            std::vector<std::string>& problems) {
    auto it = req.query.find(name);
    if (it == req.query.end()) return std::nullopt;
    auto v = parse(it->second);
    if (!v) problems.push_back(name + " must be one of the following values: " + std::string(values));
    return v;
}

// The comment of an action body, or the 415/400 response.
std::variant<std::optional<std::string>, Response> action_comment(const Request& req) {
    auto body = json_body(req, false);
    if (auto* r = std::get_if<Response>(&body)) return std::move(*r);
    auto& value = std::get<json::value>(body);
    auto parsed = validate_action_body(value.is_null() ? nullptr : &value);
    if (!parsed.problems.empty()) return problems_response(std::move(parsed.problems));
    return parsed.comment;
}

Response job_or_failure(const actor::JobOutcome& out) {
    if (out.failure != actor::Failure::none) return failure_response(out.failure, out.message);
    return json_response(200, job_view(*out.job));
}

} // namespace

asio::awaitable<Response> create_job(const Request& req, ApiContext& ctx) {
    auto body = json_body(req, true);
    if (auto* r = std::get_if<Response>(&body)) co_return std::move(*r);
    auto& value = std::get<json::value>(body);
    auto checked = validate_job_request(value, {ctx.config.keep_tmux_default, ctx.config.tmux_visualization_default});
    if (!checked.problems.empty()) co_return problems_response(std::move(checked.problems));
    auto& request = *checked.request;
    if (!request.options.agentCommands.empty() && !ctx.config.allow_request_commands)
        co_return error_response(403, "options.agentCommands is refused: this server does not accept agent "
                                      "commands from requests (start it with --allow-request-commands)");
    if (is_local_repo(request.repo) && !ctx.config.allow_local_repos)
        co_return error_response(403, "repo is a local path: this server does not clone local repositories "
                                      "(start it with --allow-local-repos)");
    std::optional<std::string> key;
    if (auto k = req.header("idempotency-key")) {
        if (k->empty() || k->size() > 128)
            co_return problems_response({"Idempotency-Key must be between 1 and 128 characters"});
        key = std::string(*k);
    }
    auto out = co_await ctx.jobs.async_create(std::move(request), key, request_hash(value));
    if (out.failure != actor::Failure::none) co_return failure_response(out.failure, out.message);
    if (!out.job) co_return error_response(503, "the job created with this Idempotency-Key cannot be read");
    auto response = json_response(201, json::object{{"jobId", out.job->id}, {"status", team::to_string(out.job->status)}});
    response.headers.emplace_back("Location", location_of(req, out.job->id));
    co_return response;
}

asio::awaitable<Response> list_jobs(const Request& req, ApiContext& ctx) {
    std::vector<std::string> problems;
    reject_unknown_params(req.query, {"status", "mode", "provider", "limit", "cursor"}, problems);
    store::ListFilter filter;
    filter.status = enum_param<team::JobStatus>(req, "status", team::parse_job_status,
                                                "queued, running, waiting_approval, succeeded, failed, canceled",
                                                problems);
    filter.mode = enum_param<team::Mode>(req, "mode", team::parse_mode, "team, autopilot, ralph, ultrawork, pipeline",
                                         problems);
    filter.provider =
        enum_param<team::Provider>(req, "provider", team::parse_provider, "codex, claude, gemini", problems);
    filter.limit = static_cast<std::size_t>(int_param(req.query, "limit", 1, 500, problems).value_or(50));
    if (auto it = req.query.find("cursor"); it != req.query.end()) filter.cursor = it->second;
    if (!problems.empty()) co_return problems_response(std::move(problems));
    auto list = co_await ctx.jobs.async_list(filter);
    if (!list) co_return problems_response({"cursor is not a cursor returned by this server"});
    json::array items;
    for (auto& job : list->items) items.push_back(job_view(job));
    co_return json_response(200, json::object{{"items", std::move(items)},
                                              {"nextCursor", list->next_cursor ? json::value(*list->next_cursor)
                                                                               : json::value(nullptr)}});
}

namespace {
// A cached view of the job, or the 404.
asio::awaitable<Response> view_response(const RouteMatch& m, ApiContext& ctx, actor::ViewKind kind,
                                        actor::ViewRenderer render) {
    auto body = co_await ctx.jobs.async_view(m.job_id, kind, std::move(render));
    if (!body) co_return error_response(404, "job " + m.job_id + " not found");
    Response res;
    res.body = *body;
    co_return res;
}
} // namespace

asio::awaitable<Response> get_job(const RouteMatch& m, ApiContext& ctx) {
    actor::ViewRenderer render = [](const team::Job& job) { return json::serialize(job_view(job)); };
    co_return co_await view_response(m, ctx, actor::ViewKind::job, std::move(render));
}

asio::awaitable<Response> get_team(const RouteMatch& m, ApiContext& ctx) {
    actor::ViewRenderer render = [](const team::Job& job) { return json::serialize(team_view(job)); };
    co_return co_await view_response(m, ctx, actor::ViewKind::team, std::move(render));
}

asio::awaitable<Response> job_action(const Request& req, const RouteMatch& m, ApiContext& ctx) {
    auto comment = action_comment(req);
    if (auto* r = std::get_if<Response>(&comment)) co_return std::move(*r);
    auto action = team::parse_job_action(m.action).value();
    co_return job_or_failure(
        co_await ctx.jobs.async_job_action(m.job_id, action, std::get<std::optional<std::string>>(comment)));
}

asio::awaitable<Response> task_action(const Request& req, const RouteMatch& m, ApiContext& ctx) {
    auto comment = action_comment(req);
    if (auto* r = std::get_if<Response>(&comment)) co_return std::move(*r);
    co_return job_or_failure(co_await ctx.jobs.async_task_action(m.job_id, m.task_id, m.action == "approve",
                                                                 std::get<std::optional<std::string>>(comment)));
}

asio::awaitable<Response> task_logs(const Request& req, const RouteMatch& m, ApiContext& ctx) {
    std::vector<std::string> problems;
    reject_unknown_params(req.query, {"attempt"}, problems);
    auto attempt = int_param(req.query, "attempt", 1, 1'000'000, problems);
    if (!problems.empty()) co_return problems_response(std::move(problems));
    auto job = co_await ctx.jobs.async_get(m.job_id);
    if (!job) co_return error_response(404, "job " + m.job_id + " not found");
    const team::Task* task = team::find_task(job->team, m.task_id);
    if (!task) co_return error_response(404, "job " + m.job_id + " has no task '" + m.task_id + "'");
    if (task->attempt == 0) co_return error_response(404, "task " + m.task_id + " has not run yet: no logs");
    int n = attempt ? static_cast<int>(*attempt) : task->attempt;
    if (n > task->attempt)
        co_return error_response(404, "task " + m.task_id + " has " + std::to_string(task->attempt) + " attempts");
    auto text = co_await ctx.jobs.async_attempt_log(m.job_id, m.task_id, n);
    if (!text) co_return error_response(404, "the log of attempt " + std::to_string(n) + " is not on this server");
    co_return Response{200, "text/plain; charset=utf-8", std::move(*text), {}};
}

asio::awaitable<Response> get_mailbox(const RouteMatch& m, ApiContext& ctx) {
    auto job = co_await ctx.jobs.async_get(m.job_id);
    if (!job) co_return error_response(404, "job " + m.job_id + " not found");
    co_return json_response(200, mailbox_view(*job));
}

asio::awaitable<Response> post_mailbox(const Request& req, const RouteMatch& m, ApiContext& ctx) {
    auto body = json_body(req, true);
    if (auto* r = std::get_if<Response>(&body)) co_return std::move(*r);
    auto value = std::get<json::value>(std::move(body));
    actor::MailboxValidator validate = [value](const team::Job& job) {
        auto checked = validate_mailbox_post(value, job);
        actor::MailboxCheck check{std::nullopt, std::move(checked.problems)};
        if (checked.draft) {
            team::Message msg;
            msg.kind = checked.draft->kind;
            msg.to = checked.draft->to;
            msg.taskId = checked.draft->taskId;
            msg.message = checked.draft->message;
            msg.payload = checked.draft->payload;
            msg.meta = checked.draft->meta;
            check.message = std::move(msg);
        }
        return check;
    };
    auto out = co_await ctx.jobs.async_post_message(m.job_id, std::move(validate));
    if (out.failure == actor::Failure::bad_request) co_return problems_response(std::move(out.problems));
    if (out.failure != actor::Failure::none)
        co_return failure_response(out.failure, out.problems.empty() ? "" : out.problems.front());
    co_return json_response(201, team::to_json(*out.message));
}

} // namespace omx::api
