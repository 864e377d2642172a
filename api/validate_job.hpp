// Validation and normalization of a POST /v1/jobs body (api.md "Create a job").
#pragma once

#include "team/core/types.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omx::api {

// Server-side defaults of options the client may leave out.
struct ServerDefaults {
    bool keepTmuxSession = true;    // TMUX_KEEP_SESSION_ON_FINISH
    bool tmuxVisualization = false; // TEAM_TMUX_VISUALIZATION
};

// Either a normalized request (every default filled in) or every problem found.
struct JobValidation {
    std::optional<team::JobRequest> request;
    std::vector<std::string> problems;
};

JobValidation validate_job_request(const boost::json::value& body, const ServerDefaults& defaults);

// A repo on this machine (file:// URL or absolute path): allowed only with
// --allow-local-repos; the caller answers 403 otherwise.
bool is_local_repo(std::string_view repo);

// Stable hex digest of a body (object keys sorted recursively), to compare the
// bodies of requests that share an Idempotency-Key. Not for security.
std::string request_hash(const boost::json::value& body);

} // namespace omx::api
