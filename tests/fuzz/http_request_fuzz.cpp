// Fuzz target: bytes off a connection, through the request path up to the
// validators — Beast's parser with the server's limits, our Request, the
// router, the token and origin checks, the JSON body and the validator of
// the route (job creation, mailbox posts, action bodies).
#include "api/beast_request.hpp"
#include "api/request_body.hpp"
#include "api/request_guard.hpp"
#include "api/router.hpp"
#include "api/validate_job.hpp"
#include "api/validate_mailbox.hpp"
#include "team/core/templates.hpp"

#include <boost/beast/http/parser.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <unistd.h>

namespace http = boost::beast::http;
namespace json = boost::json;
using namespace omx;

namespace {

// Both kinds of token, so the Authorization header is really compared.
const api::AccessTokens& tokens() {
    static const auto loaded = [] {
        auto dir = std::filesystem::temp_directory_path() / ("omx-fuzz-tokens-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        std::ofstream(dir / "full") << "full-token-0123456789\n";
        std::ofstream(dir / "read") << "read-token-0123456789\n";
        auto t = std::make_unique<api::AccessTokens>(dir / "full", dir / "read");
        t->load();
        std::filesystem::remove_all(dir);
        return t;
    }();
    return *loaded;
}

const team::Job& ralph_job() {
    static const team::Job job = [] {
        team::Job j;
        j.request.mode = team::Mode::ralph;
        j.team.tasks = team::initial_tasks(team::default_graph(team::Mode::ralph, {}));
        return j;
    }();
    return job;
}

void validate(const api::Request& req, const api::RouteMatch& m) {
    switch (m.route) {
    case api::Route::jobs_create:
    case api::Route::mailbox_post:
    case api::Route::job_action:
    case api::Route::task_action: break;
    default: return;
    }
    bool required = m.route == api::Route::jobs_create || m.route == api::Route::mailbox_post;
    auto body = api::json_body(req, required);
    auto* value = std::get_if<json::value>(&body);
    if (!value) return;
    if (m.route == api::Route::jobs_create) {
        auto v = api::validate_job_request(*value, {});
        if (v.request) (void)api::request_hash(*value);
    } else if (m.route == api::Route::mailbox_post) {
        (void)api::validate_mailbox_post(*value, ralph_job());
    } else {
        (void)api::validate_action_body(value->is_null() ? nullptr : value);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(1024 * 1024);
    parser.eager(true);
    boost::system::error_code ec;
    parser.put(boost::asio::buffer(data, size), ec);
    if (ec || !parser.is_done()) return 0;
    auto req = api::to_request(parser.release());
    if (!req) return 0;
    static const std::vector<std::string> origins{"https://app.example.com"};
    (void)api::answer_preflight(*req, origins);
    (void)api::cors_headers(*req, origins);
    auto r = api::route(req->method, req->path);
    if (api::refuse_request(*req, r, tokens(), origins) || !r.match) return 0;
    validate(*req, *r.match);
    return 0;
}
