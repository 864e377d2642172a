#include "api/request_body.hpp"

#include <boost/json/parse.hpp>

#include <cctype>

namespace json = boost::json;

namespace omx::api {
namespace {

// The media type of a Content-Type value without its parameters, lowercased
// (type and subtype are case-insensitive: "Application/JSON; charset=utf-8").
std::string media_type(std::string_view content_type) {
    auto media = content_type.substr(0, content_type.find(';'));
    while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
    std::string out(media);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

} // namespace

std::variant<json::value, Response> json_body(const Request& req, bool required) {
    if (req.body.empty() && !required) return json::value(nullptr);
    if (media_type(req.header("content-type").value_or("")) != "application/json")
        return error_response(415, "Content-Type must be application/json");
    json::parse_options options;
    options.max_depth = 64;
    boost::system::error_code ec;
    auto value = json::parse(req.body, ec, {}, options);
    if (ec) return error_response(400, "body is not valid JSON: " + ec.message());
    return value;
}

} // namespace omx::api
