// Path matching for the API.
#include "api/router.hpp"

#include "runtime/ids.hpp"

#include <array>

namespace omx::api {
namespace {

struct Pattern {
    std::string_view method;
    std::string_view path; // segments; {jobId} {taskId} {action} {taskAction} are parameters
    Route route;
};

constexpr std::array patterns{
    Pattern{"GET", "/v1/healthz", Route::healthz},
    Pattern{"GET", "/v1/readyz", Route::readyz},
    Pattern{"GET", "/v1/jobs", Route::jobs_list},
    Pattern{"POST", "/v1/jobs", Route::jobs_create},
    Pattern{"GET", "/v1/jobs/{jobId}", Route::job_get},
    Pattern{"GET", "/v1/jobs/{jobId}/team", Route::team_get},
    Pattern{"GET", "/v1/jobs/{jobId}/team/mailbox", Route::mailbox_get},
    Pattern{"POST", "/v1/jobs/{jobId}/team/mailbox", Route::mailbox_post},
    Pattern{"POST", "/v1/jobs/{jobId}/actions/{action}", Route::job_action},
    Pattern{"POST", "/v1/jobs/{jobId}/team/tasks/{taskId}/actions/{taskAction}", Route::task_action},
    Pattern{"GET", "/v1/jobs/{jobId}/team/tasks/{taskId}/logs", Route::task_logs},
    Pattern{"GET", "/v1/jobs/{jobId}/events", Route::job_events},
    Pattern{"GET", "/v1/monitor/overview", Route::overview},
    Pattern{"GET", "/v1/monitor/events", Route::monitor_events},
    Pattern{"GET", "/metrics", Route::metrics},
    Pattern{"GET", "/openapi.json", Route::openapi},
    Pattern{"GET", "/docs-json", Route::openapi},
    Pattern{"GET", "/docs", Route::docs_page},
    Pattern{"GET", "/docs/{file}", Route::docs_file},
    Pattern{"GET", "/monitor/", Route::monitor_page},
    Pattern{"GET", "/monitor/{file}", Route::monitor_file},
};

std::vector<std::string_view> split(std::string_view path) {
    std::vector<std::string_view> parts;
    if (path.empty() || path[0] != '/') return parts;
    path.remove_prefix(1);
    while (true) {
        auto slash = path.find('/');
        parts.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return parts;
}

// Task ids and static file names: [A-Za-z0-9._-]{1,64}, not "." or "..".
bool is_plain_name(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
    return s != "." && s != "..";
}

// Matches one pattern's path; fills the parameters.
bool matches(std::string_view pattern, const std::vector<std::string_view>& parts, RouteMatch& m) {
    auto want = split(pattern);
    if (want.size() != parts.size()) return false;
    for (std::size_t i = 0; i < want.size(); ++i) {
        auto w = want[i];
        auto p = parts[i];
        if (w == "{jobId}") {
            if (!is_canonical_uuid(p)) return false;
            m.job_id = p;
        } else if (w == "{taskId}") {
            if (!is_plain_name(p)) return false;
            m.task_id = p;
        } else if (w == "{file}") {
            if (!is_plain_name(p)) return false;
            m.file = p;
        } else if (w == "{action}") {
            if (p != "approve" && p != "reject" && p != "cancel" && p != "resume") return false;
            m.action = p;
        } else if (w == "{taskAction}") {
            if (p != "approve" && p != "reject") return false;
            m.action = p;
        } else if (w != p) {
            return false;
        }
    }
    return true;
}

} // namespace

RouteResult route(std::string_view method, std::string_view path) {
    auto parts = split(path);
    if (parts.size() >= 2 && parts[0] == "v1" && parts[1] == "runs") parts[1] = "jobs";
    RouteResult result;
    result.status = 404;
    for (auto& p : patterns) {
        RouteMatch m{p.route, {}, {}, {}, {}};
        if (!matches(p.path, parts, m)) continue;
        if (p.method == method) {
            result.match = m;
            result.status = 200;
            return result;
        }
        result.status = 405;
        if (!result.allow.empty()) result.allow += ", ";
        result.allow += p.method;
    }
    return result;
}

std::string_view route_name(Route r) {
    switch (r) {
    case Route::healthz: return "healthz";
    case Route::readyz: return "readyz";
    case Route::jobs_list: return "jobs_list";
    case Route::jobs_create: return "jobs_create";
    case Route::job_get: return "job_get";
    case Route::team_get: return "team_get";
    case Route::mailbox_get: return "mailbox_get";
    case Route::mailbox_post: return "mailbox_post";
    case Route::job_action: return "job_action";
    case Route::task_action: return "task_action";
    case Route::task_logs: return "task_logs";
    case Route::job_events: return "job_events";
    case Route::overview: return "overview";
    case Route::monitor_events: return "monitor_events";
    case Route::metrics: return "metrics";
    case Route::openapi: return "openapi";
    case Route::docs_page: return "docs_page";
    case Route::docs_file: return "docs_file";
    case Route::monitor_page: return "monitor_page";
    case Route::monitor_file: return "monitor_file";
    }
    return "unknown";
}

std::vector<RouteInfo> route_table() {
    std::vector<RouteInfo> out;
    for (auto& p : patterns) out.push_back({std::string(p.method), std::string(p.path)});
    return out;
}

} // namespace omx::api
