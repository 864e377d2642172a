// team: J team jobs (the default six-task graph) whose agent is
// instant-agent.sh (the server runs with JOB_CLI_BIN set to it). Submits them,
// watches /v1/monitor/events for their terminal events, then reads each job
// and its team: jobs/s, tasks/s, job latency, and the orchestration overhead
// per task (the job's wall time minus its agents' own time along the critical
// path, divided by its tasks).
#include "runtime/clock.hpp"
#include "tools/bench/common.hpp"
#include "tools/bench/proc_sampler.hpp"
#include "tools/bench/report.hpp"
#include "tools/bench/stats.hpp"
#include "tools/bench/scenarios.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include <cstdio>
#include <functional>
#include <map>
#include <set>

namespace omx::bench {

namespace {

struct Monitor {
    explicit Monitor(const asio::any_io_executor& ex) : changed(ex), conn(ex) {}
    Notifier changed;
    Connection conn;
    bool subscribed = false, ended = false, stopping = false;
    std::string error;
    std::map<std::string, std::pair<Clock::time_point, std::string>> terminal; // jobId -> (seen, type)
};

std::string_view field_line(std::string_view frame, std::string_view name) {
    std::size_t at = 0;
    while (at < frame.size()) {
        auto nl = frame.find('\n', at);
        auto line = frame.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
        if (line.starts_with(name) && line.size() > name.size() && line[name.size()] == ':') {
            line.remove_prefix(name.size() + 1);
            if (line.starts_with(' ')) line.remove_prefix(1);
            return line;
        }
        if (nl == std::string_view::npos) break;
        at = nl + 1;
    }
    return {};
}

// The terminal events (`completed`, `failed`, `canceled`) of every job.
asio::awaitable<void> watch(Monitor& m, const Url& url) {
    auto request = raw_request(url, "GET", "/v1/monitor/events", {}, "Accept: text/event-stream\r\n");
    Response head;
    bool ok = co_await m.conn.connect(url.endpoint);
    if (ok) ok = co_await m.conn.write(request);
    if (ok) ok = co_await m.conn.read_head(head);
    if (!ok || head.status != 200) {
        m.error = "monitor stream: " + (ok ? "status " + std::to_string(head.status) : m.conn.error());
        m.ended = true;
        m.changed.notify();
        co_return;
    }
    m.subscribed = true;
    m.changed.notify();
    std::string pending;
    constexpr std::string_view job_key = "\"jobId\":\"";
    while (co_await m.conn.read_some(pending)) {
        auto now = Clock::now();
        take_frames(pending, [&](std::string_view frame) {
            auto type = field_line(frame, "event");
            if (type != "completed" && type != "failed" && type != "canceled") return;
            auto payload = field_line(frame, "data");
            auto at = payload.find(job_key);
            if (at == std::string_view::npos) return;
            auto id = payload.substr(at + job_key.size(), 36);
            m.terminal.try_emplace(std::string(id), now, std::string(type));
            m.changed.notify();
        });
    }
    if (!m.stopping) m.error = "monitor stream ended: " + m.conn.error();
    m.ended = true;
    m.changed.notify();
}

struct Job {
    std::string id;
    Clock::time_point submitted;
    bool created = false;
};

struct Analysis {
    std::string status, error;
    int tasks = 0, succeeded_tasks = 0;
    double wall_ms = 0, critical_ms = 0;
    bool ok = false;
};

// Agents' own time along the critical path: with parallelTasks 1 the tasks of
// a job run one at a time (the sum), else the longest dependency chain.
double critical_path_ms(const json::array& tasks, std::int64_t parallel) {
    std::map<std::string, double> duration;
    std::map<std::string, std::vector<std::string>> deps;
    double sum = 0;
    for (auto& t : tasks) {
        auto id = str_at(t, "/id");
        double d = static_cast<double>(int_at(t, "/output/durationMs", int_at(t, "/durationMs", 0)));
        duration[id] = d;
        sum += d;
        if (auto* ds = find(t, "/dependencies"); ds && ds->is_array())
            for (auto& dep : ds->as_array())
                if (dep.is_string()) deps[id].emplace_back(dep.as_string());
    }
    if (parallel <= 1) return sum;
    std::map<std::string, double> finish;
    // Memoized longest path (the graph has no cycles: the server checks it).
    std::function<double(const std::string&, int)> longest = [&](const std::string& id, int depth) -> double {
        if (auto it = finish.find(id); it != finish.end()) return it->second;
        double before = 0;
        if (depth < 128)
            for (auto& d : deps[id]) before = std::max(before, longest(d, depth + 1));
        return finish[id] = before + duration[id];
    };
    double best = 0;
    for (auto& [id, d] : duration) best = std::max(best, longest(id, 0));
    return best;
}

asio::awaitable<Analysis> analyse(Connection& c, const Url& url, const std::string& id, std::string& error) {
    Analysis a;
    auto job = co_await get_json(c, url, "/v1/jobs/" + id, error);
    if (!job) co_return a;
    auto team = co_await get_json(c, url, "/v1/jobs/" + id + "/team", error);
    if (!team) co_return a;
    a.status = str_at(*job, "/status");
    a.error = str_at(*job, "/error");
    auto created = omx::parse_rfc3339(str_at(*job, "/createdAt"));
    auto finished = omx::parse_rfc3339(str_at(*job, "/finishedAt"));
    auto* tasks = find(*team, "/tasks");
    if (!created || !finished || !tasks || !tasks->is_array()) {
        error = "job " + id + ": no createdAt/finishedAt or tasks";
        co_return a;
    }
    a.wall_ms = static_cast<double>(*finished - *created);
    a.tasks = static_cast<int>(tasks->as_array().size());
    for (auto& t : tasks->as_array())
        if (str_at(t, "/status") == "succeeded") ++a.succeeded_tasks;
    a.critical_ms = critical_path_ms(tasks->as_array(), int_at(*team, "/parallelTasks", 1));
    a.ok = true;
    co_return a;
}

struct Submission {
    const Url& url;
    std::vector<Job>& jobs;
    std::vector<std::string>& errors;
    std::size_t next;
    WaitGroup group;
};

// Creates the next job not taken yet until none is left.
asio::awaitable<void> submitter(Submission& s) {
    auto executor = co_await asio::this_coro::executor; // named, not in the co_await (GCC 12)
    Connection c(executor);
    std::string error;
    while (s.next < s.jobs.size()) {
        auto i = s.next++;
        auto body = job_body("bench team " + std::to_string(i));
        s.jobs[i].submitted = Clock::now();
        auto id = co_await create_job(c, s.url, body, error);
        if (!id) {
            s.errors.push_back(error);
            continue;
        }
        s.jobs[i].id = *id;
        s.jobs[i].created = true;
    }
    s.group.done();
}

} // namespace

asio::awaitable<int> run_team(const Options& o) {
    Report report("team");
    const int count = o.jobs.value_or(3);
    std::string error;
    auto url = parse_url(o.url, error);
    if (!url) {
        report.error(error);
        co_return report.finish();
    }
    auto ex = co_await asio::this_coro::executor;
    Monitor monitor(ex);
    asio::co_spawn(ex, watch(monitor, *url), asio::detached);
    auto subscribed = [&monitor] { return monitor.subscribed || monitor.ended; };
    co_await monitor.changed.wait_until(subscribed, Clock::now() + std::chrono::seconds(10));
    auto watch_ended = [&monitor] { return monitor.ended; };
    if (!monitor.subscribed) {
        report.error(monitor.error.empty() ? "monitor stream: no answer in 10 s" : monitor.error);
        monitor.stopping = true;
        monitor.conn.close();
        co_await monitor.changed.wait_until(watch_ended, Clock::now() + std::chrono::seconds(5)); // it uses `monitor`
        co_return report.finish();
    }

    std::optional<ProcSampler> sampler;
    if (o.pid) {
        sampler.emplace(ex, *o.pid);
        sampler->start();
    }
    std::vector<Job> jobs(static_cast<std::size_t>(count));
    std::vector<std::string> submit_errors;
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout));
    const auto t0 = Clock::now();
    if (o.sequential) {
        Connection c(ex);
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            auto body = job_body("bench team " + std::to_string(i));
            jobs[i].submitted = Clock::now();
            auto id = co_await create_job(c, *url, body, error);
            if (!id) {
                submit_errors.push_back(error);
                continue;
            }
            jobs[i].id = *id;
            jobs[i].created = true;
            auto done = [&monitor, &jobs, i] { return monitor.ended || monitor.terminal.count(jobs[i].id) > 0; };
            co_await monitor.changed.wait_until(done, deadline);
        }
    } else { // min(J, connections) submitters take the next job
        Submission sub{*url, jobs, submit_errors, 0, WaitGroup(ex)};
        int submitters = std::min(count, o.connections);
        sub.group.add(submitters);
        for (int s = 0; s < submitters; ++s) asio::co_spawn(ex, submitter(sub), asio::detached);
        co_await sub.group.wait();
    }
    auto all_done = [&monitor, &jobs] {
        if (monitor.ended) return true;
        for (auto& j : jobs)
            if (j.created && !monitor.terminal.count(j.id)) return false;
        return true;
    };
    bool finished = co_await monitor.changed.wait_until(all_done, deadline);
    const auto t_submitted_first = t0;
    Clock::time_point t_last = t0;
    for (auto& j : jobs)
        if (auto it = monitor.terminal.find(j.id); j.created && it != monitor.terminal.end())
            t_last = std::max(t_last, it->second.first);
    if (sampler) sampler->stop();
    monitor.stopping = true;
    monitor.conn.close();
    co_await monitor.changed.wait_until(watch_ended, Clock::now() + std::chrono::seconds(5)); // it uses `monitor`
    if (!finished) report.error("not every job ended within " + std::to_string(int(o.timeout)) + " s");
    if (!monitor.error.empty()) report.error(monitor.error);
    for (auto& e : submit_errors) report.error("submit: " + e);

    // Each job and its team, read after the measured run.
    Connection c(ex);
    Latencies latency;
    std::vector<double> overheads;
    std::map<std::string, int> statuses;
    int tasks = 0, succeeded_tasks = 0;
    double overhead_sum = 0;
    for (auto& j : jobs) {
        if (!j.created) continue;
        auto it = monitor.terminal.find(j.id);
        if (it == monitor.terminal.end()) {
            ++statuses["unfinished"];
            continue;
        }
        latency.add(it->second.first - j.submitted);
        auto a = co_await analyse(c, *url, j.id, error);
        if (!a.ok) {
            report.error(error);
            continue;
        }
        ++statuses[a.status];
        if (a.status != "succeeded") report.error("job " + j.id + " " + a.status + ": " + a.error);
        tasks += a.tasks;
        succeeded_tasks += a.succeeded_tasks;
        if (a.tasks > 0) {
            double per_task = (a.wall_ms - a.critical_ms) / a.tasks;
            overheads.push_back(per_task);
            overhead_sum += per_task;
        }
    }
    double seconds = std::chrono::duration<double>(t_last - t_submitted_first).count();
    double jobs_per_sec = seconds > 0 ? static_cast<double>(statuses["succeeded"]) / seconds : 0;
    double tasks_per_sec = seconds > 0 ? succeeded_tasks / seconds : 0;
    auto lat = latency.summary();
    json::object overhead{{"p50", round_to(percentile(overheads, 0.5))},
                          {"p99", round_to(percentile(overheads, 0.99))},
                          {"max", round_to(percentile(overheads, 1.0))},
                          {"mean", round_to(overheads.empty() ? 0 : overhead_sum / static_cast<double>(overheads.size()))}};
    json::object st;
    for (auto& [k, v] : statuses) st[k] = v;
    report.json["url"] = o.url;
    report.json["jobs"] = count;
    report.json["sequential"] = o.sequential;
    report.json["uncontended"] = o.sequential || count == 1;
    report.json["tasks"] = tasks;
    report.json["succeededTasks"] = succeeded_tasks;
    report.json["durationS"] = round_to(seconds);
    report.json["jobsPerSec"] = round_to(jobs_per_sec, 2);
    report.json["tasksPerSec"] = round_to(tasks_per_sec, 2);
    report.json["jobLatencyMs"] = lat.json();
    report.json["overheadPerTaskMs"] = overhead;
    report.json["statuses"] = st;
    if (sampler && sampler->valid()) report.json["server"] = sampler->json();
    char buf[400];
    std::snprintf(buf, sizeof buf, "%d jobs, %d tasks in %.3f s%s: %.2f jobs/s, %.1f tasks/s", count, succeeded_tasks,
                  seconds, o.sequential ? " (one at a time)" : "", jobs_per_sec, tasks_per_sec);
    report.say(buf);
    report.say("job latency (submit to terminal event) " + lat.text());
    std::snprintf(buf, sizeof buf,
                  "overhead per task (wall - agents' critical path) / tasks: p50 %.3f ms, mean %.3f ms, max %.3f ms",
                  percentile(overheads, 0.5), overheads.empty() ? 0 : overhead_sum / static_cast<double>(overheads.size()),
                  percentile(overheads, 1.0));
    report.say(buf);
    co_return report.finish();
}

} // namespace omx::bench
