// Who may do what (operations.md, Security) against the real omxd: API tokens
// from files (full and read-only, Bearer or ?access_token= on streams, SIGHUP
// rotation), the loud warning of an open listener, browser origins and CORS.
#define BOOST_TEST_MODULE security_test
#include <boost/test/unit_test.hpp>

#include "tests/integration/api_helpers.hpp"
#include "tests/support/sse_client.hpp"
#include "tests/support/temp_dir.hpp"

#include <fstream>
#include <signal.h>

using namespace omx::test;
namespace fs = std::filesystem;

namespace {

const std::string full_token = "full-token-0123456789abcdef";
const std::string next_token = "full-token-next-fedcba9876";
const std::string read_token = "read-token-0123456789abcdef";

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::trunc);
    out << text;
    BOOST_TEST_REQUIRE(out.good(), p);
}

// omxd with both token files in its own directory.
struct TokenServer {
    TempDir dir{"omx-security"};
    fs::path api_tokens = dir / "api-tokens", read_tokens = dir / "read-tokens";
    std::unique_ptr<Server> server;

    explicit TokenServer(std::vector<std::string> extra = {}) {
        write_file(api_tokens, full_token + "\n");
        write_file(read_tokens, "# dashboards\n" + read_token + "\n");
        std::vector<std::string> args{"--api-token-file", api_tokens.string(), "--read-token-file",
                                      read_tokens.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        server = std::make_unique<Server>(args);
    }
    HttpClient client() const { return server->client(); }
};

Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

std::int64_t jobs_seen_with(HttpClient& c, const std::string& token) {
    auto r = c.get("/v1/monitor/overview", bearer(token));
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    return num(r.json(), "/jobs/total");
}

json::value get_json_with(HttpClient& c, const std::string& target, const std::string& token) {
    auto r = c.get(target, bearer(token));
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    return r.json();
}

std::string created_with(HttpClient& c, const std::string& token) {
    auto r = c.post_json("/v1/jobs", job_body(), bearer(token));
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    return str(r.json(), "/jobId");
}

} // namespace

BOOST_AUTO_TEST_CASE(with_token_files_every_endpoint_but_health_needs_a_token) {
    TokenServer s;
    auto c = s.client();
    BOOST_TEST(c.get("/v1/healthz").status == 200);
    for (auto target : {"/v1/jobs", "/v1/readyz", "/metrics", "/v1/monitor/overview", "/v1/nowhere"}) {
        auto r = c.get(target);
        BOOST_TEST(error_message(r, 401) == "missing API token: send Authorization: Bearer <token>", target);
        BOOST_TEST(r.header("www-authenticate") == R"(Bearer realm="omx")", target);
    }
    auto wrong = c.get("/v1/jobs", bearer("not-one-of-the-tokens-at-all"));
    BOOST_TEST(error_message(wrong, 401) == "invalid API token");
    auto create_without = c.post_json("/v1/jobs", job_body());
    BOOST_TEST(create_without.status == 401);
    // The dashboard's and docs' own files carry no data: they load without a token.
    BOOST_TEST(c.get("/monitor/").status == 200);
    BOOST_TEST(c.get("/openapi.json").status == 200);

    auto id = created_with(c, full_token);
    BOOST_TEST(c.get(job_url(id), bearer(full_token)).status == 200);
    BOOST_TEST(jobs_seen_with(c, full_token) == 1);
}

BOOST_AUTO_TEST_CASE(a_read_token_reads_and_streams_but_changes_nothing) {
    TokenServer s;
    auto c = s.client();
    auto id = created_with(c, full_token);
    BOOST_TEST(c.get(job_url(id), bearer(read_token)).status == 200);
    BOOST_TEST(c.get("/v1/jobs", bearer(read_token)).status == 200);
    auto cancel = c.request("POST", job_url(id) + "/actions/cancel", "", bearer(read_token));
    BOOST_TEST(error_message(cancel, 403) == "this token may only read (GET and event streams): POST " + job_url(id) +
                                                 "/actions/cancel needs a token of --api-token-file");
    auto create = c.post_json("/v1/jobs", job_body(), bearer(read_token));
    BOOST_TEST(create.status == 403);
    BOOST_TEST(jobs_seen_with(c, read_token) == 1);
    BOOST_TEST(str(get_json_with(c, job_url(id), read_token), "/status") == "queued");

    // EventSource cannot send headers: streams take the token from the query.
    SseClient stream;
    stream.open(s.server->process.port(), job_url(id) + "/events?access_token=" + read_token);
    BOOST_TEST(stream.status() == 200);
    auto first = stream.next_event(std::chrono::seconds(10));
    BOOST_TEST_REQUIRE(first.has_value());
    BOOST_TEST(first->event == "queued");
    SseClient refused;
    refused.open(s.server->process.port(), "/v1/monitor/events?access_token=wrong-token-0123456789");
    BOOST_TEST(refused.status() == 401);
    // Elsewhere a token in the URL is refused: URLs end up in logs and histories.
    BOOST_TEST(c.get(job_url(id) + "?access_token=" + full_token).status == 401);
}

BOOST_AUTO_TEST_CASE(sighup_reloads_the_token_files_and_a_bad_reload_keeps_the_tokens) {
    TokenServer s;
    auto c = s.client();
    // Rotation: both tokens for a while, then only the new one.
    write_file(s.api_tokens, full_token + "\n" + next_token + "\n");
    s.server->process.kill(SIGHUP);
    BOOST_TEST(eventually([&] { return c.get("/v1/jobs", bearer(next_token)).status == 200; }));
    BOOST_TEST(c.get("/v1/jobs", bearer(full_token)).status == 200);
    write_file(s.api_tokens, next_token + "\n");
    s.server->process.kill(SIGHUP);
    BOOST_TEST(eventually([&] { return c.get("/v1/jobs", bearer(full_token)).status == 401; }));
    created_with(c, next_token);

    write_file(s.api_tokens, "# emptied by mistake\n");
    s.server->process.kill(SIGHUP);
    BOOST_TEST(eventually([&] {
        std::ifstream log(s.server->process.log_path());
        std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
        return text.find("API tokens not reloaded: the tokens in use stay") != std::string::npos;
    }));
    BOOST_TEST(c.get("/v1/jobs", bearer(next_token)).status == 200);
    BOOST_TEST(s.server->process.running());
}

BOOST_AUTO_TEST_CASE(unfit_token_files_stop_the_server_at_start) {
    TempDir dir{"omx-security"};
    write_file(dir / "short", "short\n");
    write_file(dir / "empty", "\n# none\n");
    struct Case {
        std::string flag, file, message;
    };
    for (auto& [flag, file, message] : std::vector<Case>{
             {"--api-token-file", (dir / "missing").string(), "--api-token-file: cannot read " + (dir / "missing").string()},
             {"--api-token-file", (dir / "short").string(), "line 1: a token must have at least 16 characters"},
             {"--read-token-file", (dir / "empty").string(), (dir / "empty").string() + " holds no token"}}) {
        auto run = OmxdProcess::run_and_capture({"serve", "--listen", "127.0.0.1:0", "--state-dir",
                                                 (dir / "state").string(), flag, file});
        BOOST_TEST(run.exit_code == 2, file);
        BOOST_TEST(run.output.find(message) != std::string::npos, run.output);
    }
}

BOOST_AUTO_TEST_CASE(an_open_listener_without_tokens_warns_loudly) {
    const std::string warning = "LISTENING ON A NON-LOOPBACK ADDRESS WITHOUT API TOKENS";
    auto log_of = [](const OmxdProcess& p) {
        std::ifstream log(p.log_path());
        return std::string((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    };
    Server open({"--listen", "0.0.0.0:0"});
    BOOST_TEST(log_of(open.process).find(warning) != std::string::npos);
    Server loopback;
    BOOST_TEST(log_of(loopback.process).find(warning) == std::string::npos);
    TokenServer guarded({"--listen", "0.0.0.0:0"});
    BOOST_TEST(log_of(guarded.server->process).find(warning) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(writes_from_other_origins_are_refused_and_configured_ones_get_cors) {
    const std::string app = "https://app.example.com";
    Server s({"--cors-origin", app});
    auto c = s.client();
    auto preflight = c.request("OPTIONS", "/v1/jobs", "",
                               {{"Origin", app},
                                {"Access-Control-Request-Method", "POST"},
                                {"Access-Control-Request-Headers", "authorization, content-type"}});
    BOOST_TEST(preflight.status == 204);
    BOOST_TEST(preflight.header("access-control-allow-origin") == app);
    BOOST_TEST(preflight.header("access-control-allow-headers").find("Authorization") != std::string::npos);
    auto evil_preflight = c.request("OPTIONS", "/v1/jobs", "",
                                    {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
    BOOST_TEST(evil_preflight.status == 403);

    auto created = c.post_json("/v1/jobs", job_body(), {{"Origin", app}});
    BOOST_TEST(created.status == 201, created.body);
    BOOST_TEST(created.header("access-control-allow-origin") == app);
    BOOST_TEST(created.header("vary") == "Origin");
    auto evil = c.post_json("/v1/jobs", job_body(), {{"Origin", "https://evil.example"}});
    BOOST_TEST(error_message(evil, 403) ==
               "cross-origin request refused: Origin https://evil.example is not allowed (the server's "
               "--cors-origin lists the origins it allows)");
    BOOST_TEST(evil.header("access-control-allow-origin").empty());
    BOOST_TEST(job_count(c) == 1);
    // The server's own pages post with their own origin.
    auto own = c.post_json("/v1/jobs", job_body(), {{"Origin", s.process.base_url()}});
    BOOST_TEST(own.status == 201, own.body);

    auto bad = OmxdProcess::run_and_capture({"serve", "--cors-origin", "https://app.example.com/"});
    BOOST_TEST(bad.exit_code == 2);
    BOOST_TEST(bad.output.find("--cors-origin 'https://app.example.com/' must be scheme://host[:port] and nothing else") !=
               std::string::npos, bad.output);
}
