// Beast's parsed request -> our plain Request (http_types.hpp). The one place
// the session loop and the request-path fuzz target share.
#pragma once

#include "api/http_types.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>

namespace omx::api {

// nullopt when the query string is malformed.
std::optional<Request> to_request(boost::beast::http::request<boost::beast::http::string_body>&& r);

} // namespace omx::api
