// Helpers of the API integration tests: a server on its own temp dir, valid
// request bodies, job creation, and checks of the uniform error body.
// Include after <boost/test/unit_test.hpp> (the test file defines the module).
#pragma once

#include "tests/support/http_client.hpp"
#include "tests/support/json_util.hpp"
#include "tests/support/omxd_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace omx::test {

namespace json = boost::json;

// omxd on a fresh temp dir, with its work root inside it too, so that a test
// never writes outside its own directory.
struct Server {
    explicit Server(std::vector<std::string> args = {}) : args_(std::move(args)) {
        args_.insert(args_.end(), {"--work-root", (process.log_dir() / "runs").string()});
        process.start(args_);
    }
    // Starts it again on the same state dir (after a crash or stop).
    void restart() { process.start(args_); }
    HttpClient client() const { return HttpClient(process.port()); }

    OmxdProcess process;

  private:
    std::vector<std::string> args_;
};

// A valid creation body.
inline json::object job_body(std::string_view mode = "team", std::string_view provider = "codex") {
    return {{"provider", provider},
            {"mode", mode},
            {"repo", "acme/widget"},
            {"ref", "main"},
            {"task", "Add a --verbose flag to the CLI"}};
}

inline json::object with_options(json::object body, json::object options) {
    body["options"] = std::move(options);
    return body;
}

inline bool is_uuid_v4(std::string_view s) {
    static const std::regex re(
        "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    return std::regex_match(s.begin(), s.end(), re);
}

// RFC 3339 UTC with milliseconds (api.md).
inline bool is_timestamp(const json::value& v) {
    static const std::regex re(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)");
    return v.is_string() && std::regex_match(std::string(v.get_string()), re);
}

inline std::set<std::string> keys_of(const json::value& v) {
    std::set<std::string> keys;
    for (auto& entry : v.as_object())
        keys.emplace(entry.key());
    return keys;
}

inline std::string json_text(const json::value& v) {
    return dump(v);
}

inline HttpResponse post_text(HttpClient& c, std::string_view target, std::string body,
                              std::string_view content_type = "application/json") {
    Headers headers;
    if (!content_type.empty()) headers.emplace("Content-Type", std::string(content_type));
    return c.request("POST", target, std::move(body), std::move(headers));
}

inline std::string reason_of(int status) {
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    }
    return "?";
}

// Checks the status and the error body {message, error, statusCode}; returns the body.
inline json::value expect_error(const HttpResponse& r, int status) {
    BOOST_TEST_REQUIRE(r.status == status, "status " + std::to_string(r.status) + ", wanted " +
                                               std::to_string(status) + ": " + r.body);
    BOOST_TEST(r.header("content-type") == "application/json");
    auto body = r.json();
    BOOST_TEST((keys_of(body) == std::set<std::string>{"message", "error", "statusCode"}), r.body);
    BOOST_TEST(str(body, "/error") == reason_of(status));
    BOOST_TEST(num(body, "/statusCode") == status);
    const auto& message = at(body, "/message");
    BOOST_TEST((message.is_string() || message.is_array()), r.body);
    return body;
}

// The message string of an error that is not a validation failure.
inline std::string error_message(const HttpResponse& r, int status) {
    auto body = expect_error(r, status);
    BOOST_TEST_REQUIRE(at(body, "/message").is_string(), r.body);
    return str(body, "/message");
}

// A validation failure: 400 with `message` an array of strings; returns them.
inline std::vector<std::string> problems_of(const HttpResponse& r) {
    auto body = expect_error(r, 400);
    BOOST_TEST_REQUIRE(at(body, "/message").is_array(), r.body);
    std::vector<std::string> out;
    for (auto& p : at(body, "/message").get_array()) {
        BOOST_TEST_REQUIRE(p.is_string(), r.body);
        out.emplace_back(p.get_string());
    }
    BOOST_TEST(!out.empty());
    return out;
}

inline bool has_problem(const std::vector<std::string>& problems, std::string_view wanted) {
    return std::find(problems.begin(), problems.end(), wanted) != problems.end();
}

inline std::string joined(const std::vector<std::string>& problems) {
    std::string out;
    for (auto& p : problems)
        out += (out.empty() ? "" : " | ") + p;
    return out;
}

// POSTs a creation body; requires 201 and returns the job id.
inline std::string create_job(HttpClient& c, const json::value& body, Headers headers = {},
                              std::string_view target = "/v1/jobs") {
    auto r = c.post_json(target, body, std::move(headers));
    BOOST_TEST_REQUIRE(r.status == 201, "create: " + std::to_string(r.status) + " " + r.body);
    return str(r.json(), "/jobId");
}

inline json::value get_json(HttpClient& c, std::string_view target) {
    auto r = c.get(target);
    BOOST_TEST_REQUIRE(r.status == 200, "GET " + std::string(target) + ": " +
                                            std::to_string(r.status) + " " + r.body);
    return r.json();
}

inline std::string job_url(const std::string& id) {
    return "/v1/jobs/" + id;
}

inline HttpResponse action(HttpClient& c, const std::string& id, std::string_view name,
                           std::string body = "") {
    auto target = job_url(id) + "/actions/" + std::string(name);
    return body.empty() ? c.request("POST", target) : post_text(c, target, std::move(body));
}

// Every event of a job, from the JSON page of its log.
inline json::array events_of(HttpClient& c, const std::string& id) {
    auto r = c.get(job_url(id) + "/events?limit=1000", {{"Accept", "application/json"}});
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    return at(r.json(), "/items").as_array();
}

inline std::vector<std::string> event_types(const json::array& events) {
    std::vector<std::string> types;
    for (auto& e : events)
        types.push_back(str(e, "/type"));
    return types;
}

// Jobs in the store, from the overview's counters.
inline std::int64_t job_count(HttpClient& c) {
    return num(get_json(c, "/v1/monitor/overview"), "/jobs/total");
}

// Polls until pred() holds or the timeout passes; returns whether it held.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

} // namespace omx::test
