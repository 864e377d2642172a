// GET /v1/monitor/overview, from the index (counters, tokens) and the active
// jobs only: its cost does not grow with the number of finished jobs.
#include "team/actor/job_service.hpp"
#include "team/actor/job_slot.hpp"

#include "runtime/clock.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/json_codec.hpp"

#include <algorithm>

namespace json = boost::json;

namespace omx::actor {
namespace {

json::value time_or_null(const std::optional<team::TimeMs>& t) {
    return t ? json::value(format_rfc3339(*t)) : json::value(nullptr);
}
json::value string_or_null(const std::optional<std::string>& s) {
    return s ? json::value(*s) : json::value(nullptr);
}

json::object active_job(const team::Job& j) {
    return {{"id", j.id},
            {"provider", team::to_string(j.request.provider)},
            {"mode", team::to_string(j.request.mode)},
            {"status", team::to_string(j.status)},
            {"task", j.request.task},
            {"repo", j.request.repo},
            {"ref", j.request.ref},
            {"startedAt", time_or_null(j.startedAt)},
            {"updatedAt", format_rfc3339(j.updatedAt)},
            {"teamPhase", team::to_string(j.team.phase)},
            {"teamMetrics", team::to_json(team::compute_metrics(j.team))}};
}

void add_agents(const team::Job& j, json::array& out) {
    for (auto& t : j.team.tasks)
        if (t.status == team::TaskStatus::running)
            out.push_back(json::object{{"jobId", j.id},
                                       {"taskId", t.id},
                                       {"role", team::to_string(t.role)},
                                       {"workerId", string_or_null(t.workerId)},
                                       {"status", team::to_string(t.status)},
                                       {"startedAt", time_or_null(t.startedAt)},
                                       {"lastHeartbeatAt", time_or_null(t.lastHeartbeatAt)},
                                       {"claimExpiresAt", time_or_null(t.claimExpiresAt)},
                                       {"pid", t.pid ? json::value(*t.pid) : json::value(nullptr)}});
}

void add_waiting(const team::Job& j, json::array& out) {
    if (j.jobGatePending)
        out.push_back(json::object{{"jobId", j.id},
                                   {"status", team::to_string(j.status)},
                                   {"gate", "job"},
                                   {"taskId", nullptr},
                                   {"reason", "options.requireApproval is set"},
                                   {"since", time_or_null(j.jobGateSince)}});
    for (auto& t : j.team.tasks)
        if (t.approval)
            out.push_back(json::object{{"jobId", j.id},
                                       {"status", team::to_string(j.status)},
                                       {"gate", t.approval->stage},
                                       {"taskId", t.id},
                                       {"reason", t.approval->reason},
                                       {"since", format_rfc3339(t.approval->requestedAt)}});
}

} // namespace

json::object JobService::overview(std::size_t limit) const {
    auto counts = index_.counts();
    auto count = [&](team::JobStatus s) {
        auto it = counts.by_status.find(s);
        return it == counts.by_status.end() ? std::size_t{0} : it->second;
    };
    using S = team::JobStatus;
    json::object jobs{{"total", counts.total},
                      {"queued", count(S::queued)},
                      {"running", count(S::running)},
                      {"waiting_approval", count(S::waiting_approval)},
                      {"succeeded", count(S::succeeded)},
                      {"failed", count(S::failed)},
                      {"canceled", count(S::canceled)},
                      {"active", count(S::queued) + count(S::running) + count(S::waiting_approval)}};

    std::vector<const team::Job*> live;
    for (auto& [_, slot] : active_)
        if (!team::is_terminal(slot->job.status)) live.push_back(&slot->job);
    std::sort(live.begin(), live.end(), [](auto* a, auto* b) {
        return a->createdAt != b->createdAt ? a->createdAt > b->createdAt : a->id > b->id;
    });
    json::array active_jobs, agents, waiting;
    for (auto* j : live) {
        if (active_jobs.size() < limit) active_jobs.push_back(active_job(*j));
        add_agents(*j, agents);
        add_waiting(*j, waiting);
    }
    auto t = index_.tokens();
    return {{"generatedAt", format_rfc3339(now_ms())},
            {"jobs", std::move(jobs)},
            {"activeJobs", std::move(active_jobs)},
            {"activeAgents", std::move(agents)},
            {"tokens", json::object{{"inputTokens", t.inputTokens},
                                    {"outputTokens", t.outputTokens},
                                    {"totalTokens", t.totalTokens},
                                    {"jobsWithUsage", t.jobsWithUsage},
                                    {"jobsWithoutUsage", t.jobsWithoutUsage}}},
            {"waitingApprovals", std::move(waiting)}};
}

} // namespace omx::actor
