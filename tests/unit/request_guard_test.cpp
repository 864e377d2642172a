// The checks before a request's handler: API tokens (full and read-only, from
// files), the origin of writes, CORS preflights and headers.
#include "api/request_guard.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <random>

using namespace omx::api;
namespace fs = std::filesystem;

namespace {

const std::string full_token = "full-token-0123456789";
const std::string other_full = "full-token-rotated-9876";
const std::string read_token = "read-token-0123456789";

struct TokenFiles {
    fs::path dir = fs::temp_directory_path() / ("omx-guard-" + std::to_string(std::random_device{}()));
    fs::path full = dir / "api-tokens", read = dir / "read-tokens";
    TokenFiles() {
        fs::create_directories(dir);
        write(full, "# rotated on 2026-12-07\n" + full_token + "\n\n  " + other_full + "  \n");
        write(read, read_token + "\n");
    }
    ~TokenFiles() { fs::remove_all(dir); }
    static void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
};

Request request(std::string method, std::string path, std::vector<std::pair<std::string, std::string>> headers = {},
                std::map<std::string, std::string> query = {}) {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.target = r.path;
    r.headers = std::move(headers);
    r.query = std::move(query);
    return r;
}

std::optional<Response> guard(const Request& r, const AccessTokens& tokens, const std::vector<std::string>& cors = {}) {
    return refuse_request(r, route(r.method, r.path), tokens, cors);
}

std::string header(const Response& r, std::string_view name) {
    for (auto& [k, v] : r.headers)
        if (k == name) return v;
    return "";
}

const std::string job_path = "/v1/jobs/0f8fad5b-d9cb-469f-a165-70867728950e";

} // namespace

BOOST_AUTO_TEST_SUITE(access_tokens)

BOOST_AUTO_TEST_CASE(a_token_file_holds_one_token_per_line_without_comments_and_blanks) {
    TokenFiles files;
    auto tokens = read_token_file(files.full, "--api-token-file");
    BOOST_TEST(tokens == (std::vector<std::string>{full_token, other_full}));
}

BOOST_AUTO_TEST_CASE(unfit_token_files_are_refused_with_the_file_and_the_line) {
    TokenFiles files;
    auto message = [&](const std::string& text) {
        TokenFiles::write(files.full, text);
        try {
            read_token_file(files.full, "--api-token-file");
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    BOOST_TEST(message("# nothing\n\n") == "--api-token-file: " + files.full.string() + " holds no token");
    BOOST_TEST(message(full_token + "\nshort\n") ==
               "--api-token-file: " + files.full.string() + " line 2: a token must have at least 16 characters");
    BOOST_TEST(message("with a space inside it\n").find("line 1: a token may hold visible ASCII characters only") !=
               std::string::npos);
    BOOST_CHECK_THROW(read_token_file(files.dir / "missing", "--read-token-file"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(a_token_matches_exactly_and_full_access_wins) {
    TokenSet set{{full_token, other_full}, {read_token, full_token}};
    BOOST_TEST((access_of(set, full_token) == Access::full));
    BOOST_TEST((access_of(set, other_full) == Access::full));
    BOOST_TEST((access_of(set, read_token) == Access::read));
    for (std::string wrong : {std::string(), full_token.substr(0, full_token.size() - 1), full_token + "0",
                              read_token + read_token, std::string(full_token.size(), 'x')})
        BOOST_TEST((access_of(set, wrong) == Access::none), wrong);
    BOOST_TEST((access_of(TokenSet{}, "") == Access::none));
}

BOOST_AUTO_TEST_CASE(a_failed_reload_keeps_the_tokens_in_use) {
    TokenFiles files;
    AccessTokens tokens(files.full, files.read);
    tokens.load();
    BOOST_TEST((tokens.check(other_full) == Access::full));
    TokenFiles::write(files.full, full_token + "\n"); // the old token retired
    BOOST_TEST(!tokens.reload());
    BOOST_TEST((tokens.check(other_full) == Access::none));
    BOOST_TEST(tokens.count() == 2u);
    fs::remove(files.full);
    BOOST_TEST(tokens.reload().value_or("").find("cannot read") != std::string::npos);
    BOOST_TEST((tokens.check(full_token) == Access::full));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(request_guard)

BOOST_AUTO_TEST_CASE(without_token_files_every_request_may_go_on) {
    AccessTokens none(std::nullopt, std::nullopt);
    BOOST_TEST(!none.enabled());
    BOOST_TEST(!guard(request("POST", "/v1/jobs"), none));
    BOOST_TEST(!guard(request("GET", "/v1/nowhere"), none));
}

BOOST_AUTO_TEST_CASE(a_request_without_a_valid_token_gets_401) {
    TokenFiles files;
    AccessTokens tokens(files.full, files.read);
    tokens.load();
    auto missing = guard(request("GET", job_path), tokens);
    BOOST_TEST_REQUIRE(missing.has_value());
    BOOST_TEST(missing->status == 401);
    BOOST_TEST(missing->body.find("missing API token: send Authorization: Bearer <token>") != std::string::npos);
    BOOST_TEST(header(*missing, "WWW-Authenticate") == R"(Bearer realm="omx")");

    auto wrong = guard(request("GET", job_path, {{"authorization", "Bearer not-a-token-of-ours"}}), tokens);
    BOOST_TEST_REQUIRE(wrong.has_value());
    BOOST_TEST(wrong->status == 401);
    BOOST_TEST(wrong->body.find("invalid API token") != std::string::npos);
    BOOST_TEST(header(*wrong, "WWW-Authenticate") == R"(Bearer realm="omx", error="invalid_token")");

    auto basic = guard(request("GET", job_path, {{"authorization", "Basic dXNlcjpwYXNz"}}), tokens);
    BOOST_TEST_REQUIRE(basic.has_value());
    BOOST_TEST(basic->body.find("Authorization must be 'Bearer <token>'") != std::string::npos);

    // Unknown paths too: a client without a token learns nothing, not even a 404.
    BOOST_TEST(guard(request("GET", "/v1/nowhere"), tokens).value_or(Response{}).status == 401);
}

BOOST_AUTO_TEST_CASE(tokens_give_their_access_and_read_tokens_only_read) {
    TokenFiles files;
    AccessTokens tokens(files.full, files.read);
    tokens.load();
    for (auto& t : {full_token, other_full, read_token}) {
        BOOST_TEST(!guard(request("GET", job_path, {{"authorization", "Bearer " + t}}), tokens), t);
        BOOST_TEST(!guard(request("GET", "/v1/jobs", {{"authorization", "bearer  " + t}}), tokens), t);
    }
    BOOST_TEST(!guard(request("POST", "/v1/jobs", {{"authorization", "Bearer " + full_token}}), tokens));
    auto write = guard(request("POST", job_path + "/cancel", {{"authorization", "Bearer " + read_token}}), tokens);
    BOOST_TEST_REQUIRE(write.has_value());
    BOOST_TEST(write->status == 403);
    BOOST_TEST(write->body.find("this token may only read (GET and event streams): POST " + job_path +
                                "/cancel needs a token of --api-token-file") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(health_and_the_pages_own_files_need_no_token_but_readiness_does) {
    TokenFiles files;
    AccessTokens tokens(files.full, files.read);
    tokens.load();
    for (auto path : {"/v1/healthz", "/monitor/", "/monitor/app.js", "/docs", "/openapi.json"})
        BOOST_TEST(!guard(request("GET", path), tokens), path);
    for (auto path : {"/v1/readyz", "/metrics", "/v1/monitor/overview"})
        BOOST_TEST(guard(request("GET", path), tokens).value_or(Response{}).status == 401, path);
}

BOOST_AUTO_TEST_CASE(event_streams_also_take_the_token_from_the_query) {
    TokenFiles files;
    AccessTokens tokens(files.full, files.read);
    tokens.load();
    BOOST_TEST(!guard(request("GET", job_path + "/events", {}, {{"access_token", read_token}}), tokens));
    BOOST_TEST(!guard(request("GET", "/v1/monitor/events", {}, {{"access_token", full_token}}), tokens));
    BOOST_TEST(guard(request("GET", "/v1/monitor/events", {}, {{"access_token", "wrong-wrong-wrong-1"}}), tokens)
                   .value_or(Response{})
                   .status == 401);
    auto missing = guard(request("GET", "/v1/monitor/events"), tokens);
    BOOST_TEST(missing.value_or(Response{}).body.find("or ?access_token=<token>") != std::string::npos);
    // Elsewhere the URL is no place for a token (it ends up in logs and histories).
    BOOST_TEST(guard(request("GET", job_path, {}, {{"access_token", full_token}}), tokens).value_or(Response{}).status ==
               401);
}

BOOST_AUTO_TEST_CASE(writes_from_another_origin_are_refused) {
    AccessTokens none(std::nullopt, std::nullopt);
    std::vector<std::string> cors{"https://app.example.com"};
    auto from = [&](std::string origin, std::string method = "POST") {
        return guard(request(method, "/v1/jobs", {{"host", "127.0.0.1:8080"}, {"origin", origin}}), none, cors);
    };
    BOOST_TEST(!from("http://127.0.0.1:8080"));
    BOOST_TEST(!from("https://127.0.0.1:8080")); // through a TLS proxy that keeps Host
    BOOST_TEST(!from("https://app.example.com"));
    BOOST_TEST(!from("https://evil.example", "GET")); // reads: the browser keeps the answer from the page
    for (auto origin : {"https://evil.example", "null", "http://127.0.0.1:8081", "https://app.example.com.evil"}) {
        auto refused = from(origin);
        BOOST_TEST_REQUIRE(refused.has_value(), origin);
        BOOST_TEST(refused->status == 403);
        BOOST_TEST(refused->body.find("cross-origin request refused: Origin " + std::string(origin) +
                                      " is not allowed") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(preflights_are_answered_for_configured_origins_only) {
    std::vector<std::string> cors{"https://app.example.com"};
    auto preflight = [&](std::string origin) {
        return answer_preflight(request("OPTIONS", "/v1/jobs",
                                        {{"origin", origin}, {"access-control-request-method", "POST"},
                                         {"access-control-request-headers", "authorization, content-type"}}),
                                cors);
    };
    auto allowed = preflight("https://app.example.com");
    BOOST_TEST_REQUIRE(allowed.has_value());
    BOOST_TEST(allowed->status == 204);
    BOOST_TEST(header(*allowed, "Access-Control-Allow-Methods") == "GET, POST, OPTIONS");
    BOOST_TEST(header(*allowed, "Access-Control-Allow-Headers").find("Authorization") != std::string::npos);
    BOOST_TEST(preflight("https://evil.example").value_or(Response{}).status == 403);
    BOOST_TEST(!answer_preflight(request("OPTIONS", "/v1/jobs"), cors)); // no preflight: the router answers
    Response with_cors;
    with_cors.headers = cors_headers(request("GET", "/v1/jobs", {{"origin", "https://app.example.com"}}), cors);
    BOOST_TEST(header(with_cors, "Access-Control-Allow-Origin") == "https://app.example.com");
    BOOST_TEST(header(with_cors, "Vary") == "Origin");
    BOOST_TEST(cors_headers(request("GET", "/v1/jobs", {{"origin", "https://evil.example"}}), cors).empty());
}

BOOST_AUTO_TEST_SUITE_END()
