// GET /v1/monitor/overview, from the index (counters, tokens) and the active
// jobs only: its cost does not grow with the number of finished jobs.
#include "team/actor/overview.hpp"
#include "team/actor/job_service.hpp"
#include "team/actor/job_slot.hpp"

#include "runtime/clock.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/json_codec.hpp"
#include "team/core/json_fields.hpp"

#include <algorithm>

namespace json = boost::json;
using omx::team::json_fields::nullable;
using omx::team::json_fields::time_json;

namespace omx::actor {
namespace {

json::object active_job(const team::Job& j) {
    return {{"id", j.id},
            {"provider", team::to_string(j.request.provider)},
            {"mode", team::to_string(j.request.mode)},
            {"status", team::to_string(j.status)},
            {"task", j.request.task},
            {"repo", j.request.repo},
            {"ref", j.request.ref},
            {"startedAt", nullable(j.startedAt, time_json)},
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
                                       {"workerId", nullable(t.workerId)},
                                       {"status", team::to_string(t.status)},
                                       {"startedAt", nullable(t.startedAt, time_json)},
                                       {"lastHeartbeatAt", nullable(t.lastHeartbeatAt, time_json)},
                                       {"claimExpiresAt", nullable(t.claimExpiresAt, time_json)},
                                       {"pid", nullable(t.pid)}});
}

void add_waiting(const team::Job& j, json::array& out) {
    if (j.jobGatePending)
        out.push_back(json::object{{"jobId", j.id},
                                   {"status", team::to_string(j.status)},
                                   {"gate", "job"},
                                   {"taskId", nullptr},
                                   {"reason", "options.requireApproval is set"},
                                   {"since", nullable(j.jobGateSince, time_json)}});
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

std::vector<metrics::GaugeSample> JobService::metric_gauges() const {
    auto counts = index_.counts();
    std::vector<metrics::GaugeSample> gauges;
    using S = team::JobStatus;
    for (auto s : {S::queued, S::running, S::waiting_approval, S::succeeded, S::failed, S::canceled}) {
        auto it = counts.by_status.find(s);
        gauges.push_back({metrics::family::jobs, {{"status", std::string(team::to_string(s))}},
                          static_cast<double>(it == counts.by_status.end() ? 0 : it->second)});
    }
    return gauges;
}

json::object overview_json(const OverviewCounts& counts, std::vector<const team::Job*> live, std::size_t limit) {
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
    std::sort(live.begin(), live.end(), [](auto* a, auto* b) {
        return a->createdAt != b->createdAt ? a->createdAt > b->createdAt : a->id > b->id;
    });
    json::array active_jobs, agents, waiting;
    for (auto* j : live) {
        if (active_jobs.size() < limit) active_jobs.push_back(active_job(*j));
        add_agents(*j, agents);
        add_waiting(*j, waiting);
    }
    const auto& t = counts.tokens;
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

json::object JobService::overview(std::size_t limit) const {
    auto index_counts = index_.counts();
    OverviewCounts counts{index_counts.total, index_counts.by_status, index_.tokens()};
    std::vector<const team::Job*> live;
    for (auto& [_, slot] : active_)
        if (!team::is_terminal(slot->job.status)) live.push_back(&slot->job);
    return overview_json(counts, std::move(live), limit);
}

} // namespace omx::actor
