// Helpers for the team engine tests: a job driven through the pure run
// decisions (decide_step, decide_task_start, decide_task_result and the API
// decisions) the way the job actor drives it — each decision's events are
// stamped with the story's clock and applied, and kept as the job's log.
// No agent, no I/O.
#pragma once

#include "runtime/clock.hpp"
#include "team/core/apply.hpp"
#include "team/core/decide.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/events.hpp"
#include "team/core/json_codec.hpp"
#include "team/core/run.hpp"
#include "team/core/templates.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omx::test::team_story {

namespace team = omx::team;
namespace json = boost::json;

inline constexpr team::TimeMs t0 = 1'795'000'000'000;
inline constexpr team::TimeMs second = 1'000;
inline constexpr team::TimeMs minute = 60'000;

// A request as the API would normalize it: the mode's defaults, no approval.
inline team::JobRequest make_request(team::Mode mode = team::Mode::autopilot) {
    team::JobRequest r;
    r.provider = team::Provider::codex;
    r.mode = mode;
    r.repo = "owner/name";
    r.ref = "main";
    r.task = "Fix the flaky test";
    r.options.team.maxFixAttempts = team::default_max_fix_attempts(mode);
    return r;
}

inline team::TaskTemplate tpl(std::string id, team::Role role, std::vector<std::string> deps = {},
                              int max_attempts = 1, bool requires_approval = false) {
    team::TaskTemplate t;
    t.id = id;
    t.name = "Task " + id;
    t.role = role;
    t.dependencies = std::move(deps);
    t.maxAttempts = max_attempts;
    t.timeoutSeconds = 900;
    t.requiresApproval = requires_approval;
    return t;
}

// A team-mode request with the client's own teamTasks.
inline team::JobRequest tasks_request(std::vector<team::TaskTemplate> tasks, int max_fix = 2, int parallel = 1) {
    auto r = make_request(team::Mode::team);
    r.options.team.teamTasks = std::move(tasks);
    r.options.team.maxFixAttempts = max_fix;
    r.options.team.parallelTasks = parallel;
    return r;
}

inline json::object usage_json(std::int64_t input, std::int64_t output) {
    return {{"inputTokens", input}, {"cachedInputTokens", 0}, {"outputTokens", output},
            {"totalTokens", input + output}, {"costUsd", nullptr}};
}

// A TaskOutput (schemas.md) as the runner reports it.
inline json::object task_output(bool ok, std::string summary, json::value structured = nullptr,
                                std::optional<int> exit_code = 0, std::int64_t tokens = 0,
                                std::int64_t duration_ms = 1000) {
    return {{"status", ok ? "ok" : "error"},
            {"exitCode", exit_code ? json::value(*exit_code) : json::value(nullptr)},
            {"signal", nullptr},
            {"summary", std::move(summary)},
            {"structured", std::move(structured)},
            {"usage", usage_json(tokens - tokens / 2, tokens / 2)},
            {"durationMs", duration_ms},
            {"logPath", "tasks/x/1.log"},
            {"stderrTail", ""},
            {"threadId", nullptr}};
}

inline json::value parse(std::string_view text) { return json::parse(text); }

inline std::string record_text(const team::Job& job) { return json::serialize(team::job_to_record_json(job)); }

struct Story {
    team::Job job;
    std::vector<team::Event> log;
    team::TimeMs now = t0;
    std::int64_t liveTokens = 0;
    double timeScale = 1.0;
    int claims = 0;
    std::shared_ptr<int> mail_ids = std::make_shared<int>(0);

    // Appends a decision's events the way the actor does: one time for the batch
    // (never before the job's last change), applied in order.
    void commit(const team::Decision& d) {
        BOOST_REQUIRE_MESSAGE(!d.refusal, "unexpected refusal: " + (d.refusal ? d.refusal->message : std::string()));
        team::TimeMs at = std::max(now, job.updatedAt);
        for (auto& draft : d.events) {
            team::Event e{job.lastSeq + 1, "event-" + std::to_string(log.size() + 1),
                          job.id.empty() ? "job-1" : job.id, draft.type, draft.message, draft.payload, at};
            team::apply(job, e);
            log.push_back(e);
        }
    }

    std::size_t mark() const { return log.size(); }
    void advance(team::TimeMs ms) { now += ms; }

    std::vector<std::string> types_since(std::size_t from) const {
        std::vector<std::string> out;
        for (std::size_t i = from; i < log.size(); ++i) out.push_back(log[i].type);
        return out;
    }
    std::vector<const team::Event*> events_since(std::size_t from, std::string_view type) const {
        std::vector<const team::Event*> out;
        for (std::size_t i = from; i < log.size(); ++i)
            if (log[i].type == type) out.push_back(&log[i]);
        return out;
    }
    // The one event of `type` since `from` (required).
    const team::Event& only(std::size_t from, std::string_view type) const {
        auto found = events_since(from, type);
        BOOST_REQUIRE_MESSAGE(found.size() == 1u, "expected one " + std::string(type) + " event, got " +
                                                      std::to_string(found.size()));
        return *found.front();
    }
    std::size_t count_since(std::size_t from, std::string_view type) const { return events_since(from, type).size(); }

    const team::Task& task(std::string_view id) const {
        const team::Task* t = team::find_task(job.team, id);
        BOOST_REQUIRE_MESSAGE(t, "no task " + std::string(id));
        return *t;
    }

    team::StepInput step_input(std::vector<std::string> orphaned = {}) const {
        return team::StepInput{now, "w1", timeScale, liveTokens, std::move(orphaned)};
    }
    team::Decision step_decision(std::vector<std::string> orphaned = {}) const {
        return team::decide_step(job, step_input(std::move(orphaned)));
    }
    void step(std::vector<std::string> orphaned = {}) { commit(step_decision(std::move(orphaned))); }

    team::Decision start_decision(const std::string& id, std::vector<std::string> delivered = {}) const {
        return team::decide_task_start(job, {id, "w1", "claim-" + std::to_string(claims + 1), 4000 + claims,
                                             std::move(delivered), now});
    }
    void start(const std::string& id, std::vector<std::string> delivered = {}) {
        commit(start_decision(id, std::move(delivered)));
        ++claims;
    }

    // A report of the task's running attempt.
    team::AttemptReport report(const std::string& id) const {
        team::AttemptReport r;
        r.taskId = id;
        r.claimToken = task(id).claimToken.value_or("no-claim");
        r.now = now;
        r.jitter = 0.5;
        r.timeScale = timeScale;
        auto ids = mail_ids;
        r.newId = [ids] { return "mail-" + std::to_string(++*ids); };
        return r;
    }
    team::AttemptReport ok_report(const std::string& id, json::value structured = nullptr,
                                  std::int64_t tokens = 0) const {
        auto r = report(id);
        r.ok = true;
        r.exitCode = 0;
        r.output = task_output(true, id + " done", structured, 0, tokens);
        r.structured = std::move(structured);
        return r;
    }
    team::AttemptReport failed_report(const std::string& id, std::string error_class = "exit",
                                      std::string error = "exited with code 1", std::optional<int> exit_code = 1,
                                      json::value structured = nullptr) const {
        auto r = report(id);
        r.ok = false;
        r.errorClass = std::move(error_class);
        r.error = std::move(error);
        r.exitCode = exit_code;
        r.output = task_output(false, id + " failed", structured, exit_code);
        r.structured = std::move(structured);
        return r;
    }
    void finish(const team::AttemptReport& r) { commit(team::decide_task_result(job, r)); }

    // start, succeed, step: one task's successful run.
    void succeed(const std::string& id, json::value structured = nullptr, std::int64_t tokens = 0) {
        start(id);
        finish(ok_report(id, std::move(structured), tokens));
        step();
    }
    void fail(const std::string& id, std::string error_class = "exit", std::string error = "exited with code 1") {
        start(id);
        finish(failed_report(id, std::move(error_class), std::move(error)));
        step();
    }

    // The log folded from scratch after a trip through JSON (as recovery reads it).
    std::string folded_record() const {
        std::vector<team::Event> reread;
        for (auto& e : log)
            reread.push_back(team::event_from_json(json::parse(json::serialize(team::to_json(e))).as_object()));
        return record_text(team::fold(reread));
    }
};

inline Story created(const team::JobRequest& r) {
    Story s;
    s.commit(team::decide_create(r, {"job-1", std::nullopt, std::nullopt}));
    return s;
}

// Created and taken by worker w1.
inline Story running(const team::JobRequest& r) {
    auto s = created(r);
    s.step();
    return s;
}

inline team::Message leader_message(std::string id, std::string kind, json::value to,
                                    std::optional<std::string> task = std::nullopt, team::TimeMs at = t0) {
    team::Message m;
    m.id = std::move(id);
    m.kind = std::move(kind);
    m.from = "leader";
    m.to = std::move(to);
    m.taskId = std::move(task);
    m.message = "please look at the tests";
    m.createdAt = at;
    return m;
}

inline std::vector<std::string> ids_of(const json::value& array) {
    std::vector<std::string> out;
    for (auto& v : array.as_array()) out.emplace_back(v.as_string());
    return out;
}

inline std::vector<std::string> task_ids(const team::Job& job) {
    std::vector<std::string> out;
    for (auto& t : job.team.tasks) out.push_back(t.id);
    return out;
}

inline std::vector<std::string> reasons(const team::Job& job) {
    std::vector<std::string> out;
    for (auto& p : job.team.phaseHistory) out.push_back(p.reason);
    return out;
}

inline std::string str(const json::value& v) { return std::string(v.as_string()); }

} // namespace omx::test::team_story

#define CHECK_FOLD_EQUALS_LIVE(story) BOOST_TEST((story).folded_record() == omx::test::team_story::record_text((story).job))
