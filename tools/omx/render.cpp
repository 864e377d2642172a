// Human output of omx: job tables, the job view with its tasks, event lines, the overview.
#include "tools/omx/render.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <vector>

namespace omx::cli {
namespace json = boost::json;
namespace {

// ------------------------------------------------------------- JSON access

const json::value* find(const json::value& v, std::string_view pointer) {
    json::error_code ec;
    return v.find_pointer(pointer, ec);
}

// The value as text: strings as they are, numbers and booleans printed, null and missing "".
std::string text(const json::value& v, std::string_view pointer) {
    const auto* p = find(v, pointer);
    if (!p || p->is_null()) return {};
    if (p->is_string()) return std::string(p->get_string());
    return json::serialize(*p);
}

std::int64_t number(const json::value& v, std::string_view pointer) {
    const auto* p = find(v, pointer);
    if (!p) return 0;
    if (p->is_int64()) return p->get_int64();
    if (p->is_uint64()) return static_cast<std::int64_t>(p->get_uint64());
    if (p->is_double()) return static_cast<std::int64_t>(p->get_double());
    return 0;
}

const json::array& array(const json::value& v, std::string_view pointer) {
    static const json::array empty;
    const auto* p = find(v, pointer);
    return p && p->is_array() ? p->get_array() : empty;
}

// ------------------------------------------------------------------ text

std::size_t display_width(std::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](unsigned char c) { return (c & 0xC0) != 0x80; }));
}

// One line of at most `limit` characters: whitespace runs become one space.
std::string one_line(std::string_view s, std::size_t limit) {
    std::string out;
    bool space = false;
    for (unsigned char c : s) {
        if (std::isspace(c)) {
            space = !out.empty();
            continue;
        }
        if (space) out.push_back(' ');
        space = false;
        out.push_back(static_cast<char>(c));
    }
    if (display_width(out) <= limit) return out;
    std::string cut;
    std::size_t chars = 0;
    for (unsigned char c : out) {
        if ((c & 0xC0) != 0x80 && ++chars > limit - 1) break;
        cut.push_back(static_cast<char>(c));
    }
    return cut + "…";
}

std::string pad(std::string s, std::size_t width) {
    auto w = display_width(s);
    if (w < width) s.append(width - w, ' ');
    return s;
}

std::string local_time(std::int64_t ms, const char* format) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}

// "2026-11-21 13:55:02 (3m ago)", "—" when absent.
std::string when(const json::value& v, std::string_view pointer) {
    const auto* p = find(v, pointer);
    auto ms = p ? parse_timestamp(*p) : std::nullopt;
    if (!ms) return "—";
    return local_time(*ms, "%Y-%m-%d %H:%M:%S") + " (" + age_text(now_ms() - *ms) + " ago)";
}

std::string age_of(const json::value& v, std::string_view pointer) {
    const auto* p = find(v, pointer);
    auto ms = p ? parse_timestamp(*p) : std::nullopt;
    return ms ? age_text(now_ms() - *ms) : "-";
}

// ----------------------------------------------------------------- tables

struct Cell {
    std::string text;
    std::string_view sgr; // colour of the cell, if any
};

class Table {
  public:
    explicit Table(std::vector<std::string> head) {
        std::vector<Cell> row;
        for (auto& h : head)
            row.push_back({std::move(h), "1"});
        rows_.push_back(std::move(row));
    }
    void add(std::vector<Cell> row) { rows_.push_back(std::move(row)); }
    bool empty() const { return rows_.size() == 1; }

    std::string render(const Style& style, std::string_view indent = "") const {
        std::vector<std::size_t> widths;
        for (auto& row : rows_)
            for (std::size_t i = 0; i < row.size(); ++i) {
                if (widths.size() <= i) widths.push_back(0);
                widths[i] = std::max(widths[i], display_width(row[i].text));
            }
        std::string out;
        for (auto& row : rows_) {
            std::string line(indent);
            for (std::size_t i = 0; i < row.size(); ++i) {
                bool last = i + 1 == row.size();
                auto cell = last ? row[i].text : pad(row[i].text, widths[i]);
                line += row[i].sgr.empty() ? cell : style.paint(row[i].sgr, cell);
                if (!last) line += "  ";
            }
            out += line + "\n";
        }
        return out;
    }

  private:
    std::vector<std::vector<Cell>> rows_;
};

// "2/6 done, 1 running" from a Metrics object.
std::string progress(const json::value& metrics) {
    auto total = number(metrics, "/total");
    if (total == 0) return "-";
    std::string out =
        std::to_string(number(metrics, "/succeeded")) + "/" + std::to_string(total) + " done";
    if (auto running = number(metrics, "/running"))
        out += ", " + std::to_string(running) + " running";
    if (auto failed = number(metrics, "/failed")) out += ", " + std::to_string(failed) + " failed";
    return out;
}

// ----------------------------------------------------------------- events

std::string quoted(std::string_view s, std::size_t limit = 100) {
    return "\"" + one_line(s, limit) + "\"";
}

std::string with(std::string_view label, const std::string& value) {
    return value.empty() ? std::string() : " " + std::string(label) + value;
}

std::string event_details(const std::string& type, const json::value& p) {
    auto t = [&](std::string_view ptr) { return text(p, ptr); };
    if (type == "queued") return t("/reason");
    if (type == "started") return "worker " + t("/workerId");
    if (type == "job.status") return t("/from") + " → " + t("/to");
    if (type == "approval_required")
        return t("/gate") + " gate" + with("task ", t("/taskId")) + ": " + t("/reason");
    if (type == "approval") {
        auto out = t("/decision") + " (" + t("/gate") + " gate" + with("task ", t("/taskId")) + ")";
        auto comment = t("/comment");
        return comment.empty() ? out : out + " " + quoted(comment);
    }
    if (type == "canceled") {
        auto comment = t("/comment");
        return comment.empty() ? std::string() : quoted(comment);
    }
    if (type == "budget_exceeded")
        return t("/budget") + ": used " + t("/used") + " of " + t("/limit");
    if (type == "failed") return one_line(t("/error"), 160) + with("class ", t("/errorClass"));
    if (type == "completed")
        return "phase " + t("/output/phase") + ", " +
               std::to_string(array(p, "/output/tasks").size()) + " tasks, " +
               t("/output/usage/totalTokens") + " tokens";
    if (type == "workspace_ready")
        return t("/repo") + " @ " + t("/ref") + with("commit ", t("/commit").substr(0, 12));
    if (type == "team.phase_changed")
        return t("/from") + " → " + t("/to") + " (" + t("/reason") + ")";
    if (type == "team.plan_ready")
        return std::to_string(array(p, "/added").size()) + " tasks planned by " + t("/fromTaskId") +
               ": " + one_line(t("/summary"), 100);
    if (type == "team.task.started")
        return t("/taskId") + " attempt " + t("/attempt") + with("pid ", t("/pid"));
    if (type == "team.task.output")
        return t("/taskId") + " " + t("/kind") + ": " + one_line(t("/text"), 120) +
               with("exit ", t("/exitCode"));
    if (type == "team.task.validation_failed") {
        std::string problems;
        for (auto& pr : array(p, "/problems"))
            problems += (problems.empty() ? "" : "; ") +
                        (pr.is_string() ? std::string(pr.get_string()) : json::serialize(pr));
        return t("/taskId") + " attempt " + t("/attempt") + ": " + one_line(problems, 120);
    }
    if (type == "team.task.non_reporting")
        return t("/taskId") + " attempt " + t("/attempt") + " silent for " + t("/idleSeconds") +
               " s";
    if (type == "team.task.completed") {
        auto out = t("/taskId") + " attempt " + t("/attempt") + " " + t("/result");
        auto error = t("/error");
        if (!error.empty()) out += " (" + t("/errorClass") + ": " + one_line(error, 100) + ")";
        return out;
    }
    if (type == "team.task.approval_required")
        return t("/taskId") + " " + t("/stage") + ": " + one_line(t("/reason"), 100);
    if (type == "team.task.canceled") return t("/taskId") + with("", t("/reason"));
    if (type == "team.task.reassigned")
        return t("/taskId") + " reset " + std::to_string(array(p, "/resetTaskIds").size()) +
               " tasks" + with("message ", t("/messageId"));
    if (type == "team.claim_recovered") {
        std::string ids;
        for (auto& id : array(p, "/taskIds"))
            ids += (ids.empty() ? "" : ",") + (id.is_string() ? std::string(id.get_string()) : "");
        return ids + ": " + t("/reason");
    }
    if (type == "team.retry")
        return "fix attempt " + t("/fixAttempt") + "/" + t("/maxFixAttempts") + ": " +
               one_line(t("/reason"), 100);
    if (type == "team.mailbox.received") {
        const auto* to = find(p, "/message/to");
        std::string dest = to && !to->is_string() && !to->is_null() ? json::serialize(*to)
                                                                    : text(p, "/message/to");
        return t("/message/from") + " → " + (dest.empty() ? "leader" : dest) + " (" +
               t("/message/kind") + "): " + quoted(t("/message/message"));
    }
    if (type == "team.mailbox.delivered")
        return std::to_string(array(p, "/messageIds").size()) + " message(s) to " + t("/taskId") +
               " attempt " + t("/attempt");
    if (type == "team.completed") return t("/status");
    if (type.starts_with("tmux_session_"))
        return t("/sessionName") + with(": ", t("/attachCommand"));
    return {};
}

std::string_view event_sgr(const std::string& type, const json::value& p) {
    if (type == "failed" || type == "budget_exceeded") return "31";
    if (type == "completed") return "32";
    if (type == "canceled" || type == "team.task.canceled") return "33";
    if (type.find("approval") != std::string::npos) return "33";
    if (type == "team.task.completed") {
        auto result = text(p, "/result");
        return result == "succeeded" ? "32" : result == "approval" ? "33" : "31";
    }
    if (type == "team.task.output" || type == "job.status") return "2";
    return {};
}

} // namespace

// ----------------------------------------------------------------- Style

std::string Style::paint(std::string_view sgr, std::string_view text) const {
    if (!color_ || sgr.empty()) return std::string(text);
    return "\x1b[" + std::string(sgr) + "m" + std::string(text) + "\x1b[0m";
}

std::string_view Style::status_sgr(std::string_view status) {
    if (status == "succeeded") return "32";
    if (status == "failed") return "31";
    if (status == "canceled" || status == "waiting_approval") return "33";
    if (status == "running") return "36";
    if (status == "blocked" || status == "queued") return "2";
    return {};
}

std::string Style::status(std::string_view status) const {
    return paint(status_sgr(status), status);
}

// ------------------------------------------------------------------ time

std::optional<std::int64_t> parse_timestamp(const json::value& v) {
    if (!v.is_string()) return std::nullopt;
    std::tm tm{};
    int ms = 0;
    std::string s(v.get_string());
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
        return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string age_text(std::int64_t ms) {
    auto s = std::max<std::int64_t>(ms, 0) / 1000;
    if (s < 60) return std::to_string(s) + "s";
    if (s < 3600) return std::to_string(s / 60) + "m";
    if (s < 86400) return std::to_string(s / 3600) + "h";
    return std::to_string(s / 86400) + "d";
}

std::string duration_text(std::int64_t ms) {
    char buf[32];
    if (ms < 60'000) {
        std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
    } else if (ms < 3'600'000) {
        std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                      static_cast<long long>(ms / 1000 % 60));
    } else {
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(ms / 3'600'000),
                      static_cast<long long>(ms / 60'000 % 60));
    }
    return buf;
}

// ------------------------------------------------------------- renderers

std::string render_job_list(const json::value& page, const Style& style) {
    Table table({"ID", "STATUS", "MODE", "PROVIDER", "PHASE", "TASKS", "AGE", "TASK"});
    for (auto& job : array(page, "/items")) {
        auto status = text(job, "/status");
        const auto* metrics = find(job, "/team/metrics");
        table.add({{text(job, "/id"), {}},
                   {status, Style::status_sgr(status)},
                   {text(job, "/mode"), {}},
                   {text(job, "/provider"), {}},
                   {text(job, "/team/phase"), {}},
                   {metrics ? progress(*metrics) : "-", {}},
                   {age_of(job, "/createdAt"), {}},
                   {one_line(text(job, "/task"), 50), {}}});
    }
    if (table.empty()) return "no jobs\n";
    return table.render(style);
}

std::string render_job_line(const json::value& job, const Style& style) {
    std::string out = "job " + text(job, "/id") + ": " + style.status(text(job, "/status"));
    auto approval = text(job, "/approvalState");
    if (!approval.empty() && approval != "none") out += ", approval " + approval;
    auto error = text(job, "/error");
    if (!error.empty()) out += " (" + one_line(error, 120) + ")";
    return out + "\n";
}

std::string render_job(const json::value& job, const json::value& team, const Style& style) {
    std::ostringstream out;
    auto status = text(job, "/status");
    out << style.paint("1", "job " + text(job, "/id")) << "  " << style.status(status) << "  ("
        << text(job, "/mode") << ", " << text(job, "/provider") << ")\n";
    auto row = [&](std::string_view label, const std::string& value) {
        if (!value.empty()) out << "  " << pad(std::string(label), 10) << value << "\n";
    };
    row("repo", text(job, "/repo") + " @ " + text(job, "/ref"));
    row("task", one_line(text(job, "/task"), 100));
    row("approval", text(job, "/approvalState"));
    const json::value* metrics = find(job, "/team/metrics");
    row("phase",
        text(job, "/team/phase") + (metrics ? "  tasks " + progress(*metrics) : std::string()));
    row("created", when(job, "/createdAt"));
    row("started", when(job, "/startedAt"));
    row("finished", when(job, "/finishedAt"));
    if (metrics && number(*metrics, "/totalTokens") > 0)
        row("tokens", text(*metrics, "/totalTokens") + " (" + text(*metrics, "/inputTokens") +
                          " in, " + text(*metrics, "/outputTokens") + " out)");
    auto error = text(job, "/error");
    if (!error.empty()) row("error", style.paint("31", one_line(error, 200)));

    Table tasks({"TASK", "ROLE", "STATUS", "ATTEMPT", "DURATION", "NOTE"});
    for (auto& t : array(team, "/tasks")) {
        auto task_status = text(t, "/status");
        std::string note;
        if (const auto* approval = find(t, "/approval"); approval && approval->is_object())
            note = "approval pending (" + text(t, "/approval/stage") +
                   "): " + one_line(text(t, "/approval/reason"), 60);
        else if (!text(t, "/error").empty())
            note = text(t, "/errorClass") + ": " + one_line(text(t, "/error"), 60);
        else
            note = one_line(text(t, "/output/summary"), 60);
        auto duration = find(t, "/durationMs");
        tasks.add(
            {{text(t, "/id"), {}},
             {text(t, "/role"), {}},
             {task_status, Style::status_sgr(task_status)},
             {text(t, "/attempt"), {}},
             {duration && !duration->is_null() ? duration_text(number(t, "/durationMs")) : "-", {}},
             {note, {}}});
    }
    if (!tasks.empty()) out << "\n" << tasks.render(style);
    return out.str();
}

std::string render_event(const json::value& event, const Style& style) {
    auto type = text(event, "/type");
    const auto* created = find(event, "/createdAt");
    auto ms = created ? parse_timestamp(*created) : std::nullopt;
    std::string time = ms ? local_time(*ms, "%H:%M:%S") : "--:--:--";
    static const json::value no_payload = json::object();
    const auto* payload = find(event, "/payload");
    const auto& p = payload && payload->is_object() ? *payload : no_payload;
    auto details = event_details(type, p);
    if (details.empty()) details = one_line(text(event, "/message"), 120);
    return style.paint("2", time) + "  " + style.paint(event_sgr(type, p), pad(type, 27)) + "  " +
           details + "\n";
}

std::string render_overview(const json::value& o, const Style& style) {
    std::ostringstream out;
    out << style.paint("1", "jobs") << "  " << text(o, "/jobs/total") << " total, "
        << text(o, "/jobs/active") << " active (" << text(o, "/jobs/queued") << " queued, "
        << text(o, "/jobs/running") << " running, " << text(o, "/jobs/waiting_approval")
        << " waiting approval), " << text(o, "/jobs/succeeded") << " succeeded, "
        << text(o, "/jobs/failed") << " failed, " << text(o, "/jobs/canceled") << " canceled\n";
    out << style.paint("1", "tokens") << "  " << text(o, "/tokens/totalTokens") << " total ("
        << text(o, "/tokens/inputTokens") << " in, " << text(o, "/tokens/outputTokens")
        << " out)\n";

    Table jobs({"ID", "STATUS", "MODE", "PHASE", "TASKS", "UPDATED", "TASK"});
    for (auto& j : array(o, "/activeJobs")) {
        auto status = text(j, "/status");
        const auto* metrics = find(j, "/teamMetrics");
        jobs.add({{text(j, "/id"), {}},
                  {status, Style::status_sgr(status)},
                  {text(j, "/mode"), {}},
                  {text(j, "/teamPhase"), {}},
                  {metrics ? progress(*metrics) : "-", {}},
                  {age_of(j, "/updatedAt") + " ago", {}},
                  {one_line(text(j, "/task"), 40), {}}});
    }
    out << "\n" << style.paint("1", "active jobs") << "\n";
    out << (jobs.empty() ? "  none\n" : jobs.render(style, "  "));

    Table agents({"JOB", "TASK", "ROLE", "PID", "STARTED", "HEARTBEAT"});
    for (auto& a : array(o, "/activeAgents"))
        agents.add({{text(a, "/jobId"), {}},
                    {text(a, "/taskId"), {}},
                    {text(a, "/role"), {}},
                    {text(a, "/pid"), {}},
                    {age_of(a, "/startedAt") + " ago", {}},
                    {age_of(a, "/lastHeartbeatAt") + " ago", {}}});
    out << "\n" << style.paint("1", "running agents") << "\n";
    out << (agents.empty() ? "  none\n" : agents.render(style, "  "));

    Table waiting({"JOB", "GATE", "TASK", "SINCE", "REASON"});
    for (auto& w : array(o, "/waitingApprovals"))
        waiting.add({{text(w, "/jobId"), {}},
                     {text(w, "/gate"), "33"},
                     {text(w, "/taskId").empty() ? "-" : text(w, "/taskId"), {}},
                     {age_of(w, "/since") + " ago", {}},
                     {one_line(text(w, "/reason"), 60), {}}});
    out << "\n" << style.paint("1", "waiting for approval") << "\n";
    out << (waiting.empty() ? "  none\n" : waiting.render(style, "  "));
    return out.str();
}

std::string render_message(const json::value& m) {
    const auto* to = find(m, "/to");
    std::string dest = to && to->is_array() ? json::serialize(*to) : text(m, "/to");
    if (dest.empty()) dest = "leader";
    std::string out = "message " + text(m, "/id") + " (" + text(m, "/kind") + ") to " + dest;
    auto task = text(m, "/taskId");
    if (!task.empty()) out += " for task " + task;
    out += find(m, "/delivered") && find(m, "/delivered")->is_bool() &&
                   find(m, "/delivered")->get_bool()
               ? ": delivered"
               : ": stored, not yet delivered";
    return out + "\n";
}

} // namespace omx::cli
