#include "api/beast_request.hpp"

#include "api/query.hpp"

#include <cctype>

namespace omx::api {
namespace {

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

} // namespace

std::optional<Request> to_request(boost::beast::http::request<boost::beast::http::string_body>&& r) {
    Request req;
    req.method = std::string(r.method_string());
    req.target = std::string(r.target());
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) {
        auto query = parse_query(std::string_view(req.target).substr(q + 1));
        if (!query) return std::nullopt;
        req.query = std::move(*query);
    }
    for (auto& f : r) req.headers.emplace_back(lowercase(f.name_string()), std::string(f.value()));
    req.body = std::move(r.body());
    return req;
}

} // namespace omx::api
