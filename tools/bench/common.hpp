// What the scenarios share: waiting on the one io_context, JSON calls of the
// API over a Connection, job bodies, the file limit.
#pragma once

#include "tools/bench/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace omx::bench {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0);

asio::awaitable<void> sleep_for(Clock::duration d);

// A waiter woken by notify() (one waiter at a time; single-threaded io_context).
class Notifier {
public:
    explicit Notifier(const asio::any_io_executor& ex) : timer_(ex) {}
    void notify() { timer_.cancel(); }
    // Waits until pred() holds (true) or the deadline passes (false). Pass a
    // named predicate (GCC 12: no lambda inside a co_await expression).
    template <class Pred>
    asio::awaitable<bool> wait_until(const Pred& pred, Clock::time_point deadline);

private:
    asio::steady_timer timer_;
};

// Counts running coroutines; wait() returns when all called done().
class WaitGroup {
public:
    explicit WaitGroup(const asio::any_io_executor& ex) : notifier_(ex) {}
    void add(int n = 1) { count_ += n; }
    void done() {
        if (--count_ == 0) notifier_.notify();
    }
    int count() const { return count_; }
    asio::awaitable<bool> wait(Clock::time_point deadline = Clock::time_point::max());

private:
    Notifier notifier_;
    int count_ = 0;
};

// One call on `c` (connected first when it is not); the body is kept.
asio::awaitable<bool> call(Connection& c, const Url& url, const std::string& raw, Response& out);

// GET target as JSON (200 expected); nullopt with `error` set otherwise.
asio::awaitable<std::optional<json::value>> get_json(Connection& c, const Url& url, const std::string& target,
                                                     std::string& error);
// POST a JSON body; the response (any status) or nullopt on a network error.
asio::awaitable<std::optional<Response>> post_json(Connection& c, const Url& url, const std::string& target,
                                                   const std::string& body, std::string& error);
// POST /v1/jobs: the new job's id, or nullopt with `error`.
asio::awaitable<std::optional<std::string>> create_job(Connection& c, const Url& url, const std::string& body,
                                                       std::string& error);

// {"provider":"codex","mode":"team","repo":"acme/widget","ref":"main","task":…[,"options":…]}
std::string job_body(const std::string& task, const json::object& options = {});

// The JSON Pointer's value, or nullptr when absent.
const json::value* find(const json::value& doc, std::string_view pointer);
std::string str_at(const json::value& doc, std::string_view pointer);
std::int64_t int_at(const json::value& doc, std::string_view pointer, std::int64_t fallback = 0);

// Raises RLIMIT_NOFILE to its hard limit; returns the new soft limit.
long raise_fd_limit();

std::string random_hex(int digits);

// Hands every complete SSE frame (up to its blank line) at the start of
// `pending` to on_frame, then drops them; an incomplete frame stays.
template <class OnFrame>
void take_frames(std::string& pending, OnFrame&& on_frame) {
    std::string_view data(pending);
    std::size_t pos = 0;
    for (auto end = data.find("\n\n"); end != std::string_view::npos; end = data.find("\n\n", pos)) {
        on_frame(data.substr(pos, end - pos));
        pos = end + 2;
    }
    pending.erase(0, pos);
}

// "12 345" style thousands for human lines.
std::string with_thousands(double v);

template <class Pred>
asio::awaitable<bool> Notifier::wait_until(const Pred& pred, Clock::time_point deadline) {
    while (!pred()) {
        if (Clock::now() >= deadline) co_return false;
        timer_.expires_at(deadline);
        auto token = asio::as_tuple(asio::use_awaitable);
        co_await timer_.async_wait(token);
    }
    co_return true;
}

} // namespace omx::bench
