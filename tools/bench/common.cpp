// What the scenarios share.
#include "tools/bench/common.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sys/resource.h>

#include <cmath>
#include <random>

namespace omx::bench {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

asio::awaitable<void> sleep_for(Clock::duration d) {
    auto executor = co_await asio::this_coro::executor; // named, not in the co_await (GCC 12)
    asio::steady_timer timer(executor);
    timer.expires_after(d);
    auto token = asio::as_tuple(asio::use_awaitable);
    co_await timer.async_wait(token);
}

asio::awaitable<bool> WaitGroup::wait(Clock::time_point deadline) {
    auto none_left = [this] { return count_ <= 0; };
    co_return co_await notifier_.wait_until(none_left, deadline);
}

asio::awaitable<bool> call(Connection& c, const Url& url, const std::string& raw, Response& out) {
    if (!c.is_open()) { // GCC 12: no co_await inside && or ||
        bool connected = co_await c.connect(url.endpoint);
        if (!connected) co_return false;
    }
    bool answered = co_await c.roundtrip(raw, out, true);
    co_return answered;
}

asio::awaitable<std::optional<json::value>> get_json(Connection& c, const Url& url, const std::string& target,
                                                     std::string& error) {
    auto raw = raw_request(url, "GET", target, {}, "Accept: application/json\r\n");
    Response res;
    if (!co_await call(c, url, raw, res)) {
        error = "GET " + target + ": " + c.error();
        co_return std::nullopt;
    }
    if (res.status != 200) {
        error = "GET " + target + ": status " + std::to_string(res.status) + " " + res.body.substr(0, 300);
        co_return std::nullopt;
    }
    boost::system::error_code ec;
    auto v = json::parse(res.body, ec);
    if (ec) {
        error = "GET " + target + ": not JSON: " + res.body.substr(0, 300);
        co_return std::nullopt;
    }
    co_return v;
}

asio::awaitable<std::optional<Response>> post_json(Connection& c, const Url& url, const std::string& target,
                                                   const std::string& body, std::string& error) {
    auto raw = raw_request(url, "POST", target, body);
    Response res;
    if (!co_await call(c, url, raw, res)) {
        error = "POST " + target + ": " + c.error();
        co_return std::nullopt;
    }
    co_return res;
}

asio::awaitable<std::optional<std::string>> create_job(Connection& c, const Url& url, const std::string& body,
                                                       std::string& error) {
    auto res = co_await post_json(c, url, "/v1/jobs", body, error);
    if (!res) co_return std::nullopt;
    if (res->status != 201) {
        error = "POST /v1/jobs: status " + std::to_string(res->status) + " " + res->body.substr(0, 300);
        co_return std::nullopt;
    }
    boost::system::error_code ec;
    auto v = json::parse(res->body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("jobId") || !v.as_object().at("jobId").is_string()) {
        error = "POST /v1/jobs: no jobId in " + res->body.substr(0, 300);
        co_return std::nullopt;
    }
    co_return std::string(v.as_object().at("jobId").as_string());
}

std::string job_body(const std::string& task, const json::object& options) {
    json::object body{{"provider", "codex"}, {"mode", "team"}, {"repo", "acme/widget"}, {"ref", "main"},
                      {"task", task}};
    if (!options.empty()) body["options"] = options;
    return json::serialize(body);
}

const json::value* find(const json::value& doc, std::string_view pointer) {
    boost::system::error_code ec;
    auto* v = doc.find_pointer(pointer, ec);
    return ec ? nullptr : v;
}

std::string str_at(const json::value& doc, std::string_view pointer) {
    auto* v = find(doc, pointer);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t int_at(const json::value& doc, std::string_view pointer, std::int64_t fallback) {
    auto* v = find(doc, pointer);
    if (!v) return fallback;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
    return fallback;
}

long raise_fd_limit() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return -1;
    if (r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &r);
        ::getrlimit(RLIMIT_NOFILE, &r);
    }
    return static_cast<long>(r.rlim_cur);
}

std::string random_hex(int digits) {
    static std::mt19937_64 gen{std::random_device{}()};
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < digits; ++i) s += hex[gen() & 15];
    return s;
}

std::string with_thousands(double v) {
    auto n = static_cast<long long>(std::llround(v));
    auto s = std::to_string(n < 0 ? -n : n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), " ");
    return (n < 0 ? "-" : "") + s;
}

} // namespace omx::bench
