// One function per omx command, except watch (watch.cpp).
#include "tools/omx/commands.hpp"

#include "tools/omx/api_calls.hpp"
#include "tools/omx/render.hpp"

#include <boost/json/parse.hpp>

#include <ostream>

namespace omx::cli {
namespace json = boost::json;
namespace {

// --json prints the server's answer exactly as it came, as one document.
void print_json(Context& ctx, const JsonAnswer& answer) {
    ctx.out << answer.text;
    if (answer.text.empty() || answer.text.back() != '\n') ctx.out << '\n';
}

std::string value_or(const ParsedArgs& args, std::string_view name, std::string fallback) {
    auto v = args.get(name);
    return v ? *v : std::move(fallback);
}

std::string joined(const std::vector<std::string>& words) {
    std::string out;
    for (auto& w : words)
        out += (out.empty() ? "" : " ") + w;
    return out;
}

json::object object_option(const ParsedArgs& args, std::string_view name) {
    auto text = args.get(name);
    if (!text) return {};
    json::error_code ec;
    auto value = json::parse(*text, ec);
    if (ec)
        throw UsageError("option " + std::string(name) + " is not valid JSON: " + ec.message(),
                         args.command);
    if (!value.is_object())
        throw UsageError("option " + std::string(name) + " must be a JSON object", args.command);
    return std::move(value.as_object());
}

// {"comment": C} when --comment was given, else no body.
json::value comment_body(const ParsedArgs& args) {
    auto comment = args.get("--comment");
    if (!comment) return nullptr;
    return json::object{{"comment", *comment}};
}

std::string query(std::vector<std::pair<std::string, std::optional<std::string>>> params) {
    std::string out;
    for (auto& [name, value] : params)
        if (value) out += (out.empty() ? "?" : "&") + name + "=" + client::url_encode(*value);
    return out;
}

// approve | reject | cancel | resume, on the job or (approve, reject) on one task.
int job_action(Context& ctx, const ParsedArgs& args, std::string_view action) {
    const auto& id = args.positionals[0];
    auto task = args.get("--task");
    auto target = task ? job_path(id) + "/team/tasks/" + client::url_encode(*task) + "/actions/" +
                             std::string(action)
                       : job_path(id) + "/actions/" + std::string(action);
    auto answer = Api(ctx).post(target, comment_body(args));
    if (ctx.json) {
        print_json(ctx, answer);
    } else {
        static const std::map<std::string_view, std::string_view> done{{"approve", "approved"},
                                                                       {"reject", "rejected"},
                                                                       {"cancel", "canceled"},
                                                                       {"resume", "resumed"}};
        Style style(ctx.color);
        ctx.out << done.at(action) << (task ? " task " + *task + " of" : std::string()) << " "
                << render_job_line(answer.value, style);
    }
    return exit_code::ok;
}

} // namespace

std::chrono::milliseconds retry_timeout(const ParsedArgs& args) {
    auto seconds = positive_int_option(args, "--retry-timeout");
    return std::chrono::seconds(seconds.value_or(60));
}

int run_submit(Context& ctx, const ParsedArgs& args) {
    auto repo = args.get("--repo");
    if (!repo) throw UsageError("missing option --repo for 'omx submit'", "submit");
    if (args.has("--retry-timeout") && !args.has("--watch"))
        throw UsageError("option --retry-timeout needs --watch", "submit");
    auto retry_for = retry_timeout(args);
    json::object body{{"provider", value_or(args, "--provider", "codex")},
                      {"mode", value_or(args, "--mode", "team")},
                      {"repo", *repo},
                      {"ref", value_or(args, "--ref", "main")},
                      {"task", joined(args.positionals)}};
    if (args.has("--options")) body["options"] = object_option(args, "--options");
    client::HeaderList headers;
    if (auto key = args.get("--idempotency-key")) headers.emplace_back("Idempotency-Key", *key);

    auto answer = Api(ctx).post("/v1/jobs", body, std::move(headers));
    const auto* id =
        answer.value.is_object() ? answer.value.as_object().if_contains("jobId") : nullptr;
    if (!id || !id->is_string())
        throw client::TransportError("the server's answer has no jobId: " + answer.text);
    std::string job_id(id->get_string());
    if (!args.has("--watch")) {
        if (ctx.json) {
            print_json(ctx, answer);
        } else {
            const auto* status = answer.value.as_object().if_contains("status");
            Style style(ctx.color);
            ctx.out << "created job " << job_id << " ("
                    << style.status(status && status->is_string() ? status->get_string() : "")
                    << ")\n";
        }
        return exit_code::ok;
    }
    if (!ctx.json) ctx.out << "created job " << job_id << std::endl;
    return watch_job(ctx, job_id, retry_for);
}

int run_get(Context& ctx, const ParsedArgs& args) {
    const auto& id = args.positionals[0];
    Api api(ctx);
    auto job = api.get(job_path(id));
    if (ctx.json) {
        print_json(ctx, job);
        return exit_code::ok;
    }
    auto team = api.get(job_path(id) + "/team");
    ctx.out << render_job(job.value, team.value, Style(ctx.color));
    return exit_code::ok;
}

int run_list(Context& ctx, const ParsedArgs& args) {
    auto limit = positive_int_option(args, "--limit");
    auto target =
        "/v1/jobs" + query({{"status", args.get("--status")},
                            {"mode", args.get("--mode")},
                            {"provider", args.get("--provider")},
                            {"limit", limit ? std::optional(std::to_string(*limit)) : std::nullopt},
                            {"cursor", args.get("--cursor")}});
    auto page = Api(ctx).get(target);
    if (ctx.json) {
        print_json(ctx, page);
        return exit_code::ok;
    }
    ctx.out << render_job_list(page.value, Style(ctx.color));
    const auto* next =
        page.value.is_object() ? page.value.as_object().if_contains("nextCursor") : nullptr;
    if (next && next->is_string()) {
        // The same filters again, with the cursor: the command for the next page.
        std::string again = "omx list";
        for (auto name : {"--status", "--mode", "--provider", "--limit"})
            if (auto v = args.get(name)) again += " " + std::string(name) + " " + *v;
        ctx.out.flush();
        ctx.err << "more jobs: " << again << " --cursor " << std::string(next->get_string())
                << "\n";
    }
    return exit_code::ok;
}

int run_approve(Context& ctx, const ParsedArgs& args) {
    return job_action(ctx, args, "approve");
}
int run_reject(Context& ctx, const ParsedArgs& args) {
    return job_action(ctx, args, "reject");
}
int run_cancel(Context& ctx, const ParsedArgs& args) {
    return job_action(ctx, args, "cancel");
}
int run_resume(Context& ctx, const ParsedArgs& args) {
    return job_action(ctx, args, "resume");
}

int run_mail(Context& ctx, const ParsedArgs& args) {
    auto kind = args.get("--kind");
    auto message = args.get("--message");
    if (!kind) throw UsageError("missing option --kind for 'omx mail'", "mail");
    if (!message) throw UsageError("missing option --message for 'omx mail'", "mail");
    json::object body{{"kind", *kind}, {"message", *message}};
    if (auto to = args.get("--to")) {
        if (to->find(',') == std::string::npos) {
            body["to"] = *to;
        } else {
            json::array roles;
            std::size_t start = 0;
            for (;;) {
                auto comma = to->find(',', start);
                roles.emplace_back(to->substr(start, comma - start));
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
            body["to"] = std::move(roles);
        }
    }
    if (auto task = args.get("--task")) body["taskId"] = *task;
    auto answer = Api(ctx).post(job_path(args.positionals[0]) + "/team/mailbox", body);
    if (ctx.json)
        print_json(ctx, answer);
    else
        ctx.out << render_message(answer.value);
    return exit_code::ok;
}

int run_logs(Context& ctx, const ParsedArgs& args) {
    auto attempt = positive_int_option(args, "--attempt");
    auto target =
        job_path(args.positionals[0]) + "/team/tasks/" + client::url_encode(args.positionals[1]) +
        "/logs" +
        query({{"attempt", attempt ? std::optional(std::to_string(*attempt)) : std::nullopt}});
    ctx.out << Api(ctx).get_text(target); // raw text, also with --json
    return exit_code::ok;
}

int run_overview(Context& ctx, const ParsedArgs& args) {
    auto limit = positive_int_option(args, "--limit");
    auto answer = Api(ctx).get(
        "/v1/monitor/overview" +
        query({{"limit", limit ? std::optional(std::to_string(*limit)) : std::nullopt}}));
    if (ctx.json)
        print_json(ctx, answer);
    else
        ctx.out << render_overview(answer.value, Style(ctx.color));
    return exit_code::ok;
}

int run_help(Context& ctx, const ParsedArgs& args) {
    if (args.positionals.empty()) {
        ctx.out << main_help();
        return exit_code::ok;
    }
    const auto* command = find_command(args.positionals[0]);
    if (!command) throw UsageError("unknown command '" + args.positionals[0] + "'");
    ctx.out << command_help(*command);
    return exit_code::ok;
}

} // namespace omx::cli
