// A request's JSON body as the handlers take it: Content-Type checked, parsed
// with a depth limit. Pure; the fuzz target of the request path uses it too.
#pragma once

#include "api/http_types.hpp"

#include <boost/json/value.hpp>

#include <variant>

namespace omx::api {

// The JSON body of a request (null when it has none and need not have one),
// or the 415/400 response.
std::variant<boost::json::value, Response> json_body(const Request& req, bool required);

} // namespace omx::api
