// Job, team and mailbox views.
#include "api/views.hpp"

#include "runtime/clock.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/json_codec.hpp"
#include "team/core/json_fields.hpp"

namespace json = boost::json;
using omx::team::json_fields::nullable;
using omx::team::json_fields::time_json;

namespace omx::api {

json::object job_view(const team::Job& j) {
    auto& r = j.request;
    return {{"id", j.id},
            {"provider", team::to_string(r.provider)},
            {"mode", team::to_string(r.mode)},
            {"repo", r.repo},
            {"ref", r.ref},
            {"task", r.task},
            {"options", team::to_json(r.options)},
            {"status", team::to_string(j.status)},
            {"approvalState", team::to_string(j.approvalState)},
            {"output", j.output},
            {"error", nullable(j.error)},
            {"createdAt", format_rfc3339(j.createdAt)},
            {"updatedAt", format_rfc3339(j.updatedAt)},
            {"startedAt", nullable(j.startedAt, time_json)},
            {"finishedAt", nullable(j.finishedAt, time_json)},
            {"team", json::object{{"status", team::to_string(j.status)},
                                  {"phase", team::to_string(j.team.phase)},
                                  {"metrics", team::to_json(team::compute_metrics(j.team))}}}};
}

json::array mailbox_view(const team::Job& j) {
    json::array out;
    for (auto& m : j.team.mailbox) out.push_back(team::to_json(m));
    return out;
}

json::object team_view(const team::Job& j) {
    json::array history, tasks;
    for (auto& e : j.team.phaseHistory) history.push_back(team::phase_entry_to_json(e));
    for (auto& t : j.team.tasks) tasks.push_back(team::to_json(t));
    return {{"status", team::to_string(j.status)},
            {"phase", team::to_string(j.team.phase)},
            {"phaseHistory", std::move(history)},
            {"fixAttempts", j.team.fixAttempts},
            {"maxFixAttempts", j.request.options.team.maxFixAttempts},
            {"parallelTasks", j.request.options.team.parallelTasks},
            {"currentTaskId", nullable(team::current_task_id(j.team))},
            {"approvalTaskId", nullable(team::approval_task_id(j.team))},
            {"plan", j.team.plan},
            {"tasks", std::move(tasks)},
            {"mailbox", mailbox_view(j)},
            {"metrics", team::to_json(team::compute_metrics(j.team))}};
}

} // namespace omx::api
