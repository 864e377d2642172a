// The team run's decisions: scheduling steps, task starts, attempt results.
#include "team/core/run.hpp"

#include "runtime/clock.hpp"
#include "team/core/apply.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/event_batch.hpp"
#include "team/core/graph.hpp"
#include "team/core/json_codec.hpp"
#include "team/core/json_fields.hpp"
#include "team/core/plan.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>

namespace omx::team {
namespace {

using json_fields::nullable;
using json_fields::time_json;

constexpr std::size_t max_message_chars = 4000;
constexpr std::size_t max_findings_chars = 2000;


bool is_rejected(const Task& t) { return t.errorClass && *t.errorClass == "rejected"; }

bool is_verdict_failure(const Task& t) {
    return t.role == Role::verifier && t.errorClass && *t.errorClass == "validation" && t.error &&
           t.error->starts_with("verification failed");
}

// The failed task a fix round or the run's failure is about: the first in graph order.
const Task* failed_task(const TeamState& team) {
    for (auto& t : team.tasks)
        if (t.status == TaskStatus::failed && !is_rejected(t)) return &t;
    return nullptr;
}

bool any_running(const TeamState& team) {
    return std::any_of(team.tasks.begin(), team.tasks.end(),
                       [](const Task& t) { return t.status == TaskStatus::running; });
}

void fail_run(EventBatch& batch, const std::string& error, const std::optional<std::string>& error_class,
              const std::optional<std::string>& task_id) {
    std::vector<std::string> downstream;
    if (task_id) downstream = downstream_of(batch.after().team, {*task_id});
    auto why = [&](const Task& t) {
        if (task_id && std::find(downstream.begin(), downstream.end(), t.id) != downstream.end())
            return "dependency " + *task_id + " failed";
        return "run failed: " + error;
    };
    end_run(batch, Phase::failed, why,
            {std::string(event_type::failed), "Job failed: " + error,
             {{"error", error}, {"errorClass", nullable(error_class)}, {"taskId", nullable(task_id)}}});
}

struct Overrun {
    std::string budget;
    double limit = 0, used = 0;
    std::string error;
};

std::int64_t run_tokens(const Job& job, std::int64_t live) {
    return compute_metrics(job.team).usage.totalTokens - job.tokenBaseline + live;
}

std::int64_t active_ms(const Job& job, TimeMs now) {
    return job.activeMs + (job.activeSince ? std::max<std::int64_t>(0, now - *job.activeSince) : 0);
}

double minute_ms(double scale) { return 60'000.0 * scale; }

std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

std::optional<Overrun> budget_overrun(const Job& job, const StepInput& in) {
    if (!job.runStarted) return std::nullopt;
    auto& o = job.request.options;
    double limit_ms = o.maxMinutes * minute_ms(in.timeScale);
    auto used_ms = static_cast<double>(active_ms(job, in.now));
    if (used_ms >= limit_ms) {
        double used = used_ms / minute_ms(in.timeScale);
        return Overrun{"maxMinutes", static_cast<double>(o.maxMinutes), used,
                       "budget maxMinutes exceeded: the run took " + number_text(used) + " of " +
                           std::to_string(o.maxMinutes) + " minutes"};
    }
    if (o.maxTokens) {
        auto used = run_tokens(job, in.liveTokens);
        if (used > *o.maxTokens)
            return Overrun{"maxTokens", static_cast<double>(*o.maxTokens), static_cast<double>(used),
                           "budget maxTokens exceeded: the run used " + std::to_string(used) + " of " +
                               std::to_string(*o.maxTokens) + " tokens"};
    }
    return std::nullopt;
}

json::value budget_number(double v) {
    if (v == std::floor(v) && std::abs(v) < 9e15) return static_cast<std::int64_t>(v);
    return v;
}

void ask_before_approvals(EventBatch& batch) {
    std::vector<std::string> gated;
    const auto& team = batch.after().team;
    for (auto& t : team.tasks)
        if (t.status == TaskStatus::queued && !t.approval && t.requiresApproval && !t.beforeApproved &&
            dependencies_succeeded(team, t))
            gated.push_back(t.id);
    for (auto& id : gated) {
        std::string reason = "task " + id + " requires approval before it starts";
        batch.emit(event_type::task_approval_required, "Task " + id + " waits for approval",
                   {{"taskId", id}, {"stage", "before"}, {"reason", reason}});
        batch.emit(event_type::approval_required, "Task " + id + " waits for approval",
                   {{"gate", "before"}, {"taskId", id}, {"reason", reason}});
    }
}

std::string shorten(std::string s, std::size_t n) {
    if (s.size() > n) s = s.substr(0, n) + "…";
    return s;
}

json::value findings_of(const Task& t) {
    if (auto* o = t.output.if_object())
        if (auto* st = o->if_contains("structured"); st && st->is_object())
            if (auto* f = st->get_object().if_contains("findings")) return *f;
    return nullptr;
}

void start_fix_round(EventBatch& batch, const Task& failed) {
    const Job& job = batch.after();
    bool verdict = is_verdict_failure(failed);
    auto reset = fix_path(job.team, failed, verdict);
    std::string reason = (verdict ? "verifier " + failed.id + ": " : "task " + failed.id + " failed: ") +
                         failed.error.value_or("unknown error");
    json::object feedback{{"error", reason}, {"findings", findings_of(failed)}, {"approved", false}, {"comment", nullptr}};
    int round = job.team.fixAttempts + 1;
    batch.emit(event_type::retry, "Fix round " + std::to_string(round) + " of " +
                                      std::to_string(job.request.options.team.maxFixAttempts),
               {{"fixAttempt", round},
                {"maxFixAttempts", job.request.options.team.maxFixAttempts},
                {"resetTaskIds", json::array(reset.begin(), reset.end())},
                {"reason", reason},
                {"feedback", std::move(feedback)}});
}

void complete_run(EventBatch& batch) {
    batch.emit(event_type::team_completed, "Team run completed", {{"status", "succeeded"}});
    Phase from = batch.after().team.phase;
    if (from != Phase::complete) {
        auto d = phase_change(from, Phase::complete, "complete");
        batch.emit(d.type, std::move(d.message), std::move(d.payload));
    }
    batch.emit(event_type::completed, "Job succeeded", {{"output", job_output(batch.after())}});
}

bool addressed_to_task(const Message& m, const Task& t) {
    if (m.from == t.id) return false;
    if (m.taskId) return *m.taskId == t.id;
    auto role = to_string(t.role);
    if (m.to.is_string()) return m.to.get_string() == role;
    if (auto* list = m.to.if_array())
        return std::any_of(list->begin(), list->end(), [&](const json::value& r) { return r.is_string() && r.get_string() == role; });
    return false;
}

} // namespace

bool is_addressed_to(const Message& m, const Task& t) { return addressed_to_task(m, t); }

Decision decide_workspace_ready(const Job& job, const std::string& commit, const std::string& path, bool fresh) {
    if (is_terminal(job.status)) return {};
    EventBatch batch(job);
    bool ran_before = std::any_of(job.team.tasks.begin(), job.team.tasks.end(), [](const Task& t) { return t.attempt > 0; });
    if (fresh && ran_before) {
        json::array every;
        for (auto& t : job.team.tasks) every.push_back(json::string(t.id));
        batch.emit(event_type::claim_recovered, "The workspace was lost: every task runs again",
                   {{"taskIds", std::move(every)}, {"reason", workspace_lost_reason}});
    }
    batch.emit(event_type::workspace_ready, "Workspace ready",
               {{"repo", job.request.repo}, {"ref", job.request.ref}, {"commit", commit}, {"path", path}});
    return batch.finish();
}

Decision decide_workspace_failed(const Job& job, const std::string& error) {
    return decide_setup_failed(job, "cannot prepare the workspace: " + error);
}

Decision decide_setup_failed(const Job& job, const std::string& error) {
    if (is_terminal(job.status)) return {};
    EventBatch batch(job);
    fail_run(batch, error, std::nullopt, std::nullopt);
    return batch.finish();
}

static void reclaim(EventBatch& batch, const std::vector<std::string>& orphaned, const std::string& reason) {
    std::vector<std::string> again, exhausted;
    for (auto& id : orphaned)
        if (const Task* t = find_task(batch.after().team, id); t && t->status == TaskStatus::running)
            (t->reclaims < max_reclaims ? again : exhausted).push_back(id);
    if (!again.empty())
        batch.emit(event_type::claim_recovered, "Tasks reclaimed after a restart",
                   {{"taskIds", json::array(again.begin(), again.end())}, {"reason", reason}});
    for (auto& id : exhausted) {
        const Task& t = *find_task(batch.after().team, id);
        std::string error = "the task's worker was lost " + std::to_string(max_reclaims + 1) + " times";
        batch.emit(event_type::task_completed, "Task " + id + " failed: " + error,
                   {{"taskId", id}, {"attempt", t.attempt}, {"result", "failed"}, {"errorClass", "killed"},
                    {"error", error}, {"output", t.output}, {"notBefore", nullptr}});
    }
}

bool may_start_tasks(const Job& job) {
    return job.runStarted && !is_terminal(job.status) && !job.jobGatePending && !failed_task(job.team);
}

Decision decide_step(const Job& job, const StepInput& in) {
    if (job.id.empty() || is_terminal(job.status) || job.jobGatePending) return {};
    EventBatch batch(job, in.now);
    if (!job.runStarted)
        batch.emit(event_type::started, "Run started by " + in.workerId, {{"workerId", in.workerId}});
    if (!in.orphanedTaskIds.empty()) reclaim(batch, in.orphanedTaskIds, in.orphanReason);
    if (auto over = budget_overrun(batch.after(), in)) {
        batch.emit(event_type::budget_exceeded, "Budget " + over->budget + " exceeded",
                   {{"budget", over->budget}, {"limit", budget_number(over->limit)}, {"used", budget_number(over->used)}});
        fail_run(batch, over->error, std::string("budget"), std::nullopt);
        return batch.finish();
    }
    ask_before_approvals(batch);
    const TeamState& team = batch.after().team;
    if (const Task* failed = failed_task(team)) {
        if (any_running(team)) return batch.finish(); // a fix round waits for running tasks
        if (team.fixAttempts < job.request.options.team.maxFixAttempts) {
            start_fix_round(batch, *failed);
        } else {
            Task copy = *failed;
            fail_run(batch, "task " + copy.id + " failed: " + copy.error.value_or("unknown error"), copy.errorClass, copy.id);
        }
        return batch.finish();
    }
    bool all_succeeded = std::all_of(team.tasks.begin(), team.tasks.end(),
                                     [](const Task& t) { return t.status == TaskStatus::succeeded; });
    if (all_succeeded && !team.tasks.empty()) {
        complete_run(batch);
        return batch.finish();
    }
    bool can_progress = any_running(team) || has_pending_gate(batch.after()) ||
                        std::any_of(team.tasks.begin(), team.tasks.end(), [&](const Task& t) {
                            return t.status == TaskStatus::queued && dependencies_succeeded(team, t);
                        });
    if (!can_progress) {
        std::string stuck;
        for (auto& t : team.tasks)
            if (!is_finished(t.status)) stuck += (stuck.empty() ? "" : ", ") + t.id;
        fail_run(batch, "no task can run any more (" + stuck + " wait for tasks that will not succeed)", std::nullopt,
                 std::nullopt);
    }
    return batch.finish();
}

std::optional<TimeMs> next_wakeup(const Job& job, const StepInput& in) {
    if (is_terminal(job.status)) return std::nullopt;
    std::optional<TimeMs> next;
    auto consider = [&](TimeMs t) { next = next ? std::min(*next, t) : t; };
    for (auto& t : job.team.tasks)
        if (t.status == TaskStatus::queued && t.notBefore && *t.notBefore > in.now) consider(*t.notBefore);
    if (job.activeSince) {
        double limit_ms = job.request.options.maxMinutes * minute_ms(in.timeScale);
        consider(*job.activeSince + static_cast<TimeMs>(std::ceil(limit_ms)) - job.activeMs);
    }
    return next;
}

std::vector<const Message*> messages_for(const TeamState& team, const Task& task) {
    std::vector<const Message*> out;
    for (auto& m : team.mailbox)
        if (addressed_to_task(m, task)) out.push_back(&m);
    return out;
}

Decision decide_task_start(const Job& job, const TaskStart& in) {
    const Task* t = find_task(job.team, in.taskId);
    if (!t) return Decision::refuse(RefusalKind::not_found, "unknown task '" + in.taskId + "'");
    bool ready = t->status == TaskStatus::queued && !t->approval && (!t->requiresApproval || t->beforeApproved) &&
                 dependencies_succeeded(job.team, *t) && (!t->notBefore || *t->notBefore <= in.now);
    if (!may_start_tasks(job) || !ready)
        return Decision::refuse(RefusalKind::conflict, "task " + t->id + " cannot start now");
    EventBatch batch(job, in.now);
    int attempt = t->attempt + 1;
    batch.emit(event_type::task_started, "Task " + t->id + " started (attempt " + std::to_string(attempt) + ")",
               {{"taskId", t->id},
                {"role", to_string(t->role)},
                {"attempt", attempt},
                {"workerId", in.workerId},
                {"claimToken", in.claimToken},
                {"pid", in.pid ? json::value(*in.pid) : json::value(nullptr)}});
    if (!in.deliveredMessageIds.empty())
        batch.emit(event_type::mailbox_delivered,
                   std::to_string(in.deliveredMessageIds.size()) + " message(s) delivered to " + t->id,
                   {{"messageIds", json::array(in.deliveredMessageIds.begin(), in.deliveredMessageIds.end())},
                    {"taskId", t->id},
                    {"attempt", attempt}});
    return batch.finish();
}

bool verdict_fails(const AttemptReport& r) {
    if (auto* o = r.structured.if_object())
        if (auto* s = o->if_contains("status"); s && s->is_string()) {
            if (s->get_string() == "fail") return true;
            if (s->get_string() == "pass") return false;
        }
    return r.exitCode.value_or(0) != 0;
}

namespace {

// What the structured result asks of a person, if anything: the reason.
std::optional<std::string> approval_request(const json::value& structured) {
    auto* o = structured.if_object();
    if (!o) return std::nullopt;
    auto truthy = [](const json::value* v) { return v && v->is_bool() && v->get_bool(); };
    const json::value* reason = o->if_contains("reason");
    bool asked = truthy(o->if_contains("requiresApproval")) || truthy(o->if_contains("requires_approval"));
    if (auto* a = o->if_contains("approval"); a && a->is_object()) {
        asked = asked || truthy(a->get_object().if_contains("required"));
        if (!reason) reason = a->get_object().if_contains("reason");
    }
    if (!asked) return std::nullopt;
    return reason && reason->is_string() ? std::string(reason->get_string()) : std::string("the agent asks for approval");
}

bool role_in_graph(const TeamState& team, std::string_view role) {
    return std::any_of(team.tasks.begin(), team.tasks.end(),
                       [&](const Task& t) { return to_string(t.role) == role; });
}

// One mailbox entry an agent sent, checked like an API message; nullopt and a problem when invalid.
std::optional<Message> agent_message(const json::value& v, const Task& from, const TeamState& team,
                                     const AttemptReport& r, std::string& problem) {
    auto* o = v.if_object();
    if (!o) return problem = "not an object", std::nullopt;
    Message m;
    auto* kind = o->if_contains("kind");
    m.kind = kind && kind->is_string() ? std::string(kind->get_string()) : "notice";
    if (m.kind != "question" && m.kind != "instruction" && m.kind != "notice")
        return problem = "kind must be question, instruction or notice", std::nullopt;
    auto* text = o->if_contains("message");
    if (!text || !text->is_string() || text->get_string().empty() || text->get_string().size() > max_message_chars)
        return problem = "message must be a string of 1 to 4000 characters", std::nullopt;
    m.message = std::string(text->get_string());
    if (auto* id = o->if_contains("taskId"); id && id->is_string()) {
        const Task* target = find_task(team, id->get_string());
        if (!target) return problem = "unknown task '" + std::string(id->get_string()) + "'", std::nullopt;
        m.taskId = target->id;
    }
    auto* to = o->if_contains("to");
    if (to && to->is_string()) {
        if (to->get_string() != "leader" && !role_in_graph(team, to->get_string()))
            return problem = "no task of role '" + std::string(to->get_string()) + "'", std::nullopt;
        m.to = *to;
    } else if (to && to->is_array() && !to->get_array().empty()) {
        for (auto& role : to->get_array())
            if (!role.is_string() || !role_in_graph(team, role.get_string()))
                return problem = "`to` must name roles of the graph", std::nullopt;
        m.to = *to;
    } else if (m.taskId) {
        m.to = json::string(to_string(find_task(team, *m.taskId)->role));
    } else {
        m.to = "leader";
    }
    m.id = r.newId ? r.newId() : from.id + "-" + std::to_string(from.attempt) + "-" + std::to_string(team.mailbox.size());
    m.from = from.id;
    m.createdAt = r.now;
    if (m.to.is_string() && m.to.get_string() == "leader" && !m.taskId) {
        m.delivered = true;
        m.deliveredAt = r.now;
    }
    return m;
}

void receive_agent_mail(EventBatch& batch, const Task& from, const AttemptReport& r) {
    auto* o = r.structured.if_object();
    const json::value* mail = o ? o->if_contains("mailbox") : nullptr;
    if (!mail || mail->is_null()) return;
    json::array entries = mail->is_array() ? mail->get_array() : json::array{*mail};
    std::vector<std::string> ignored;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& team = batch.after().team;
        auto sent = std::count_if(team.mailbox.begin(), team.mailbox.end(), [](const Message& m) { return m.from != "leader"; });
        std::string problem;
        if (sent >= max_agent_messages) problem = "the mailbox holds 200 messages from agents";
        auto m = problem.empty() ? agent_message(entries[i], from, team, r, problem) : std::nullopt;
        if (!m) {
            ignored.push_back("mailbox[" + std::to_string(i) + "]: " + problem);
            continue;
        }
        batch.emit(event_type::mailbox_received, "Message " + m->id + " from " + from.id, {{"message", to_json(*m)}});
    }
    if (!ignored.empty()) {
        std::string text = "mail not sent: ";
        for (auto& p : ignored) text += p + "; ";
        batch.emit(event_type::task_output, "Task " + from.id + " sent invalid mail",
                   {{"taskId", from.id}, {"attempt", from.attempt}, {"kind", "error"}, {"text", text}, {"exitCode", nullptr}});
    }
}

std::int64_t backoff_ms(const AttemptReport& r, int failures) {
    double delay = static_cast<double>(r.backoffBaseMs) * std::pow(2.0, std::max(0, failures - 1));
    delay = std::min(delay, static_cast<double>(r.backoffCapMs));
    return static_cast<std::int64_t>(delay / 2 + r.jitter * delay / 2); // "equal jitter"
}

void emit_completed(EventBatch& batch, const Task& t, const AttemptReport& r, std::string_view result,
                    const std::optional<std::string>& error_class, const std::optional<std::string>& error,
                    std::optional<TimeMs> not_before = std::nullopt) {
    std::string message = "Task " + t.id + " " + std::string(result == "succeeded" ? "succeeded" : result == "failed" ? "failed" : result == "retry" ? "will be retried" : "waits for approval");
    if (error) message += ": " + shorten(*error, 200);
    batch.emit(event_type::task_completed, std::move(message),
               {{"taskId", t.id},
                {"attempt", t.attempt},
                {"result", result},
                {"errorClass", nullable(error_class)},
                {"error", nullable(error)},
                {"output", r.output},
                {"notBefore", not_before ? time_json(*not_before) : json::value(nullptr)}});
}

// A failed attempt: retried while attempts are left, else failed (team.md table).
void emit_failure(EventBatch& batch, const Task& t, const AttemptReport& r, const std::string& error_class,
                  const std::string& error) {
    bool uncounted_rate_limit = error_class == "rate_limit" && t.rateLimits < max_uncounted_rate_limits;
    int failures = t.failures + (uncounted_rate_limit ? 0 : 1);
    if (failures >= t.maxAttempts) return emit_completed(batch, t, r, "failed", error_class, error);
    std::int64_t wait = uncounted_rate_limit && r.retryAfterSeconds
                            ? static_cast<std::int64_t>(*r.retryAfterSeconds * 1000.0 * r.timeScale)
                            : backoff_ms(r, std::max(failures, 1));
    emit_completed(batch, t, r, "retry", error_class, error, r.now + wait);
}

void emit_validation_failure(EventBatch& batch, const Task& t, const AttemptReport& r,
                             const std::vector<std::string>& problems, const std::string& what) {
    json::array list;
    for (auto& p : problems) list.push_back(json::string(p));
    batch.emit(event_type::task_validation_failed, "Task " + t.id + ": " + what,
               {{"taskId", t.id}, {"attempt", t.attempt}, {"problems", std::move(list)}});
    std::string error = what + ": ";
    for (std::size_t i = 0; i < problems.size(); ++i) error += (i ? "; " : "") + problems[i];
    emit_failure(batch, t, r, "validation", error);
}

std::string verdict_error(const AttemptReport& r) {
    json::value findings = nullptr;
    if (auto* o = r.structured.if_object())
        if (auto* f = o->if_contains("findings")) findings = *f;
    if (findings.is_string() && !findings.get_string().empty())
        return "verification failed: " + shorten(std::string(findings.get_string()), max_findings_chars);
    if (!findings.is_null()) return "verification failed: " + shorten(json::serialize(findings), max_findings_chars);
    if (r.exitCode && *r.exitCode != 0) return "verification failed: exit code " + std::to_string(*r.exitCode);
    return "verification failed";
}

void emit_plan(EventBatch& batch, const Task& planner, const PlanReading& plan) {
    const Job& job = batch.after();
    if (!plan_replaces_graph(job)) return; // the plan is context for dependents only
    auto removed = replaceable_task_ids(job.team, planner.id);
    json::array added;
    for (auto& t : plan_tasks_for_graph(plan, planner.id)) added.push_back(to_json(t));
    batch.emit(event_type::plan_ready, "Plan of " + planner.id + " with " + std::to_string(plan.tasks.size()) + " tasks",
               {{"fromTaskId", planner.id},
                {"summary", plan.summary},
                {"added", std::move(added)},
                {"removedTaskIds", json::array(removed.begin(), removed.end())}});
}

} // namespace

Decision decide_task_result(const Job& job, const AttemptReport& r) {
    const Task* found = find_task(job.team, r.taskId);
    if (!found || found->status != TaskStatus::running || found->claimToken != r.claimToken) return {};
    const Task t = *found;
    EventBatch batch(job, r.now);
    if (r.idleSeconds)
        batch.emit(event_type::task_non_reporting, "Task " + t.id + " stopped reporting",
                   {{"taskId", t.id}, {"attempt", t.attempt}, {"idleSeconds", *r.idleSeconds}});
    if (r.shutdown) {
        emit_completed(batch, t, r, "retry", std::nullopt, std::string("server shutting down"));
        return batch.finish();
    }
    // A verifier's non-zero exit is its verdict (unless its structured status
    // says otherwise), but not when its command could not run at all (127).
    bool verdict_by_exit = t.role == Role::verifier && r.errorClass == std::optional<std::string>("exit") &&
                           r.exitCode && *r.exitCode != 127;
    if (!r.ok && !verdict_by_exit) {
        emit_failure(batch, t, r, r.errorClass.value_or("exit"), r.error.value_or("the agent failed"));
        return batch.finish();
    }
    PlanReading plan;
    if (t.role == Role::planner) plan = read_plan(r.structured, job.team);
    if (plan.present && !plan.problems.empty()) {
        emit_validation_failure(batch, t, r, plan.problems, "invalid plan");
        return batch.finish();
    }
    if (auto reason = approval_request(r.structured)) {
        if (t.afterRequests >= max_after_approvals) {
            emit_validation_failure(batch, t, r, {"the agent asked for approval a fourth time"}, "invalid result");
            return batch.finish();
        }
        emit_completed(batch, t, r, "approval", std::nullopt, std::nullopt);
        batch.emit(event_type::task_approval_required, "Task " + t.id + " asks for approval",
                   {{"taskId", t.id}, {"stage", "after"}, {"reason", *reason}});
        batch.emit(event_type::approval_required, "Task " + t.id + " asks for approval",
                   {{"gate", "after"}, {"taskId", t.id}, {"reason", *reason}});
        receive_agent_mail(batch, t, r);
        return batch.finish();
    }
    if (t.role == Role::verifier && verdict_fails(r)) {
        emit_completed(batch, t, r, "failed", std::string("validation"), verdict_error(r));
        receive_agent_mail(batch, t, r); // its findings may be addressed to the developers
        return batch.finish();
    }
    emit_completed(batch, t, r, "succeeded", std::nullopt, std::nullopt);
    if (plan.present) emit_plan(batch, t, plan);
    receive_agent_mail(batch, t, r);
    return batch.finish();
}

} // namespace omx::team
