// The HTTP request and response as handlers see them: plain data, no Beast,
// so that routing and handlers compile fast and test without sockets.
#pragma once

#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omx::api {

struct Request {
    std::string method; // "GET"
    std::string target; // "/v1/jobs?limit=5"
    std::string path;   // "/v1/jobs"
    std::map<std::string, std::string> query; // decoded
    std::vector<std::pair<std::string, std::string>> headers; // names lowercased
    std::string body;

    std::optional<std::string_view> header(std::string_view lowercase_name) const {
        for (auto& [k, v] : headers)
            if (k == lowercase_name) return v;
        return std::nullopt;
    }
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

// The status line and header fields of `r` as HTTP/1.1 bytes, through the blank
// line; the body follows as is. Content-Length is set (not for a 204), and
// "Connection: close" when the connection will not be reused. CR and LF in a
// name or value become spaces: a header can never split the response.
std::string response_head(const Response& r, bool keep_alive);

Response json_response(int status, const boost::json::value& body);
// {"message", "error", "statusCode"} (api.md, Errors)
Response error_response(int status, boost::json::value message);
inline Response error_response(int status, const std::string& message) {
    return error_response(status, boost::json::value(message));
}
inline Response error_response(int status, const char* message) {
    return error_response(status, boost::json::value(message));
}
std::string_view reason_phrase(int status);

} // namespace omx::api
