// Bad input against the real omxd: malformed and deeply nested JSON, bodies
// over the limit, wrong content types, unknown fields, wrong types,
// out-of-range numbers, invalid task graphs, job ids built to escape the state
// dir, 10 000 headers and a client that stalls mid-header. Every case checks
// the status, that the server is still healthy, that no job was created and
// that no file changed.
#define BOOST_TEST_MODULE bad_input_test
#include <boost/test/unit_test.hpp>

#include "tests/integration/api_helpers.hpp"

#include <sys/stat.h>

#include <cctype>
#include <map>
#include <thread>

using namespace omx::test;
namespace fs = std::filesystem;

namespace {

// One server for the whole file, with a short header timeout for the stall
// test, and one job that the per-job endpoints can be aimed at.
struct SharedServer {
    void setup() {
        server = std::make_unique<Server>(std::vector<std::string>{"--header-timeout", "1"});
        auto c = server->client();
        auto r = c.post_json("/v1/jobs", job_body("autopilot"));
        if (r.status != 201) throw std::runtime_error("cannot create the shared job: " + r.body);
        job_id = str(r.json(), "/jobId");
    }
    void teardown() { server.reset(); }
    // The job stays queued: its record.json is written only when it settles or at
    // shutdown (DECISIONS.md, "record.json"), so no file changes after the response.

    static inline std::unique_ptr<Server> server;
    static inline std::string job_id;
};

BOOST_TEST_GLOBAL_FIXTURE(SharedServer);

std::uint16_t port() {
    return SharedServer::server->process.port();
}

std::string stat_line(const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return p.string() + " absent";
    return p.string() + " size=" + std::to_string(st.st_size) +
           " mtime=" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec) + " mode=" + std::to_string(st.st_mode);
}

// Every file and directory of the server's temp dir (state dir and work root;
// not its logs) with size and mtime, plus the places a traversal would reach.
std::vector<std::string> file_snapshot() {
    const fs::path root = SharedServer::server->process.log_dir();
    std::vector<std::string> lines{stat_line(root / "state"), stat_line(root.parent_path() / "etc"),
                                   stat_line(root / "etc"), stat_line("/etc/passwd")};
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
         ++it) {
        auto name = it->path().filename().string();
        if (it.depth() == 0 && name.starts_with("omxd-") && name.ends_with(".log")) continue;
        lines.push_back(stat_line(it->path()));
    }
    std::sort(lines.begin(), lines.end());
    return lines;
}

// Per test case: afterwards the server answers, holds the same jobs, and no file changed.
struct NothingChanges {
    NothingChanges()
        : client(port()), jobs_before(job_count(client)), files_before(file_snapshot()) {}

    void teardown() {
        BOOST_TEST(SharedServer::server->process.running());
        HttpClient fresh(port()); // a new connection: the server still accepts
        BOOST_TEST(fresh.get("/v1/healthz").status == 200);
        BOOST_TEST(job_count(fresh) == jobs_before);
        BOOST_TEST(file_snapshot() == files_before, boost::test_tools::per_element());
        BOOST_TEST(str(get_json(fresh, job_url(SharedServer::job_id)), "/status") == "queued");
    }

    std::string job() const { return job_url(SharedServer::job_id); }

    HttpClient client;
    std::int64_t jobs_before;
    std::vector<std::string> files_before;
};

// The shared valid body as text with some top-level fields replaced (each value JSON text).
std::string body_with(const std::map<std::string, std::string>& fields,
                      std::string_view mode = "team") {
    auto body = job_body(mode);
    for (auto& [k, v] : fields)
        body[k] = json::parse(v);
    return dump(body);
}

std::string options_with(std::string_view options, std::string_view mode = "team") {
    return body_with({{"options", std::string(options)}}, mode);
}

// POSTs each body to /v1/jobs and checks the 400 names the problem.
void expect_problems(HttpClient& c, const std::vector<std::pair<std::string, std::string>>& cases) {
    for (auto& [body, problem] : cases) {
        BOOST_TEST_CONTEXT("body " << body.substr(0, 160)) {
            auto problems = problems_of(post_text(c, "/v1/jobs", body));
            BOOST_TEST(has_problem(problems, problem),
                       "wanted '" + problem + "' in: " + joined(problems));
        }
    }
}

std::string nested_arrays(int depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

std::string nested_objects(int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i)
        s += R"({"a":)";
    s += "1";
    s += std::string(depth, '}');
    return s;
}

std::string raw_request(std::string_view method, std::string_view target,
                        std::string_view extra_headers = "", std::string_view body = "") {
    std::string r =
        std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    r += extra_headers;
    if (!body.empty()) r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    r += "\r\n";
    r += body;
    return r;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(bad_input, NothingChanges)

BOOST_AUTO_TEST_CASE(malformed_json_is_400) {
    const std::vector<std::string> bodies{
        "{",        R"({"provider":})",        "nul",          "[1,]", "{} x",
        "",         "\"unterminated",          "{'a':1}",      "NaN",  "{\"a\":1,}",
        "\xff\xfe", "{\"task\":\"\xc3\x28\"}", "{\"a\"\x01:1}"};
    for (std::size_t i = 0; i < bodies.size(); ++i) {
        const auto& body = bodies[i];
        BOOST_TEST_CONTEXT("malformed body #" << i) {
            auto message = error_message(post_text(client, "/v1/jobs", body), 400);
            BOOST_TEST(message.starts_with("body is not valid JSON"), message);
        }
    }
    for (auto target :
         {job() + "/team/mailbox", job() + "/actions/cancel", job() + "/actions/approve"})
        BOOST_TEST(error_message(post_text(client, target, "{\"kind\":"), 400)
                       .starts_with("body is not valid JSON"),
                   target);
}

BOOST_AUTO_TEST_CASE(ten_thousand_levels_of_nesting_are_400_without_a_crash) {
    for (auto& deep : {nested_arrays(10000), nested_objects(10000), std::string(10000, '[')}) {
        auto message = error_message(post_text(client, "/v1/jobs", deep), 400);
        BOOST_TEST(message.starts_with("body is not valid JSON"), message);
    }
    auto deep_extras =
        R"({"provider":"codex","mode":"team","repo":"acme/widget","ref":"main","task":"Fix it",)"
        R"("options":{"team":{"extras":)" +
        nested_objects(10000) + "}}}";
    BOOST_TEST(error_message(post_text(client, "/v1/jobs", deep_extras), 400).find("too deep") !=
               std::string::npos);
    BOOST_TEST(error_message(post_text(client, job() + "/team/mailbox", nested_arrays(10000)), 400)
                   .starts_with("body is not valid JSON"));
    BOOST_TEST(client.get("/v1/healthz").status == 200);
}

BOOST_AUTO_TEST_CASE(a_body_over_one_mebibyte_is_413) {
    const std::string two_mib(2 * 1024 * 1024, 'x');
    auto huge_task =
        R"({"provider":"codex","mode":"team","repo":"acme/widget","ref":"main","task":")" +
        two_mib + "\"}";
    for (auto target :
         {std::string("/v1/jobs"), job() + "/team/mailbox", job() + "/actions/cancel"}) {
        auto r = post_text(client, target, huge_task);
        BOOST_TEST(error_message(r, 413) == "request body is larger than 1048576 bytes", target);
    }
    // Chunked, so that the size is only known while reading.
    std::string chunked =
        "POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    const std::string chunk(64 * 1024, 'x');
    for (int i = 0; i < 32; ++i)
        chunked += "10000\r\n" + chunk + "\r\n";
    chunked += "0\r\n\r\n";
    auto answer = client.raw_exchange(chunked, std::chrono::seconds(10));
    BOOST_TEST(answer.starts_with("HTTP/1.1 413"), answer.substr(0, 200));
    // Just under the limit the body is read and judged on its content.
    auto under = R"({"provider":"codex","mode":"team","repo":"acme/widget","ref":"main","task":")" +
                 std::string(1024 * 1024 - 200, 'x') + "\"}";
    BOOST_TEST(has_problem(problems_of(post_text(client, "/v1/jobs", under)),
                           "task must be between 3 and 4000 characters"));
}

BOOST_AUTO_TEST_CASE(a_body_without_json_content_type_is_415) {
    const std::string valid = dump(job_body());
    for (auto type :
         {"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
          "application/jsonx", "json", "text/json"}) {
        auto r = post_text(client, "/v1/jobs", valid, type);
        BOOST_TEST(error_message(r, 415) == "Content-Type must be application/json", type);
    }
    expect_error(
        post_text(client, job() + "/team/mailbox", R"({"kind":"notice","message":"hi"})", ""), 415);
    expect_error(post_text(client, job() + "/actions/cancel", R"({"comment":"x"})", "text/plain"),
                 415);
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_400_naming_their_path) {
    expect_problems(
        client,
        {
            {body_with({{"priority", "1"}}), "unknown field 'priority'"},
            {body_with({{"jobId", R"("x")"}}), "unknown field 'jobId'"},
            {options_with(R"({"parallelTasks":2})"), "unknown field 'options.parallelTasks'"},
            {options_with(R"({"team":{"parallelTask":3}})"),
             "unknown field 'options.team.parallelTask'"},
            {options_with(
                 R"({"team":{"teamTasks":[{"name":"Build","role":"developer","after":[]}]}})"),
             "unknown field 'options.team.teamTasks[0].after'"},
            {options_with(R"({"agentCommands":{"hacker":"rm -rf /"}})"),
             "unknown field 'options.agentCommands.hacker'"},
        });
}

BOOST_AUTO_TEST_CASE(wrong_types_are_400_naming_their_path) {
    expect_problems(
        client,
        {
            {body_with({{"provider", "7"}}),
             "provider must be one of the following values: codex, claude, gemini"},
            {body_with({{"mode", "true"}}), "mode must be one of the following values: team, "
                                            "autopilot, ralph, ultrawork, pipeline"},
            {body_with({{"repo", "12"}}), "repo must be a string"},
            {body_with({{"ref", "[]"}}), "ref must be a string"},
            {body_with({{"task", "{}"}}), "task must be a string"},
            {options_with(R"("fast")"), "options must be an object"},
            {options_with(R"({"workers":"2"})"), "options.workers must be an integer number"},
            {options_with(R"({"workers":2.5})"), "options.workers must be an integer number"},
            {options_with(R"({"maxMinutes":true})"),
             "options.maxMinutes must be an integer number"},
            {options_with(R"({"requireApproval":"yes"})"),
             "options.requireApproval must be a boolean"},
            {options_with(R"({"keepTmuxSession":1})"), "options.keepTmuxSession must be a boolean"},
            {options_with(R"({"agentCommands":"echo"})"),
             "options.agentCommands must be an object"},
            {options_with(R"({"agentCommands":{"developer":5}})"),
             "options.agentCommands.developer must be a string"},
            {options_with(R"({"team":[]})"), "options.team must be an object"},
            {options_with(R"({"team":{"tmuxVisualization":"on"}})"),
             "options.team.tmuxVisualization must be a boolean"},
            {options_with(R"({"team":{"teamTasks":{}}})"),
             "options.team.teamTasks must be an array"},
            {options_with(R"({"team":{"teamTasks":[5]}})"),
             "options.team.teamTasks[0] must be an object"},
            {options_with(
                 R"({"team":{"teamTasks":[{"name":"Build","role":"developer","dependencies":"a"}]}})"),
             "options.team.teamTasks[0].dependencies must be an array"},
            {options_with(
                 R"({"team":{"teamTasks":[{"name":"Build","role":"developer","dependencies":[1]}]}})"),
             "options.team.teamTasks[0].dependencies[0] must be a string"},
            {options_with(
                 R"({"team":{"teamTasks":[{"name":"Build","role":"developer","requiresApproval":"no"}]}})"),
             "options.team.teamTasks[0].requiresApproval must be a boolean"},
            {options_with(R"({"team":{"extras":"x"}})"), "options.team.extras must be an object"},
            {"[]", "body must be a JSON object"},
            {"\"a job\"", "body must be a JSON object"},
            {"null", "body must be a JSON object"},
        });
}

BOOST_AUTO_TEST_CASE(out_of_range_numbers_and_lengths_are_400_naming_their_path) {
    std::string tasks65 = "[";
    for (int i = 0; i < 65; ++i)
        tasks65 += std::string(i ? "," : "") + R"({"name":"Step","role":"executor"})";
    tasks65 += "]";
    expect_problems(
        client,
        {
            {options_with(R"({"team":{"parallelTasks":9}})"),
             "options.team.parallelTasks must not be greater than 8"},
            {options_with(R"({"team":{"parallelTasks":0}})"),
             "options.team.parallelTasks must not be less than 1"},
            {options_with(R"({"workers":17})"), "options.workers must not be greater than 16"},
            {options_with(R"({"workers":0})"), "options.workers must not be less than 1"},
            {options_with(R"({"workers":18446744073709551615})"),
             "options.workers must not be greater than 16"},
            {options_with(R"({"workers":-9223372036854775808})"),
             "options.workers must not be less than 1"},
            {options_with(R"({"workers":1e300})"), "options.workers must be an integer number"},
            {options_with(R"({"maxMinutes":4})"), "options.maxMinutes must not be less than 5"},
            {options_with(R"({"maxMinutes":481})"),
             "options.maxMinutes must not be greater than 480"},
            {options_with(R"({"maxTokens":0})"), "options.maxTokens must not be less than 1"},
            {options_with(R"({"team":{"maxFixAttempts":-1}})"),
             "options.team.maxFixAttempts must not be less than 0"},
            {options_with(R"({"team":{"maxFixAttempts":11}})"),
             "options.team.maxFixAttempts must not be greater than 10"},
            {options_with(
                 R"({"team":{"teamTasks":[{"name":"Build","role":"developer","maxAttempts":6}]}})"),
             "options.team.teamTasks[0].maxAttempts must not be greater than 5"},
            {options_with(
                 R"({"team":{"teamTasks":[{"name":"Build","role":"developer","timeoutSeconds":59}]}})"),
             "options.team.teamTasks[0].timeoutSeconds must not be less than 60"},
            {options_with(R"({"team":{"teamTasks":[{"name":"B","role":"developer"}]}})"),
             "options.team.teamTasks[0].name must be between 2 and 180 characters"},
            {options_with(R"({"team":{"teamTasks":)" + tasks65 + "}}"),
             "options.team.teamTasks must contain no more than 64 elements"},
            {options_with(R"({"team":{"extras":{"blob":")" + std::string(17 * 1024, 'x') +
                          R"("}}})"),
             "options.team.extras must not be larger than 16384 bytes when serialized"},
            {options_with(R"({"agentCommands":{"developer":")" + std::string(8 * 1024 + 1, 'x') +
                          R"("}})"),
             "options.agentCommands.developer must not be larger than 8192 bytes"},
            {body_with({{"task", R"("ab")"}}), "task must be between 3 and 4000 characters"},
            {body_with({{"task", "\"" + std::string(4001, 't') + "\""}}),
             "task must be between 3 and 4000 characters"},
            {body_with({{"repo", R"("ab")"}}), "repo must be between 3 and 512 characters"},
            {body_with({{"ref", R"("")"}}), "ref must be between 1 and 128 characters"},
            {body_with({{"ref", "\"" + std::string(129, 'r') + "\""}}),
             "ref must be between 1 and 128 characters"},
        });
}

BOOST_AUTO_TEST_CASE(required_fields_enums_repo_and_ref_are_checked) {
    auto problems = problems_of(post_text(client, "/v1/jobs", "{}"));
    for (auto field : {"provider", "mode", "repo", "ref", "task"})
        BOOST_TEST(has_problem(problems, std::string(field) + " is required"), joined(problems));
    const std::string repo_forms =
        "repo must be owner/name, an https://, ssh:// or git@host:path URL, or a file:// "
        "URL or absolute path";
    expect_problems(
        client,
        {
            {body_with({{"provider", R"("openai")"}}),
             "provider must be one of the following values: codex, claude, gemini"},
            {body_with({{"mode", R"("solo")"}}), "mode must be one of the following values: team, "
                                                 "autopilot, ralph, ultrawork, pipeline"},
            {body_with({{"provider", "null"}}), "provider is required"},
            {body_with({{"repo", R"("-rf")"}}), "repo must not start with '-'"},
            {body_with({{"repo", R"("--upload-pack=touch /tmp/pwned")"}}),
             "repo must not start with '-'"},
            {body_with({{"repo", R"("acme/widget; rm -rf /")"}}),
             "repo must not contain whitespace or control characters"},
            {body_with({{"repo", R"("owner")"}}), repo_forms},
            {body_with({{"repo", R"("https://-evil/x")"}}), repo_forms},
            {body_with({{"ref", R"("--upload-pack=touch /tmp/pwned")"}}),
             "ref must not start with '-'"},
            {body_with({{"ref", R"("a..b")"}}),
             "ref must be a valid git branch or tag name or a full 40-hex commit id"},
            {body_with({{"ref", R"("bad~ref")"}}),
             "ref must be a valid git branch or tag name or a full 40-hex commit id"},
            {options_with(R"({"team":{"teamTasks":[{"name":"Build","role":"developer"}]}})",
                          "autopilot"),
             "options.team.teamTasks is only allowed in modes team and pipeline"},
            {options_with(R"({"team":{"teamTasks":[{"name":"Build","role":"boss"}]}})"),
             "options.team.teamTasks[0].role must be one of the following values: planner, "
             "researcher, designer, "
             "developer, executor, verifier"},
            {options_with(R"({"team":{"teamTasks":[{"role":"developer"}]}})"),
             "options.team.teamTasks[0].name is required"},
        });
}

BOOST_AUTO_TEST_CASE(invalid_task_graphs_are_400) {
    auto tasks = [](std::string_view list, std::string_view mode = "team") {
        return options_with(R"({"team":{"teamTasks":)" + std::string(list) + "}}", mode);
    };
    expect_problems(
        client,
        {
            {tasks(R"([{"id":"a","name":"Build","role":"developer","dependencies":["x"]}])"),
             "options.team.teamTasks[0].dependencies[0]: unknown task id 'x'"},
            {tasks(R"([{"id":"a","name":"Build","role":"developer","dependencies":["a"]}])"),
             "options.team.teamTasks[0].dependencies[0]: task 'a' depends on itself"},
            {tasks(R"([{"id":"a","name":"Build","role":"developer","dependencies":["b"]},
                   {"id":"b","name":"Test","role":"verifier","dependencies":["a"]}])"),
             "options.team.teamTasks: dependency cycle 'a' -> 'b' -> 'a'"},
            {tasks(R"([{"id":"a","name":"Build","role":"developer","dependencies":["c"]},
                   {"id":"b","name":"Run","role":"executor","dependencies":["a"]},
                   {"id":"c","name":"Test","role":"verifier","dependencies":["b"]}])"),
             "options.team.teamTasks: dependency cycle 'a' -> 'c' -> 'b' -> 'a'"},
            {tasks(
                 R"([{"id":"a","name":"Build","role":"developer"},{"id":"a","name":"Test","role":"verifier"}])"),
             "options.team.teamTasks[1].id: duplicate task id 'a'"},
            {tasks(R"([{"id":"a","name":"Build","role":"developer"},
                   {"id":"b","name":"Test","role":"verifier","dependencies":["a","a"]}])"),
             "options.team.teamTasks[1].dependencies[1]: duplicate dependency 'a'"},
            {tasks(R"([{"id":"bad id!","name":"Build","role":"developer"}])"),
             "options.team.teamTasks[0].id must match /^[A-Za-z0-9._-]{1,64}$/ regular expression"},
            {tasks(R"([{"id":"..","name":"Build","role":"developer"}])"),
             "options.team.teamTasks[0].id must not be '.' or '..'"},
            {tasks(R"([{"id":"a","name":"Build","role":"developer","dependencies":["b"]},
                   {"id":"b","name":"Test","role":"verifier"}])",
                   "pipeline"),
             "options.team.teamTasks[0].dependencies[0]: task 'a' cannot depend on 'b', which "
             "comes later in the pipeline"},
        });
}

BOOST_AUTO_TEST_CASE(job_ids_that_are_not_canonical_uuids_are_404_without_touching_files) {
    std::string upper = SharedServer::job_id;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char ch) { return std::toupper(ch); });
    std::string no_dashes = SharedServer::job_id;
    std::erase(no_dashes, '-');
    const std::vector<std::string> ids{"..%2F..%2Fetc",
                                       "..%2F..%2Fetc%2Fpasswd",
                                       "%2e%2e%2f%2e%2e%2fetc",
                                       "%00",
                                       SharedServer::job_id + "%00",
                                       "..",
                                       ".",
                                       upper,
                                       no_dashes,
                                       SharedServer::job_id + "x",
                                       "00000000-0000-0000-0000-000000000000" /* not v4 */};
    for (auto& id : ids) {
        BOOST_TEST_CONTEXT("job id " << id) {
            const std::string base = "/v1/jobs/" + id;
            for (auto& path : {base, base + "/team", base + "/team/mailbox", base + "/events"})
                BOOST_TEST(error_message(client.get(path), 404) == "Cannot GET " + path);
            expect_error(client.get("/v1/runs/" + id), 404);
            expect_error(client.request("POST", base + "/actions/cancel"), 404);
            expect_error(client.post_json(base + "/team/mailbox",
                                          json::parse(R"({"kind":"notice","message":"x"})")),
                         404);
        }
    }
    for (auto path : {"/v1/jobs/../../etc/passwd", "/v1/jobs/..", "/v1/jobs/../jobs",
                      "/v1/jobs//etc/passwd", "/v1/runs/../../../../etc/passwd"})
        expect_error(client.get(path), 404);
    for (auto task : {"..%2F..%2Fetc", "..", "%00", "a%2Fb"}) {
        auto path = job() + "/team/tasks/" + task + "/logs";
        BOOST_TEST(error_message(client.get(path), 404) == "Cannot GET " + path);
    }
    // The real id, for contrast, is found.
    BOOST_TEST(client.get(job()).status == 200);
}

BOOST_AUTO_TEST_CASE(ten_thousand_headers_are_431_and_the_server_stays_up) {
    std::string headers;
    for (int i = 0; i < 10000; ++i)
        headers += "X-Header-" + std::to_string(i) + ": value\r\n";
    auto answer =
        client.raw_exchange(raw_request("GET", "/v1/healthz", headers), std::chrono::seconds(10));
    BOOST_TEST(answer.starts_with("HTTP/1.1 431"), answer.substr(0, 200));
    BOOST_TEST(answer.find(R"("statusCode":431)") != std::string::npos);
    auto one_huge = client.raw_exchange(
        raw_request("GET", "/v1/healthz", "X-Big: " + std::string(64 * 1024, 'b') + "\r\n"),
        std::chrono::seconds(10));
    BOOST_TEST(one_huge.starts_with("HTTP/1.1 431"), one_huge.substr(0, 200));
    // Also through a regular client with 10 000 distinct header fields.
    Headers many;
    for (int i = 0; i < 10000; ++i)
        many.emplace("X-Field-" + std::to_string(i), "v");
    HttpClient other(port());
    auto r = other.request("POST", "/v1/jobs", dump(job_body()), many);
    BOOST_TEST(error_message(r, 431) == "request headers are too large");
}

BOOST_AUTO_TEST_CASE(a_client_that_stalls_in_its_header_is_cut_off) {
    // The server runs with --header-timeout 1; other clients are served meanwhile.
    StallResult half, silent;
    std::thread half_header([&] {
        HttpClient raw(port());
        half = raw.raw_stall("POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty",
                             std::chrono::seconds(6));
    });
    std::thread nothing_sent(
        [&] { silent = HttpClient(port()).raw_stall("", std::chrono::seconds(6)); });
    HttpClient other(port());
    BOOST_TEST(other.get("/v1/healthz").status == 200);
    half_header.join();
    nothing_sent.join();
    BOOST_TEST(half.closed_by_server);
    BOOST_TEST(half.received.empty(), half.received);
    BOOST_TEST(half.elapsed.count() >= 800);
    BOOST_TEST(half.elapsed.count() < 4000);
    BOOST_TEST(silent.closed_by_server);
    BOOST_TEST(silent.elapsed.count() >= 800);
    BOOST_TEST(silent.elapsed.count() < 4000);
}

BOOST_AUTO_TEST_CASE(malformed_http_is_400) {
    auto garbage = client.raw_exchange("GARBAGE\r\n\r\n", std::chrono::seconds(5));
    BOOST_TEST(garbage.starts_with("HTTP/1.1 400"), garbage.substr(0, 200));
    auto bad_length = client.raw_exchange(
        raw_request("POST", "/v1/jobs", "Content-Length: abc\r\n"), std::chrono::seconds(5));
    BOOST_TEST(bad_length.starts_with("HTTP/1.1 400"), bad_length.substr(0, 200));
    auto bad_query = client.get("/v1/jobs?limit=%zz");
    BOOST_TEST(error_message(bad_query, 400) == "malformed query string");
}

BOOST_AUTO_TEST_SUITE_END()
