// Calls of the omxd API for the commands: token, JSON answers, error lines.
#include "tools/omx/api_calls.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace omx::cli {
namespace json = boost::json;
namespace {

std::string first_line(std::string_view text, std::size_t limit = 200) {
    auto line = text.substr(0, text.find('\n'));
    if (line.size() > limit) return std::string(line.substr(0, limit)) + "…";
    return std::string(line);
}

JsonAnswer parse_answer(client::HttpResponse&& response, std::string_view target) {
    json::error_code ec;
    auto value = json::parse(response.body, ec);
    if (ec)
        throw ApiError(response.status, std::to_string(response.status) + " answer to " +
                                            std::string(target) +
                                            " is not JSON: " + first_line(response.body));
    return JsonAnswer{response.status, std::move(response.body), std::move(value)};
}

} // namespace

std::string error_line(const client::HttpResponse& response) {
    std::string line = std::to_string(response.status);
    json::error_code ec;
    auto body = json::parse(response.body, ec);
    const json::value* message = nullptr;
    if (!ec && body.is_object()) message = body.as_object().if_contains("message");
    if (message && message->is_string()) return line + " " + std::string(message->get_string());
    if (message && message->is_array()) {
        std::string joined;
        for (const auto& m : message->get_array())
            joined += (joined.empty() ? "" : "; ") +
                      (m.is_string() ? std::string(m.get_string()) : json::serialize(m));
        return line + " " + joined;
    }
    if (response.body.empty()) return line + " (no body)";
    return line + " " + first_line(response.body);
}

std::string job_path(std::string_view id) {
    return "/v1/jobs/" + client::url_encode(id);
}

client::HeaderList Api::headers(client::HeaderList extra) const {
    if (ctx_.token) extra.emplace_back("Authorization", "Bearer " + *ctx_.token);
    return extra;
}

client::HttpResponse Api::send(std::string_view method, std::string_view target,
                               client::HeaderList extra, std::string body) {
    auto response = client::http_request(ctx_.server, method, target, headers(std::move(extra)),
                                         std::move(body));
    if (response.status < 200 || response.status >= 300)
        throw ApiError(response.status, error_line(response));
    return response;
}

JsonAnswer Api::get(std::string_view target) {
    return parse_answer(send("GET", target, {{"Accept", "application/json"}}, ""), target);
}

std::string Api::get_text(std::string_view target) {
    return send("GET", target, {}, "").body;
}

JsonAnswer Api::post(std::string_view target, const json::value& body, client::HeaderList extra) {
    extra.emplace_back("Accept", "application/json");
    std::string text;
    if (!body.is_null()) {
        extra.emplace_back("Content-Type", "application/json");
        text = json::serialize(body);
    }
    return parse_answer(send("POST", target, std::move(extra), std::move(text)), target);
}

} // namespace omx::cli
