#include "api/request_guard.hpp"

#include <algorithm>
#include <cctype>

namespace omx::api {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool is_read(const Request& req) { return req.method == "GET" || req.method == "HEAD"; }

bool is_configured(std::string_view origin, const std::vector<std::string>& cors_origins) {
    return std::find(cors_origins.begin(), cors_origins.end(), origin) != cors_origins.end();
}

bool needs_no_token(const RouteResult& r) {
    if (!r.match) return false;
    switch (r.match->route) {
    case Route::healthz:
    case Route::openapi:
    case Route::docs_page:
    case Route::docs_file:
    case Route::monitor_page:
    case Route::monitor_file: return true;
    default: return false;
    }
}

bool is_stream(const RouteResult& r) {
    return r.match && (r.match->route == Route::job_events || r.match->route == Route::monitor_events);
}

Response unauthorized(std::string message, bool invalid_token) {
    auto res = error_response(401, message);
    res.headers.emplace_back("WWW-Authenticate",
                             invalid_token ? R"(Bearer realm="omx", error="invalid_token")" : R"(Bearer realm="omx")");
    return res;
}

// The origins a write may come from: the server's own (as the client reached
// it, also through a TLS proxy) and the configured ones.
bool is_allowed_origin(const Request& req, std::string_view origin, const std::vector<std::string>& cors_origins) {
    auto host = std::string(req.header("host").value_or(""));
    if (!host.empty() && (origin == "http://" + host || origin == "https://" + host)) return true;
    return is_configured(origin, cors_origins);
}

} // namespace

std::optional<Response> answer_preflight(const Request& req, const std::vector<std::string>& cors_origins) {
    auto origin = req.header("origin");
    if (req.method != "OPTIONS" || !origin || !req.header("access-control-request-method")) return std::nullopt;
    if (!is_configured(*origin, cors_origins))
        return error_response(403, "cross-origin request refused: Origin " + std::string(*origin) +
                                       " is not allowed (the server's --cors-origin lists the origins it allows)");
    Response res;
    res.status = 204;
    res.content_type.clear();
    res.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    res.headers.emplace_back("Access-Control-Allow-Headers",
                             "Authorization, Content-Type, Idempotency-Key, Last-Event-ID");
    res.headers.emplace_back("Access-Control-Max-Age", "600");
    return res;
}

std::optional<Response> refuse_request(const Request& req, const RouteResult& route, const AccessTokens& tokens,
                                       const std::vector<std::string>& cors_origins) {
    if (tokens.enabled() && !needs_no_token(route)) {
        std::optional<std::string_view> token;
        if (auto authorization = req.header("authorization")) {
            auto space = authorization->find(' ');
            if (space == std::string_view::npos || !iequals(authorization->substr(0, space), "Bearer"))
                return unauthorized("Authorization must be 'Bearer <token>'", false);
            auto value = authorization->substr(space + 1);
            while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
            token = value;
        } else if (auto q = req.query.find("access_token"); q != req.query.end() && is_stream(route)) {
            token = q->second;
        }
        if (!token)
            return unauthorized(is_stream(route) ? "missing API token: send Authorization: Bearer <token> or "
                                                   "?access_token=<token>"
                                                 : "missing API token: send Authorization: Bearer <token>",
                                false);
        auto access = tokens.check(*token);
        if (access == Access::none) return unauthorized("invalid API token", true);
        if (access == Access::read && !is_read(req))
            return error_response(403, "this token may only read (GET and event streams): " + req.method + " " +
                                           req.path + " needs a token of --api-token-file");
    }
    if (!is_read(req) && req.method != "OPTIONS")
        if (auto origin = req.header("origin"); origin && !is_allowed_origin(req, *origin, cors_origins))
            return error_response(403, "cross-origin request refused: Origin " + std::string(*origin) +
                                           " is not allowed (the server's --cors-origin lists the origins it allows)");
    return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> cors_headers(const Request& req,
                                                              const std::vector<std::string>& cors_origins) {
    auto origin = req.header("origin");
    if (!origin || !is_configured(*origin, cors_origins)) return {};
    return {{"Access-Control-Allow-Origin", std::string(*origin)},
            {"Vary", "Origin"},
            {"Access-Control-Expose-Headers", "Location, Retry-After, X-Request-Id"}};
}

} // namespace omx::api
