// The route table: path patterns to routes, telling 404 (no such resource)
// from 405 (no such method on it). /v1/runs/... answers like /v1/jobs/....
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omx::api {

enum class Route {
    healthz,
    readyz,
    jobs_list,
    jobs_create,
    job_get,
    team_get,
    mailbox_get,
    mailbox_post,
    job_action,
    task_action,
    task_logs,
    job_events,
    overview,
    monitor_events,
    metrics,
    openapi,
    docs_page,
    docs_file,
    monitor_page,
    monitor_file,
};

struct RouteMatch {
    Route route;
    std::string job_id;  // canonical UUID, checked before any lookup
    std::string task_id; // [A-Za-z0-9._-]{1,64}
    std::string action;  // approve | reject | cancel | resume
    std::string file;    // a static file's name: [A-Za-z0-9._-]{1,64}
};

struct RouteResult {
    std::optional<RouteMatch> match;
    int status = 200;  // 404 or 405 when there is no match
    std::string allow; // for 405
};

RouteResult route(std::string_view method, std::string_view path);
// The route's name in logs and metrics: "job_get".
std::string_view route_name(Route);

struct RouteInfo {
    std::string method;
    std::string pattern; // "/v1/jobs/{jobId}"
};
// Every route (not the /v1/runs aliases), for `omxd routes` and documentation checks.
std::vector<RouteInfo> route_table();

} // namespace omx::api
