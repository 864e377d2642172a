// The attempts of a job's tasks: spawning an agent and committing its start,
// its live output, its result; stopping attempts whose task no longer runs;
// mailbox messages into running tasks' inboxes.
#include "team/actor/job_service.hpp"
#include "team/actor/job_slot.hpp"
#include "team/actor/staged_events.hpp"

#include "process/agent_command.hpp"
#include "process/agent_env.hpp"
#include "process/prompt.hpp"
#include "process/sandbox.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/clock.hpp"
#include "runtime/ids.hpp"
#include "runtime/log.hpp"
#include "store/job_store.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/events.hpp"
#include "team/core/graph.hpp"
#include "team/core/json_codec.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <fstream>
#include <random>

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace omx::actor {
namespace {

constexpr std::chrono::milliseconds output_batch_window{10};

void write_file(const fs::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

process::Feedback feedback_of(const team::Task& t) {
    process::Feedback f;
    auto* o = t.feedback.if_object();
    if (!o) return f;
    if (auto* e = o->if_contains("error"); e && e->is_string()) f.error = std::string(e->get_string());
    if (auto* x = o->if_contains("findings")) f.findings = *x;
    if (auto* a = o->if_contains("approved"); a && a->is_bool()) f.approved = a->get_bool();
    if (auto* c = o->if_contains("comment"); c && c->is_string()) f.approver_comment = std::string(c->get_string());
    return f;
}

// Sleeps on a job's timer until done() holds; whoever changes what done()
// looks at cancels the timer.
template <class Done>
asio::awaitable<void> sleep_until(asio::steady_timer& wake, Done done) {
    while (!done()) {
        wake.expires_at(std::chrono::steady_clock::time_point::max());
        co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

// The agent's HOME and TMPDIR (agents.md passes both through): its own in the sandbox.
std::vector<std::filesystem::path> private_dirs(const std::map<std::string, std::string>& server_env) {
    std::vector<std::filesystem::path> dirs;
    for (const char* name : {"HOME", "TMPDIR"})
        if (auto it = server_env.find(name); it != server_env.end()) dirs.emplace_back(it->second);
    return dirs;
}

double jitter() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

} // namespace

std::vector<JobService::PreparedStart> JobService::stage_starts(Slot& slot, StagedEvents& staged, bool& wants_more) {
    std::vector<PreparedStart> starts;
    bool store_failing = std::chrono::steady_clock::now() < slot.store_retry_at;
    if (!team::may_start_tasks(staged.job()) || !slot.workspace || shutting_down_ || slot.lease_lost || store_failing)
        return starts;
    // An attempt counts until its result is staged (a stopping one too).
    int free = staged.job().request.options.team.parallelTasks -
               static_cast<int>(std::count_if(slot.attempts.begin(), slot.attempts.end(),
                                              [](const auto& a) { return !a.second.reported; }));
    for (auto& id : team::startable_tasks(staged.job().team, now_ms())) {
        if (free <= 0) break;
        if (slot.attempts.count(id)) continue; // its previous attempt is still stopping
        if (!agents_.try_acquire(slot.job.id)) {
            wants_more = true;
            break;
        }
        if (auto start = prepare_start(slot, staged, id)) {
            starts.push_back(std::move(*start));
            --free;
        } else if (auto next = agents_.release()) {
            wake_jobs({*next});
        }
        if (!team::may_start_tasks(staged.job())) break;
    }
    return starts;
}

std::optional<JobService::PreparedStart> JobService::prepare_start(Slot& slot, StagedEvents& staged,
                                                                   const std::string& task_id) {
    const team::Job& job = staged.job();
    const team::Task& task = *team::find_task(job.team, task_id);
    const int attempt_no = task.attempt + 1;
    const std::string claim = new_uuid();
    const auto run_dir = config_.work_root / job.id;
    const auto task_dir = run_dir / "tasks" / task.id;
    const std::string n = std::to_string(attempt_no);
    process::AttemptPaths paths{*slot.workspace, run_dir, task_dir / (n + ".prompt.txt"),
                                task_dir / (n + ".dependencies.json"), task_dir / "inbox.jsonl"};

    std::vector<process::DependencyContext> dependencies;
    for (auto& dep : task.dependencies)
        if (const team::Task* d = team::find_task(job.team, dep)) dependencies.push_back(process::dependency_context(*d));
    std::vector<team::Message> messages;
    std::vector<std::string> delivered;
    for (auto* m : team::messages_for(job.team, task)) {
        messages.push_back(*m);
        if (std::find(m->deliveredTo.begin(), m->deliveredTo.end(), task.id) == m->deliveredTo.end())
            delivered.push_back(m->id);
    }
    std::string prompt = process::build_prompt(
        {task.role, job.request.task, task.name, dependencies, feedback_of(task), std::move(messages)});

    std::shared_ptr<process::AgentAttempt> attempt;
    try {
        auto vars = process::job_variables({job, task, attempt_no, job.team.phase, prompt, paths, claim});
        auto command = process::resolve_command(job.request.provider, task.role, job.request.options.agentCommands,
                                                config_.allow_request_commands, config_.server_env);
        process::AttemptSpec spec;
        spec.command = command.text;
        spec.workdir = *slot.workspace;
        spec.log_path = task_dir / (n + ".log");
        spec.log_mirror = store_.attempt_log_mirror(job.id, task.id, attempt_no);
        spec.environment = process::agent_environment(config_.server_env, config_.agent_env, vars);
        if (config_.sandbox_policy)
            spec.sandbox = process::sandbox_arguments(*config_.sandbox_policy, *slot.workspace, run_dir,
                                                      private_dirs(config_.server_env));
        spec.timeout = config_.scaled(std::chrono::milliseconds(std::int64_t(task.timeoutSeconds) * 1000));
        spec.idle_timeout = config_.scaled(config_.idle_timeout);
        spec.kill_grace = config_.scaled(config_.kill_grace);

        std::string job_id = job.id;
        process::AttemptObserver observer;
        observer.started = [this, job_id, task_id](pid_t pid) {
            if (auto* s = find_active(job_id))
                if (auto a = s->attempts.find(task_id); a != s->attempts.end()) {
                    a->second.pid = pid;
                    s->launch_wake.cancel();
                }
        };
        observer.item = [this, job_id, task_id, attempt_no](const process::OutputItem& item) {
            auto* s = find_active(job_id);
            if (!s || team::is_terminal(s->job.status)) return; // after the run's end: the log only
            queue_output(*s, {std::string(team::event_type::task_output), task_id + ": " + item.kind,
                              {{"taskId", task_id},
                               {"attempt", attempt_no},
                               {"kind", item.kind},
                               {"text", item.text},
                               {"exitCode", item.exitCode ? json::value(*item.exitCode) : json::value(nullptr)}}});
        };
        observer.usage = [this, job_id, task_id](const team::Usage& u) {
            auto* s = find_active(job_id);
            if (!s) return;
            if (auto a = s->attempts.find(task_id); a != s->attempts.end()) a->second.liveTokens = u.totalTokens;
            if (s->job.request.options.maxTokens) poke(*s); // the runner checks the token budget
        };
        attempt = std::make_shared<process::AgentAttempt>(strand_, std::move(spec), std::move(observer));
    } catch (const std::exception& e) {
        log::error("cannot prepare an attempt", {{"job", job.id}, {"task", task_id}, {"error", e.what()}});
        return std::nullopt;
    }
    // storage.md: the start is on disk before the process it announces exists,
    // so that after a crash recovery knows the claim token to fence.
    auto decision = team::decide_task_start(job, {task_id, worker_id_, claim, std::nullopt, delivered, now_ms()});
    if (decision.refusal) return std::nullopt;

    // The attempt's files are written on the blocking pool while its start
    // commits (inode allocation and the commit's sync overlap); the agent is
    // spawned once both are done.
    auto files = std::make_shared<AttemptFiles>();
    pool_.post([this, strand = strand_, files, job_id = job.id, task_dir, prompt_file = paths.prompt_file,
                prompt = std::move(prompt), dependencies_file = paths.dependency_outputs,
                dependencies_json = process::dependency_outputs_json(dependencies)] {
        try {
            fs::create_directories(task_dir);
            write_file(prompt_file, prompt);
            write_file(dependencies_file, dependencies_json);
        } catch (const std::exception& e) {
            files->error = e.what();
        }
        asio::post(strand, [this, files, job_id] {
            files->written = true;
            if (auto* s = find_active(job_id)) s->launch_wake.cancel();
        });
    });
    stage(slot, staged, std::move(decision.events));
    return PreparedStart{task_id, claim, std::move(attempt), std::move(files)};
}

asio::awaitable<void> JobService::launch(Slot& slot, std::vector<PreparedStart> starts, bool announced) {
    if (starts.empty()) co_return;
    if (!announced) {
        for (std::size_t i = 0; i < starts.size(); ++i)
            if (auto next = agents_.release()) wake_jobs({*next});
        co_return;
    }
    for (auto& s : starts) slot.attempts[s.task_id] = RunningAttempt{s.claim, s.attempt, std::nullopt, 0, true, false, false};
    for (auto& s : starts) {
        auto& running = slot.attempts.at(s.task_id);
        // stop_all() ran while the starts were being written (a shutdown, a lost lease): they end at once.
        if (shutting_down_ || slot.lease_lost) {
            running.stopping = true;
            s.attempt->stop(shutting_down_ ? process::StopReason::shutdown : process::StopReason::reassign);
        }
        auto written = [files = s.files] { return files->written; }; // named: GCC 12 mishandles a lambda temporary in co_await
        co_await sleep_until(slot.launch_wake, written);
        std::optional<std::string> failed;
        if (s.files->error) {
            log::error("cannot write an attempt's files", {{"job", slot.job.id}, {"task", s.task_id}, {"error", *s.files->error}});
            failed = "cannot write the attempt's files: " + *s.files->error;
            running.finished = true;
        }
        asio::co_spawn(strand_, finish_attempt(slot.job.id, s.task_id, s.attempt, std::move(failed)), asio::detached);
        // The pid is known once the agent is spawned (or the attempt already ended).
        auto spawned_or_ended = [&running] { return running.pid || running.finished; };
        co_await sleep_until(slot.launch_wake, spawned_or_ended);
        running.starting = false;
        if (running.pid) { // like the heartbeat fields, kept in the record only (the event came first)
            if (team::Task* t = team::find_task(slot.job.team, s.task_id); t && t->claimToken == s.claim) t->pid = *running.pid;
            record_only_changed(slot);
        }
    }
    stop_orphaned_attempts(slot); // in case a task was stopped meanwhile
}

asio::awaitable<void> JobService::finish_attempt(std::string job_id, std::string task_id,
                                                 std::shared_ptr<process::AgentAttempt> attempt,
                                                 std::optional<std::string> failed_before_start) {
    process::AttemptResult r;
    if (failed_before_start) {
        r.errorClass = "exit";
        r.error = std::move(failed_before_start);
    } else {
        r = co_await attempt->async_run();
    }
    Slot* slot = find_active(job_id); // kept active while it has attempts
    auto& running = slot->attempts.at(task_id);
    running.finished = true;
    slot->launch_wake.cancel();
    ++slot->busy;
    if (auto next = agents_.release()) wake_jobs({*next}); // the agent is gone
    co_await slot->lock.async_lock();
    {
        AsyncLockGuard guard(slot->lock);
        const team::Task* task = team::find_task(slot->job.team, task_id);
        team::AttemptReport report;
        report.taskId = task_id;
        report.claimToken = running.claimToken;
        report.ok = r.ok;
        report.errorClass = r.errorClass;
        report.error = r.error;
        report.exitCode = r.exitCode;
        int attempt_no = task ? task->attempt : 0;
        report.output = process::task_output(r, "tasks/" + task_id + "/" + std::to_string(attempt_no) + ".log");
        report.structured = r.parsed.structured;
        report.retryAfterSeconds = r.parsed.retryAfterSeconds;
        report.shutdown = r.stopped == process::StopReason::shutdown;
        if (r.errorClass == std::optional<std::string>("hang"))
            report.idleSeconds = config_.scaled(config_.idle_timeout).count() / 1000;
        report.now = now_ms();
        report.jitter = jitter();
        report.backoffBaseMs = config_.scaled(config_.backoff_base).count();
        report.backoffCapMs = config_.scaled(config_.backoff_cap).count();
        report.timeScale = config_.time_scale;
        report.newId = [] { return new_uuid(); };
        auto drafts = take_output(*slot);
        for (auto& e : team::decide_task_result(slot->job, report).events) drafts.push_back(std::move(e));
        // The result and whatever follows from it (the next task's start) are one write.
        running.reported = true;
        StagedEvents staged(slot->job);
        stage(*slot, staged, std::move(drafts));
        bool stored = co_await advance(*slot, std::move(staged));
        if (!stored) slot->lost_a_result = true;
        slot->attempts.erase(task_id);
    }
    --slot->busy;
    poke(*slot);
    deactivate_if_done(*slot);
}

void JobService::queue_output(Slot& slot, team::EventDraft event) {
    slot.pending_output.push_back(std::move(event));
    if (slot.output_flush_scheduled) return;
    slot.output_flush_scheduled = true;
    asio::co_spawn(strand_, flush_output(slot.job.id), asio::detached);
}

std::vector<team::EventDraft> JobService::take_output(Slot& slot) {
    std::vector<team::EventDraft> events;
    events.swap(slot.pending_output);
    slot.output_flush_scheduled = false;
    if (team::is_terminal(slot.job.status)) events.clear();
    return events;
}

// Live output is committed in batches: what an agent prints within
// `output_batch_window` shares one append and one sync — and when the agent
// ends meanwhile, its result takes the batch along (take_output), so an
// instant task costs one sync less.
asio::awaitable<void> JobService::flush_output(std::string job_id) {
    Slot* slot = find_active(job_id);
    if (!slot) co_return;
    ++slot->busy;
    asio::steady_timer window(strand_, output_batch_window);
    co_await window.async_wait(asio::as_tuple(asio::use_awaitable));
    co_await slot->lock.async_lock();
    {
        AsyncLockGuard guard(slot->lock);
        auto output = stamp(*slot, slot->job, take_output(*slot)); // named: GCC 12 mishandles temporaries in co_await
        co_await commit_engine(*slot, std::move(output));
    }
    --slot->busy;
    deactivate_if_done(*slot);
}

void JobService::stop_orphaned_attempts(Slot& slot) {
    for (auto& [task_id, a] : slot.attempts) {
        if (a.starting || a.finished || a.stopping) continue;
        const team::Task* t = team::find_task(slot.job.team, task_id);
        if (t && t->status == team::TaskStatus::running && t->claimToken == a.claimToken) continue;
        a.stopping = true;
        a.attempt->stop(team::is_terminal(slot.job.status) ? process::StopReason::cancel
                                                           : process::StopReason::reassign);
    }
}

void JobService::deliver_to_inboxes(Slot& slot, const team::Message& message) {
    for (auto& [task_id, a] : slot.attempts) {
        const team::Task* t = team::find_task(slot.job.team, task_id);
        if (!t || a.finished || t->claimToken != a.claimToken || !team::is_addressed_to(message, *t)) continue;
        auto inbox = config_.work_root / slot.job.id / "tasks" / task_id / "inbox.jsonl";
        std::ofstream out(inbox, std::ios::app);
        out << json::serialize(team::to_json(message)) << '\n';
        if (!out.flush()) log::warn("cannot write an inbox", {{"job", slot.job.id}, {"task", task_id}});
    }
}

} // namespace omx::actor
