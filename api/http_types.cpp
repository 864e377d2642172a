// Response builders and the uniform error body.
#include "api/http_types.hpp"

#include <boost/beast/http/status.hpp>
#include <boost/json/serialize.hpp>

namespace omx::api {

std::string_view reason_phrase(int status) {
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    }
    return "Unknown";
}

namespace {
void append_field(std::string& out, std::string_view name, std::string_view value) {
    auto start = out.size();
    out.append(name).append(": ").append(value);
    for (auto i = start; i < out.size(); ++i)
        if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
    out += "\r\n";
}
} // namespace

std::string response_head(const Response& r, bool keep_alive) {
    std::string out;
    out.reserve(128 + 64 * r.headers.size());
    out += "HTTP/1.1 ";
    out += std::to_string(r.status);
    out += ' ';
    out += boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(r.status));
    out += "\r\n";
    if (r.status != 204) append_field(out, "Content-Type", r.content_type);
    for (auto& [name, value] : r.headers) append_field(out, name, value);
    if (r.status != 204) append_field(out, "Content-Length", std::to_string(r.body.size())); // none on a 204 (RFC 9110 8.6)
    if (!keep_alive) out += "Connection: close\r\n";
    out += "\r\n";
    return out;
}

Response json_response(int status, const boost::json::value& body) {
    return Response{status, "application/json", boost::json::serialize(body), {}};
}

Response error_response(int status, boost::json::value message) {
    boost::json::object body{{"message", std::move(message)}, {"error", reason_phrase(status)}, {"statusCode", status}};
    auto r = json_response(status, body);
    if (status == 503) r.headers.emplace_back("Retry-After", "1");
    return r;
}

} // namespace omx::api
