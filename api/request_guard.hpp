// The checks a request passes before its handler (operations.md, Security):
// its API token, the origin of a write, and CORS. Plain functions of the
// request, tested without a server (tests/unit/request_guard_test.cpp).
#pragma once

#include "api/access_tokens.hpp"
#include "api/http_types.hpp"
#include "api/router.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omx::api {

// The answer to a CORS preflight (OPTIONS with Origin and
// Access-Control-Request-Method): 204 with the allowed methods and headers
// for a configured origin, 403 for any other; nullopt when `req` is no preflight.
// The headers of cors_headers() are not included: the session adds them to
// every response.
std::optional<Response> answer_preflight(const Request& req, const std::vector<std::string>& cors_origins);

// 401 (no or unknown token), 403 (a read-only token on a write, a write from
// another origin), or nullopt when the request may go on. Health, the
// dashboard's and the docs' own files and the OpenAPI document need no token;
// event streams also take `?access_token=` (EventSource cannot send headers).
std::optional<Response> refuse_request(const Request& req, const RouteResult& route, const AccessTokens& tokens,
                                       const std::vector<std::string>& cors_origins);

// Access-Control-Allow-Origin and friends when the request comes from a
// configured origin; nothing otherwise.
std::vector<std::pair<std::string, std::string>> cors_headers(const Request& req,
                                                              const std::vector<std::string>& cors_origins);

} // namespace omx::api
