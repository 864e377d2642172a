// The omxd command line (operations.md, Starting it): --help, bad
// configuration as a one-line error with exit code 2 (never a half-started
// server), environment variables with flags winning, log format and level,
// --time-scale, --max-body, and --threads N under concurrent clients.
#define BOOST_TEST_MODULE cli
#include <boost/test/unit_test.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json_util.hpp"
#include "tests/support/omxd_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_backend.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace omx::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

json::object job_body(const std::string& task = "a job from the cli test") {
    return {{"provider", "codex"}, {"mode", "team"}, {"repo", "acme/widgets"},
            {"ref", "main"},       {"task", task},   {"options", {{"requireApproval", true}}}};
}

// A run that must fail as bad configuration: exit 2, one line "omxd: ...".
void expect_config_error(const std::vector<std::string>& args, const OmxdProcess::Env& env,
                         const std::string& mentions, const fs::path& state_dir) {
    std::string shown;
    for (const auto& a : args)
        shown += " " + a;
    for (const auto& [k, v] : env)
        shown = " " + k + "=" + v + shown;
    BOOST_TEST_CONTEXT("omxd" << shown) {
        auto run = OmxdProcess::run_and_capture(args, 10s, env);
        BOOST_CHECK_EQUAL(run.exit_code, 2);
        BOOST_CHECK_MESSAGE(run.output.starts_with("omxd: "), "output: " << run.output);
        BOOST_CHECK_MESSAGE(run.output.ends_with("\n") &&
                                std::count(run.output.begin(), run.output.end(), '\n') == 1,
                            "not exactly one line: " << run.output);
        BOOST_CHECK_MESSAGE(run.output.find(mentions) != std::string::npos,
                            "the message does not mention '" << mentions << "': " << run.output);
        BOOST_CHECK_MESSAGE(!fs::exists(state_dir), "a half-started server created " << state_dir);
    }
}

// A port that was free a moment ago (for servers whose log does not say it).
std::uint16_t free_port() {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

int wait_clean(OmxdProcess& server) {
    auto status = server.stop(15s);
    BOOST_CHECK_MESSAGE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                        "omxd: " << describe_wait_status(status) << "; log:\n"
                                 << server.stderr_text());
    return status;
}

} // namespace

// `omxd --help` exits 0 and lists every flag with its default and variable.
BOOST_AUTO_TEST_CASE(help_lists_every_flag) {
    auto run = OmxdProcess::run_and_capture({"--help"});
    BOOST_CHECK_EQUAL(run.exit_code, 0);
    const std::vector<std::pair<std::string, std::string>> flags{
        {"--listen", "OMX_LISTEN"},         {"--state-dir", "OMX_STATE_ROOT"},
        {"--fsync", "OMX_FSYNC"},           {"--threads", "OMX_THREADS"},
        {"--log-format", "OMX_LOG_FORMAT"}, {"--log-level", "OMX_LOG_LEVEL"},
        {"--max-body", "OMX_MAX_BODY"},     {"--time-scale", "OMX_TIME_SCALE"}};
    auto lines = lines_of(run.output);
    for (const auto& [flag, env] : flags) {
        auto line = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) {
            return l.find("  " + flag + " ") == 0;
        });
        BOOST_REQUIRE_MESSAGE(line != lines.end(), flag << " is not listed:\n" << run.output);
        BOOST_CHECK_MESSAGE(line->find("default") != std::string::npos,
                            "no default shown: " << *line);
        BOOST_CHECK_MESSAGE(line->find(env) != std::string::npos, "no variable shown: " << *line);
    }
    BOOST_CHECK(run.output.find("always|interval|off") != std::string::npos);
    BOOST_CHECK(run.output.find("text|json") != std::string::npos);
    BOOST_CHECK(run.output.find("--help") != std::string::npos);

    auto serve_help = OmxdProcess::run_and_capture({"serve", "--help"});
    BOOST_CHECK_EQUAL(serve_help.exit_code, 0);
    BOOST_CHECK_EQUAL(serve_help.output, run.output);
}

// Bad configuration: one line, exit 2, and nothing started (the state
// directory is not even created).
BOOST_AUTO_TEST_CASE(bad_configuration_is_one_line_and_exit_2) {
    TempDir dir("omx-cli");
    int n = 0;
    auto bad = [&](std::vector<std::string> extra, const std::string& mentions,
                   OmxdProcess::Env env = {}) {
        auto state = dir.path() / ("state-" + std::to_string(++n));
        std::vector<std::string> args{"serve", "--state-dir", state.string(), "--listen",
                                      "127.0.0.1:0"};
        args.insert(args.end(), extra.begin(), extra.end());
        expect_config_error(args, env, mentions, state);
    };
    bad({"--bogus"}, "--bogus");
    bad({"--fsync", "sometimes"}, "--fsync");
    bad({"--fsync=sometimes"}, "--fsync");
    bad({"--threads", "0"}, "--threads");
    bad({"--threads", "many"}, "--threads");
    bad({"--threads"}, "--threads"); // no value
    bad({"--listen", "nonsense"}, "--listen");
    bad({"--listen", "127.0.0.1:99999"}, "--listen");
    bad({"--listen", "localhost:8080"}, "--listen"); // binds addresses, not names
    bad({"--time-scale", "-1"}, "--time-scale");
    bad({"--time-scale", "0"}, "--time-scale");
    bad({"--max-body", "abc"}, "--max-body");
    bad({"--log-format", "xml"}, "--log-format");
    bad({"--log-level", "loud"}, "--log-level");
    // From the environment, naming the variable.
    bad({}, "OMX_FSYNC", {{"OMX_FSYNC", "bogus"}});
    bad({}, "OMX_THREADS", {{"OMX_THREADS", "0"}});
    bad({}, "OMX_TIME_SCALE", {{"OMX_TIME_SCALE", "-1"}});
    bad({}, "PORT", {{"PORT", "eighty"}});

    auto missing = dir.path() / "state-missing";
    expect_config_error({}, {}, "serve", missing); // missing command
    expect_config_error({"frobnicate", "--state-dir", missing.string()}, {}, "frobnicate", missing);
}

// Flags win over the environment: each variable below would change the run
// (OMX_LISTEN names a port that is taken) but a flag overrides it.
BOOST_AUTO_TEST_CASE(flags_win_over_environment) {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor taken(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    auto taken_port = taken.local_endpoint().port();
    OmxdProcess server;
    server.start({"--log-format", "text", "--fsync", "interval", "--max-body", "4096"},
                 {{"OMX_LISTEN", "127.0.0.1:" + std::to_string(taken_port)},
                  {"OMX_LOG_FORMAT", "json"},
                  {"OMX_FSYNC", "off"},
                  {"OMX_MAX_BODY", "1024"}});
    BOOST_CHECK_NE(server.port(), taken_port);
    auto log = server.stderr_text();
    for (const auto& line : lines_of(log))
        BOOST_CHECK_MESSAGE(!line.starts_with("{"), "a JSON line: " << line);
    if (!on_redis_backend()) BOOST_CHECK_MESSAGE(log.find("fsync=interval") != std::string::npos, log);
    HttpClient http(server.port());
    auto r = http.post_json("/v1/jobs", job_body(std::string(2000, 'x'))); // > 1024, < 4096
    BOOST_CHECK_EQUAL(r.status, 201);
    wait_clean(server);
}

// The environment alone configures the server.
BOOST_AUTO_TEST_CASE(environment_variables_configure_the_server) {
    OmxdProcess server;
    server.start({}, {{"OMX_LOG_FORMAT", "json"}, {"OMX_FSYNC", "off"}, {"OMX_MAX_BODY", "2048"}});
    HttpClient http(server.port());
    BOOST_CHECK_EQUAL(http.post_json("/v1/jobs", job_body(std::string(3000, 'x'))).status, 413);
    BOOST_CHECK_EQUAL(http.post_json("/v1/jobs", job_body()).status, 201);
    wait_clean(server);
    bool saw_fsync = false;
    for (const auto& line : lines_of(server.stderr_text())) {
        auto v = parse(line);
        if (has(v, "/fsync")) saw_fsync = str(v, "/fsync") == "off";
    }
    if (!on_redis_backend()) BOOST_CHECK_MESSAGE(saw_fsync, "no fsync=off in:\n" << server.stderr_text());
}

// --log-format json: every log line is one JSON object with time, level and
// msg; the access log carries method, path, status, bytes and µs.
BOOST_AUTO_TEST_CASE(log_format_json_writes_json_lines) {
    OmxdProcess server;
    server.start({"--log-format", "json", "--log-level", "debug"});
    HttpClient http(server.port());
    BOOST_CHECK_EQUAL(http.post_json("/v1/jobs", job_body()).status, 201);
    BOOST_CHECK_EQUAL(http.get("/v1/jobs/00000000-0000-4000-8000-000000000000").status, 404);
    wait_clean(server);
    auto lines = lines_of(server.stderr_text());
    BOOST_REQUIRE_GE(lines.size(), 4u);
    int requests = 0;
    bool listening = false, stopped = false;
    for (const auto& line : lines) {
        BOOST_TEST_CONTEXT("log line " << line) {
            boost::system::error_code ec;
            auto v = json::parse(line, ec);
            BOOST_REQUIRE_MESSAGE(!ec && v.is_object(), "not a JSON object");
            BOOST_CHECK(at(v, "/time").is_string() && at(v, "/level").is_string() &&
                        at(v, "/msg").is_string());
            auto msg = str(v, "/msg");
            listening |= msg.starts_with("listening on http://127.0.0.1:");
            stopped |= msg == "stopped";
            if (msg == "request") {
                ++requests;
                for (const char* field : {"/method", "/path", "/status", "/bytes", "/us", "/rid"})
                    BOOST_CHECK_MESSAGE(has(v, field), "no " << field);
            }
        }
    }
    BOOST_CHECK_EQUAL(requests, 2);
    BOOST_CHECK(listening);
    BOOST_CHECK(stopped);
}

// --log-level warn: no info lines (the access log is info). Its own start-up
// since "listening on" is an info line: the test waits for /v1/healthz.
BOOST_AUTO_TEST_CASE(log_level_warn_hides_info_lines) {
    TempDir dir("omx-cli");
    auto port = free_port();
    auto log = dir.path() / "omxd.log";
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    BOOST_REQUIRE(fd >= 0);
    pid_t pid = spawn_child({OmxdProcess::binary_path(), "serve", "--listen",
                             "127.0.0.1:" + std::to_string(port), "--state-dir",
                             (dir.path() / "state").string(), "--log-level", "warn"},
                            {}, fd);
    ::close(fd);
    bool up = false;
    for (auto deadline = Clock::now() + 20s; !up && Clock::now() < deadline;) {
        try {
            up = HttpClient(port).request("GET", "/v1/healthz", "", {}, 1s).status == 200;
        } catch (const std::exception&) {
            std::this_thread::sleep_for(20ms);
        }
        if (wait_child(pid, 0ms)) break;
    }
    if (!up) kill_and_reap(pid);
    BOOST_REQUIRE_MESSAGE(up, "omxd --log-level warn did not answer; log:\n" << read_file(log));
    HttpClient http(port);
    BOOST_CHECK_EQUAL(http.post_json("/v1/jobs", job_body()).status, 201);
    ::kill(pid, SIGTERM);
    auto status = wait_child(pid, 15s);
    if (!status) status = kill_and_reap(pid);
    BOOST_CHECK_MESSAGE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0,
                        describe_wait_status(*status));
    for (const auto& line : lines_of(read_file(log)))
        BOOST_CHECK_MESSAGE(line.find(" info ") == std::string::npos &&
                                line.find(" debug ") == std::string::npos,
                            "below warn: " << line);
}

// --time-scale F other than 1 is logged loudly; --max-body is enforced.
BOOST_AUTO_TEST_CASE(time_scale_is_logged_and_max_body_enforced) {
    OmxdProcess server;
    server.start({"--time-scale", "0.5", "--max-body", "2048"});
    auto log = server.stderr_text();
    BOOST_CHECK_MESSAGE(
        log.find("TIME SCALE") != std::string::npos && log.find("0.5") != std::string::npos, log);
    HttpClient http(server.port());
    auto big = http.post_json("/v1/jobs", job_body(std::string(3000, 'x')));
    BOOST_CHECK_EQUAL(big.status, 413);
    BOOST_CHECK_EQUAL(HttpClient(server.port()).post_json("/v1/jobs", job_body()).status, 201);
    wait_clean(server);

    OmxdProcess plain;
    plain.start();
    BOOST_CHECK(plain.stderr_text().find("TIME SCALE") == std::string::npos);
    wait_clean(plain);
}

// --threads 4 under 8 client threads: 320 requests (creates, reads, mailbox
// posts, event pages) all answered correctly, and nothing lost.
BOOST_AUTO_TEST_CASE(threads_4_serves_concurrent_clients, *boost::unit_test::precondition(file_store_only)) {
    OmxdProcess server;
    server.start({"--threads", "4"});
    constexpr int clients = 8, rounds = 10;
    std::mutex mutex;
    std::vector<std::string> failures, ids;
    int answered = 0;
    auto client = [&](int c) {
        HttpClient http(server.port());
        auto fail = [&](const std::string& what) {
            std::lock_guard lock(mutex);
            failures.push_back("client " + std::to_string(c) + ": " + what);
        };
        int ok = 0;
        try {
            for (int r = 0; r < rounds; ++r) {
                auto task = "client " + std::to_string(c) + " round " + std::to_string(r);
                auto created = http.post_json("/v1/jobs", job_body(task));
                if (created.status != 201)
                    return fail("create: " + std::to_string(created.status) + created.body);
                auto id = str(created.json(), "/jobId");
                ++ok;
                auto job = http.get("/v1/jobs/" + id);
                if (job.status != 200 || str(job.json(), "/id") != id ||
                    str(job.json(), "/task") != task)
                    return fail("get " + id + ": " + job.body);
                ++ok;
                json::object msg{{"kind", "notice"}, {"to", "leader"}, {"message", task}};
                auto posted = http.post_json("/v1/jobs/" + id + "/team/mailbox", msg);
                if (posted.status != 201 || str(posted.json(), "/message") != task)
                    return fail("mailbox " + id + ": " + posted.body);
                ++ok;
                auto page =
                    http.get("/v1/jobs/" + id + "/events", {{"Accept", "application/json"}});
                auto items =
                    page.status == 200 ? at(page.json(), "/items").as_array() : json::array{};
                if (items.size() != 3 || num(items[2], "/seq") != 3 ||
                    str(items[2], "/type") != "team.mailbox.received")
                    return fail("events " + id + ": " + page.body);
                ++ok;
                std::lock_guard lock(mutex);
                ids.push_back(id);
            }
        } catch (const std::exception& e) {
            fail(e.what());
        }
        std::lock_guard lock(mutex);
        answered += ok;
    };
    auto started = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c)
        threads.emplace_back(client, c);
    for (auto& t : threads)
        t.join();
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    BOOST_TEST_MESSAGE(answered << " requests answered correctly in " << took.count() << " ms");
    BOOST_CHECK_MESSAGE(failures.empty(), failures.size()
                                              << " failures, first: "
                                              << (failures.empty() ? "" : failures.front()));
    BOOST_CHECK_EQUAL(answered, clients * rounds * 4);

    HttpClient http(server.port());
    auto list = http.get("/v1/jobs?limit=500").json();
    BOOST_CHECK_EQUAL(at(list, "/items").as_array().size(),
                      static_cast<std::size_t>(clients * rounds));
    std::set<std::string> unique(ids.begin(), ids.end());
    BOOST_CHECK_EQUAL(unique.size(), static_cast<std::size_t>(clients * rounds));
    wait_clean(server);
}
