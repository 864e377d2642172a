#include "team/core/role_log.hpp"

#include "runtime/clock.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"

#include <algorithm>

namespace omx::team {
namespace {

constexpr std::size_t max_text = 2000; // characters of one agent item shown

std::string text_of(const json::object& payload, std::string_view key) {
    auto* v = payload.if_contains(key);
    if (!v || !v->is_string()) return {};
    std::string s(v->get_string());
    if (s.size() > max_text) s = s.substr(0, max_text) + " …";
    return s;
}

std::string first_line(std::string s) {
    if (auto nl = s.find('\n'); nl != std::string::npos) s = s.substr(0, nl) + " …";
    return s;
}

// "12:03:04 " (UTC) from the event's time.
std::string clock_prefix(TimeMs at) {
    auto stamp = format_rfc3339(at); // 2026-11-21T12:03:04.123Z
    return stamp.size() >= 19 ? stamp.substr(11, 8) + " " : "";
}

std::string task_line(const Event& e, const Task& task) {
    namespace type = event_type;
    const auto& p = e.payload;
    auto attempt = [&] {
        auto* a = p.if_contains("attempt");
        return a && a->is_int64() ? " (attempt " + std::to_string(a->get_int64()) + ")" : std::string();
    };
    if (e.type == type::task_started) return "▶ " + task.id + " started" + attempt();
    if (e.type == type::task_output) {
        auto kind = text_of(p, "kind"), text = text_of(p, "text");
        if (kind == "command") {
            auto* code = p.if_contains("exitCode");
            return "$ " + text + (code && code->is_int64() ? "  → exit " + std::to_string(code->get_int64()) : "");
        }
        if (kind == "file_change") return "✎ " + text;
        if (kind == "tool") return "⚙ " + text;
        if (kind == "plan") return "☰ " + text;
        if (kind == "error") return "! " + text;
        return text;
    }
    if (e.type == type::task_completed) {
        auto result = text_of(p, "result");
        if (result == "succeeded") {
            std::string summary;
            if (auto* out = p.if_contains("output"); out && out->is_object())
                summary = first_line(text_of(out->as_object(), "summary"));
            return "✔ " + task.id + " succeeded" + attempt() + (summary.empty() ? "" : ": " + summary);
        }
        if (result == "approval") return "⏸ " + task.id + " asks for approval";
        auto error = first_line(text_of(p, "error"));
        return (result == "retry" ? "↻ " + task.id + " will retry" : "✖ " + task.id + " failed") + attempt() +
               (error.empty() ? "" : ": " + error);
    }
    if (e.type == type::task_canceled) return "■ " + task.id + " canceled: " + text_of(p, "reason");
    if (e.type == type::task_approval_required)
        return "⏸ " + task.id + " waits for approval (" + text_of(p, "stage") + "): " + text_of(p, "reason");
    if (e.type == type::task_non_reporting) {
        auto* idle = p.if_contains("idleSeconds");
        auto seconds = idle && idle->is_number() ? std::to_string(static_cast<long long>(idle->to_number<double>())) : "?";
        return "… " + task.id + " has been silent for " + seconds + " s" + attempt();
    }
    if (e.type == type::task_validation_failed) {
        std::string problems;
        if (auto* list = p.if_contains("problems"); list && list->is_array())
            for (auto& problem : list->get_array())
                if (problem.is_string()) problems += "\n  - " + std::string(problem.get_string());
        return "! the plan of " + task.id + " is invalid:" + problems;
    }
    if (e.type == type::mailbox_delivered) {
        auto* ids = p.if_contains("messageIds");
        auto n = ids && ids->is_array() ? ids->get_array().size() : 0;
        return "✉ " + std::to_string(n) + (n == 1 ? " message" : " messages") + " delivered to " + task.id;
    }
    return {};
}

std::string run_end_line(const Job& job, const Event& e) {
    std::string status(to_string(job.status));
    auto error = job.error ? ": " + first_line(*job.error) : std::string();
    return "══ job " + status + error + " ══";
}

} // namespace

std::vector<std::string> job_roles(const Job& job) {
    std::vector<std::string> roles;
    for (auto& t : job.team.tasks) {
        std::string role(to_string(t.role));
        if (std::find(roles.begin(), roles.end(), role) == roles.end()) roles.push_back(role);
    }
    return roles;
}

std::vector<RoleLine> role_log_lines(const Job& job, const Event& e) {
    std::vector<RoleLine> lines;
    auto prefix = clock_prefix(e.createdAt);
    if (is_terminal_event(e.type)) {
        auto text = prefix + run_end_line(job, e);
        for (auto& role : job_roles(job)) lines.push_back({role, text});
        return lines;
    }
    auto* id = e.payload.if_contains("taskId");
    const Task* task = id && id->is_string() ? find_task(job.team, id->get_string()) : nullptr;
    if (!task) return lines;
    auto text = task_line(e, *task);
    if (!text.empty()) lines.push_back({std::string(to_string(task->role)), prefix + text});
    return lines;
}

} // namespace omx::team
