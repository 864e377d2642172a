// The runner of a job: one coroutine per active job that takes the run,
// prepares the workspace, and starts ready tasks as slots free up; it sleeps
// until poked (a commit, a finished attempt, a freed agent slot) or until the
// clock matters (a backoff ends, a budget runs out, a heartbeat is due).
#include "team/actor/job_service.hpp"
#include "team/actor/job_slot.hpp"
#include "team/actor/staged_events.hpp"

#include "process/agent_env.hpp"
#include "process/workspace.hpp"
#include "runtime/clock.hpp"
#include "runtime/log.hpp"
#include "store/file_store.hpp"
#include "team/core/apply.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;

namespace omx::actor {

namespace {
// How long the engine waits before it writes again after the store failed (e.g. a full disk).
constexpr std::chrono::milliseconds store_retry_interval{1000};
} // namespace

void JobService::start_runs() {
    for (auto& [_, slot] : active_) poke(*slot);
}

void JobService::poke(Slot& slot) {
    slot.poked = true;
    if (slot.runner) {
        slot.wake.cancel();
        return;
    }
    if (team::is_terminal(slot.job.status) || slot.adopted || shutting_down_ || !config_.run_jobs) return;
    if (find_active(slot.job.id) != &slot) return; // a job being created: poked once it is registered
    slot.runner = true;
    asio::co_spawn(strand_, run_job(slot.job.id), asio::detached);
}

void JobService::wake_jobs(const std::deque<std::string>& ids) {
    for (auto& id : ids)
        if (auto* s = find_active(id)) poke(*s);
}

team::StepInput JobService::step_input(const Slot& slot, const team::Job& job) const {
    team::StepInput in{now_ms(), worker_id_, config_.time_scale, 0, {}};
    for (auto& [task_id, a] : slot.attempts) {
        const team::Task* t = team::find_task(job.team, task_id);
        if (t && t->status == team::TaskStatus::running && t->claimToken == a.claimToken) in.liveTokens += a.liveTokens;
    }
    for (auto& t : job.team.tasks)
        if (t.status == team::TaskStatus::running && !slot.attempts.count(t.id)) in.orphanedTaskIds.push_back(t.id);
    if (slot.lost_a_result) in.orphanReason = "the attempt's result could not be stored";
    return in;
}

asio::awaitable<bool> JobService::commit_engine(Slot& slot, std::vector<team::Event> stamped) {
    if (stamped.empty()) co_return true;
    try {
        co_await commit(slot, std::move(stamped));
        co_return true;
    } catch (const std::exception& e) {
        log::error("engine change not stored", {{"job", slot.job.id}, {"error", e.what()}});
        slot.store_retry_at = std::chrono::steady_clock::now() + store_retry_interval;
        co_return false;
    }
}

// One write for a change and what follows from it: an instant task's result
// and its successor's start cost one sync, not two (docs/PERFORMANCE.md).
asio::awaitable<bool> JobService::advance(Slot& slot, StagedEvents staged) {
    auto input = step_input(slot, staged.job());
    stage(slot, staged, team::decide_step(staged.job(), input).events);
    bool wants_more = false;
    auto starts = stage_starts(slot, staged, wants_more);
    auto stamped = staged.take(); // named: GCC 12 mishandles temporaries in co_await
    bool stored = co_await commit_engine(slot, std::move(stamped));
    if (stored && !input.orphanedTaskIds.empty()) slot.lost_a_result = false;
    co_await launch(slot, std::move(starts), stored);
    if (!wants_more) wake_jobs(agents_.withdraw(slot.job.id));
    co_return stored;
}

asio::awaitable<void> JobService::prepare_workspace(Slot& slot) {
    process::WorkspaceOptions options;
    options.github_base = config_.github_base;
    options.skip_clone = config_.skip_clone;
    options.git_timeout = config_.scaled(options.git_timeout);
    options.kill_grace = config_.scaled(config_.kill_grace);
    options.base_env = process::agent_environment(config_.server_env, config_.agent_env, {});
    std::string id = slot.job.id, repo = slot.job.request.repo, ref = slot.job.request.ref;
    auto run_dir = config_.work_root / id;
    auto result = co_await process::async_prepare_workspace(strand_, run_dir, repo, ref, options);
    std::optional<TmuxView::Opened> view;
    if (result.ok) view = co_await open_tmux_view(slot);
    auto* opened = view ? std::get_if<std::unique_ptr<TmuxView>>(&*view) : nullptr;
    co_await slot.lock.async_lock();
    AsyncLockGuard guard(slot.lock);
    if (team::is_terminal(slot.job.status)) {
        if (opened) asio::co_spawn(strand_, TmuxView::async_kill(strand_, config_, (*opened)->session()), asio::detached);
        co_return;
    }
    team::Decision decision;
    if (!result.ok) {
        decision = team::decide_workspace_failed(slot.job, result.error);
    } else if (auto* why = view ? std::get_if<std::string>(&*view) : nullptr) {
        decision = team::decide_setup_failed(slot.job, *why);
    } else {
        slot.workspace = result.path;
        decision = team::decide_workspace_ready(slot.job, result.commit, result.path.string(), !result.reused);
        if (opened) adopt_tmux_view(slot, std::move(*opened), decision);
    }
    StagedEvents staged(slot.job);
    stage(slot, staged, std::move(decision.events));
    co_await advance(slot, std::move(staged));
}

void JobService::heartbeat(Slot& slot) {
    auto now = std::chrono::steady_clock::now();
    if (slot.attempts.empty() || now < slot.next_heartbeat) return;
    slot.next_heartbeat = now + config_.scaled(config_.heartbeat);
    auto wall = now_ms();
    bool renewed = false;
    for (auto& t : slot.job.team.tasks) {
        auto a = slot.attempts.find(t.id);
        if (t.status != team::TaskStatus::running || a == slot.attempts.end() || a->second.claimToken != t.claimToken)
            continue;
        t.lastHeartbeatAt = wall; // record-only fields (schemas.md): no event
        t.claimExpiresAt = wall + config_.scaled(std::chrono::milliseconds(team::lease_ms)).count();
        renewed = true;
    }
    if (renewed) record_only_changed(slot); // coalesced: one record write per interval at most
}

asio::awaitable<void> JobService::run_job(std::string id) {
    Slot* slot = find_active(id);
    if (!slot) co_return;
    ++slot->busy;
    try {
        while (!shutting_down_ && !slot->lease_lost) {
            slot->poked = false;
            {
                co_await slot->lock.async_lock();
                AsyncLockGuard guard(slot->lock);
                StagedEvents nothing_yet(slot->job); // named: GCC 12 mishandles temporaries in co_await
                co_await advance(*slot, std::move(nothing_yet));
            }
            const auto& job = slot->job;
            if (slot->lease_lost) break;
            if (team::is_terminal(job.status) || parked(*slot)) {
                if (slot->attempts.empty()) break;
            } else if (job.runStarted && !job.jobGatePending && !slot->workspace) {
                co_await prepare_workspace(*slot);
                continue;
            }
            heartbeat(*slot);
            if (slot->poked) continue;
            auto in = step_input(*slot, slot->job);
            auto wake_at = std::chrono::steady_clock::time_point::max();
            if (auto at = team::next_wakeup(slot->job, in))
                wake_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max<std::int64_t>(0, *at - in.now) + 1);
            if (!slot->attempts.empty()) wake_at = std::min(wake_at, slot->next_heartbeat);
            if (slot->store_retry_at > std::chrono::steady_clock::now()) wake_at = std::min(wake_at, slot->store_retry_at);
            slot->wake.expires_at(wake_at);
            co_await slot->wake.async_wait(asio::as_tuple(asio::use_awaitable));
        }
    } catch (const std::exception& e) {
        log::error("job runner failed", {{"job", id}, {"error", e.what()}});
    }
    slot->runner = false;
    wake_jobs(agents_.withdraw(id));
    --slot->busy;
    deactivate_if_done(*slot);
}

} // namespace omx::actor
