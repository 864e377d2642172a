#include "team/actor/job_metrics.hpp"

#include "runtime/metrics.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"

namespace omx::actor {
namespace {

std::string task_role(const team::Job& job, const team::Event& e) {
    auto* id = e.payload.if_contains("taskId");
    auto* task = id && id->is_string() ? team::find_task(job.team, id->get_string()) : nullptr;
    return task ? std::string(team::to_string(task->role)) : "unknown";
}

void count_tokens(const team::Job& job, const boost::json::value& output) {
    auto* usage = output.is_object() ? output.as_object().if_contains("usage") : nullptr;
    if (!usage || !usage->is_object()) return;
    std::string provider(team::to_string(job.request.provider));
    auto add = [&](const char* field, const char* kind) {
        auto* v = usage->as_object().if_contains(field);
        if (v && v->is_int64() && v->get_int64() > 0)
            metrics::count(metrics::family::agent_tokens, {{"provider", provider}, {"kind", kind}},
                           static_cast<double>(v->get_int64()));
    };
    add("inputTokens", "input");
    add("cachedInputTokens", "cached_input");
    add("outputTokens", "output");
}

} // namespace

void count_job_events(const team::Job& job, const std::vector<team::Event>& events) {
    namespace type = team::event_type;
    std::string mode(team::to_string(job.request.mode)), provider(team::to_string(job.request.provider));
    for (auto& e : events) {
        if (e.type == type::queued) {
            auto* reason = e.payload.if_contains("reason");
            if (reason && *reason == "created")
                metrics::count(metrics::family::jobs_created, {{"mode", mode}, {"provider", provider}});
        } else if (team::is_terminal_event(e.type)) {
            std::string outcome = e.type == type::completed ? "succeeded" : std::string(e.type);
            metrics::count(metrics::family::jobs_finished, {{"mode", mode}, {"provider", provider}, {"outcome", outcome}});
        } else if (e.type == type::task_started) {
            metrics::count(metrics::family::tasks_started, {{"role", task_role(job, e)}});
        } else if (e.type == type::task_completed) {
            auto* result = e.payload.if_contains("result");
            if (result && *result == "retry") metrics::count(metrics::family::tasks_retried, {{"role", task_role(job, e)}});
            if (result && *result == "failed") metrics::count(metrics::family::tasks_failed, {{"role", task_role(job, e)}});
            if (auto* output = e.payload.if_contains("output")) count_tokens(job, *output);
        }
    }
}

} // namespace omx::actor
