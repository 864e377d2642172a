// Server-Sent Events against the real omxd (api.md, "Server-Sent Events"): headers,
// envelope, replay, Last-Event-ID / tail resume, end of stream, 204, keepalives,
// the JSON page, the monitor stream and the cut-off of a reader that does not read.
#define BOOST_TEST_MODULE sse
#include <boost/test/unit_test.hpp>
#include <sstream>
#include <fstream>

#include "tests/support/http_client.hpp"
#include "tests/support/json_util.hpp"
#include "tests/support/omxd_process.hpp"
#include "tests/support/sse_client.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <filesystem>
#include <thread>
#include <vector>

namespace json = boost::json;
using namespace omx::test;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

namespace fs = std::filesystem;

constexpr milliseconds wait = 10s; // bound of every single wait in this file

// omxd with fast appends (durability is not the point here) plus extra flags.
struct Server {
    OmxdProcess omxd;
    explicit Server(std::vector<std::string> extra = {}) {
        extra.insert(extra.end(), {"--fsync", "off"});
        omxd.start(extra);
    }
    std::uint16_t port() const { return omxd.port(); }
    // Sockets the server holds open (listening socket and connections).
    // omxd's sockets on its HTTP port (its connections to Redis, which come
    // and go with the work, are not counted).
    int open_sockets() const {
        std::set<std::string> http_inodes; // of TCP sockets whose local port is omxd's
        std::ifstream tcp("/proc/" + std::to_string(omxd.pid()) + "/net/tcp");
        std::string line;
        std::getline(tcp, line); // the header
        while (std::getline(tcp, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
            fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
            auto colon = local.find(':');
            if (colon != std::string::npos && std::stoul(local.substr(colon + 1), nullptr, 16) == omxd.port())
                http_inodes.insert(inode);
        }
        int n = 0;
        for (auto& fd : fs::directory_iterator("/proc/" + std::to_string(omxd.pid()) + "/fd")) {
            std::error_code ec;
            auto target = fs::read_symlink(fd.path(), ec).string();
            if (!ec && target.starts_with("socket:[") && http_inodes.count(target.substr(8, target.size() - 9))) ++n;
        }
        return n;
    }
};

std::string create_job(HttpClient& http, bool require_approval = false) {
    json::object body{{"provider", "codex"},
                      {"mode", "team"},
                      {"repo", "acme/widgets"},
                      {"ref", "main"},
                      {"task", "stream some events"}};
    if (require_approval) body["options"] = json::object{{"requireApproval", true}};
    auto res = http.post_json("/v1/jobs", body);
    BOOST_REQUIRE_MESSAGE(res.status == 201, "create job: " << res.status << " " << res.body);
    return str(res.json(), "/jobId");
}

// One mailbox notice: one team.mailbox.received event. Throws rather than
// asserting: worker threads use it too (Boost.Test assertions are not thread-safe).
void post_notice(HttpClient& http, const std::string& job, const std::string& text,
                 std::optional<json::object> payload = std::nullopt,
                 std::optional<json::object> meta = std::nullopt) {
    json::object body{{"kind", "notice"}, {"message", text}};
    if (payload) body["payload"] = std::move(*payload);
    if (meta) body["meta"] = std::move(*meta);
    auto res = http.post_json("/v1/jobs/" + job + "/team/mailbox", body);
    if (res.status != 201)
        throw std::runtime_error("post message: " + std::to_string(res.status) + " " + res.body);
}

void job_action(HttpClient& http, const std::string& job, const std::string& action) {
    auto res = http.post_json("/v1/jobs/" + job + "/actions/" + action, json::object{});
    BOOST_REQUIRE_MESSAGE(res.status == 200, action << ": " << res.status << " " << res.body);
}

// The id line of an event; throws if it has none (used on worker threads too).
std::uint64_t id_of(const SseEvent& e) {
    if (!e.id) throw std::runtime_error("event '" + e.event + "' has no id line: " + e.data);
    return std::stoull(*e.id);
}

// The envelope of a job-stream event: exactly the api.md fields, seq equal to
// the id line, type equal to the event name.
json::value check_envelope(const SseEvent& e, const std::string& job) {
    auto data = parse(e.data);
    BOOST_REQUIRE(data.is_object());
    std::set<std::string> keys;
    for (auto& kv : data.get_object())
        keys.insert(std::string(kv.key()));
    BOOST_TEST((keys == std::set<std::string>{"seq", "id", "jobId", "type", "message", "payload",
                                              "createdAt"}),
               "envelope fields of " << e.data);
    BOOST_TEST(num(data, "/seq") == static_cast<std::int64_t>(id_of(e)));
    BOOST_TEST(str(data, "/jobId") == job);
    BOOST_TEST(str(data, "/type") == e.event);
    BOOST_TEST(at(data, "/payload").is_object());
    static const std::regex uuid(
        "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    static const std::regex rfc3339("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$");
    BOOST_TEST(std::regex_match(str(data, "/id"), uuid), "event id " << str(data, "/id"));
    BOOST_TEST(std::regex_match(str(data, "/createdAt"), rfc3339),
               "createdAt " << str(data, "/createdAt"));
    return data;
}

std::vector<std::uint64_t> ids_of(const std::vector<SseEvent>& events) {
    std::vector<std::uint64_t> ids;
    for (auto& e : events)
        ids.push_back(id_of(e));
    return ids;
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
    std::vector<std::uint64_t> v;
    for (auto i = first; i <= last; ++i)
        v.push_back(i);
    return v;
}

SseClient open_stream(std::uint16_t port, const std::string& target, Headers headers = {}) {
    SseClient c;
    c.open(port, target, std::move(headers), wait);
    return c;
}

void require_stream(const SseClient& c) {
    BOOST_REQUIRE_MESSAGE(c.status() == 200 &&
                              c.header("content-type").starts_with("text/event-stream"),
                          "expected an event stream, got " << c.status() << " " << c.body());
}

// The `event: end` frame: no id line, data exactly {"status","lastSeq"}.
void check_end(const SseEvent& e, const std::string& status, std::uint64_t last_seq) {
    BOOST_TEST(e.event == "end");
    BOOST_TEST(!e.id.has_value(), "the end event must not have an id line");
    auto data = parse(e.data);
    BOOST_TEST(data.is_object());
    BOOST_TEST(data.as_object().size() == 2u, e.data);
    BOOST_TEST(str(data, "/status") == status);
    BOOST_TEST(num(data, "/lastSeq") == static_cast<std::int64_t>(last_seq));
}

// Events up to and including the end frame, then the server must close the stream.
std::vector<SseEvent> read_to_end(SseClient& c) {
    auto events = c.read_until_closed(wait);
    BOOST_REQUIRE(!events.empty());
    BOOST_REQUIRE_MESSAGE(events.back().event == "end",
                          "last frame is '" << events.back().event << "'");
    BOOST_TEST(c.closed());
    return events;
}

// Runs f on a thread; join() rethrows what it threw.
class Worker {
  public:
    template <class F>
    explicit Worker(F f)
        : thread_([this, f = std::move(f)]() mutable {
              try {
                  f();
              } catch (...) {
                  error_ = std::current_exception();
              }
          }) {}
    ~Worker() {
        if (thread_.joinable()) thread_.join();
    }
    void join() {
        thread_.join();
        if (error_) std::rethrow_exception(error_);
    }

  private:
    std::exception_ptr error_;
    std::thread thread_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(sse)

BOOST_AUTO_TEST_CASE(full_replay_with_headers_retry_and_envelope_then_live_events) {
    Server server;
    HttpClient http(server.port());
    auto job = create_job(http, true); // queued + approval_required
    for (int i = 0; i < 3; ++i)
        post_notice(http, job, "note " + std::to_string(i));

    auto c = open_stream(server.port(), "/v1/jobs/" + job + "/events");
    require_stream(c);
    BOOST_TEST(c.header("content-type") == "text/event-stream");
    BOOST_TEST(c.header("cache-control") == "no-cache");
    BOOST_TEST(c.header("x-accel-buffering") == "no");

    auto events = c.next_events(5, wait);
    BOOST_TEST(c.transcript().starts_with("retry: 2000\n"),
               "first line of " << c.transcript().substr(0, 40));
    BOOST_TEST(c.retry_value().value_or(-1) == 2000);
    BOOST_TEST(ids_of(events) == range(1, 5), boost::test_tools::per_element());
    BOOST_TEST(events[0].event == "queued");
    BOOST_TEST(events[1].event == "approval_required");
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST(events[2 + i].event == "team.mailbox.received");
        auto data = check_envelope(events[2 + i], job);
        BOOST_TEST(str(data, "/payload/message/message") == "note " + std::to_string(i));
    }
    check_envelope(events[0], job);
    check_envelope(events[1], job);

    // The SSE data is the same envelope the JSON page returns.
    auto page = http.get("/v1/jobs/" + job + "/events", {{"Accept", "application/json"}});
    BOOST_REQUIRE_EQUAL(page.status, 200);
    auto items = at(page.json(), "/items").as_array();
    BOOST_REQUIRE_EQUAL(items.size(), 5u);
    for (std::size_t i = 0; i < items.size(); ++i)
        BOOST_TEST(items[i] == parse(events[i].data));

    // Live: a new message arrives on the open stream with the next seq.
    post_notice(http, job, "live one");
    auto live = c.next_event(wait);
    BOOST_REQUIRE(live);
    BOOST_TEST(id_of(*live) == 6u);
    BOOST_TEST(live->event == "team.mailbox.received");
    BOOST_TEST(str(check_envelope(*live, job), "/payload/message/message") == "live one");
    BOOST_TEST(!c.closed());

    // The /v1/runs alias serves the same stream.
    auto alias = open_stream(server.port(), "/v1/runs/" + job + "/events");
    require_stream(alias);
    auto again = alias.next_events(6, wait);
    for (std::size_t i = 0; i < 5; ++i)
        BOOST_TEST(again[i].data == events[i].data);
    BOOST_TEST(again[5].data == live->data);
}

BOOST_AUTO_TEST_CASE(unknown_job_is_404_and_bad_parameters_are_400_before_any_stream) {
    Server server;
    HttpClient http(server.port());
    auto c = open_stream(server.port(), "/v1/jobs/0b0e3c4c-8c38-4c5e-9d0e-6f2f3a1b2c3d/events");
    BOOST_TEST(c.status() == 404);
    BOOST_TEST(c.header("content-type").starts_with("application/json"));
    auto body = parse(c.body());
    BOOST_TEST(num(body, "/statusCode") == 404);
    BOOST_TEST(has(body, "/message"));
    BOOST_TEST(has(body, "/error"));
    BOOST_TEST(c.closed());

    auto not_uuid = open_stream(server.port(), "/v1/jobs/not-a-job/events");
    BOOST_TEST(not_uuid.status() == 404);

    auto job = create_job(http);
    auto bad_id =
        open_stream(server.port(), "/v1/jobs/" + job + "/events", {{"Last-Event-ID", "abc"}});
    BOOST_TEST(bad_id.status() == 400);
    BOOST_TEST(num(parse(bad_id.body()), "/statusCode") == 400);
    auto bad_tail = open_stream(server.port(), "/v1/jobs/" + job + "/events?tail=-1");
    BOOST_TEST(bad_tail.status() == 400);
    auto unknown_param = open_stream(server.port(), "/v1/jobs/" + job + "/events?bogus=1");
    BOOST_TEST(unknown_param.status() == 400);
}

BOOST_AUTO_TEST_CASE(last_event_id_header_and_query_and_tail) {
    Server server;
    HttpClient http(server.port());
    auto job = create_job(http);
    for (int i = 0; i < 9; ++i)
        post_notice(http, job, "m" + std::to_string(i)); // seqs 1..10
    auto target = "/v1/jobs/" + job + "/events";

    auto header = open_stream(server.port(), target, {{"Last-Event-ID", "4"}});
    require_stream(header);
    BOOST_TEST(ids_of(header.next_events(6, wait)) == range(5, 10),
               boost::test_tools::per_element());

    auto query = open_stream(server.port(), target + "?lastEventId=7");
    require_stream(query);
    BOOST_TEST(ids_of(query.next_events(3, wait)) == range(8, 10),
               boost::test_tools::per_element());

    auto tail = open_stream(server.port(), target + "?tail=3");
    require_stream(tail);
    BOOST_TEST(ids_of(tail.next_events(3, wait)) == range(8, 10), boost::test_tools::per_element());

    auto long_tail = open_stream(server.port(), target + "?tail=100");
    require_stream(long_tail);
    BOOST_TEST(ids_of(long_tail.next_events(10, wait)) == range(1, 10),
               boost::test_tools::per_element());

    auto no_replay = open_stream(server.port(), target + "?tail=0");
    require_stream(no_replay);
    auto current = open_stream(server.port(), target, {{"Last-Event-ID", "10"}});
    require_stream(current);

    // One live event: every stream continues with 11, nothing replayed twice, nothing skipped.
    post_notice(http, job, "eleventh");
    for (auto* c : {&header, &query, &tail, &long_tail, &no_replay, &current}) {
        auto e = c->next_event(wait);
        BOOST_REQUIRE(e);
        BOOST_TEST(id_of(*e) == 11u);
        BOOST_TEST(str(parse(e->data), "/payload/message/message") == "eleventh");
    }
    // The first frames of tail=0 and of Last-Event-ID: 10 were that live event.
    BOOST_TEST(no_replay.transcript().find("id: 10\n") == std::string::npos);
    BOOST_TEST(current.transcript().find("id: 10\n") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(json_page_with_after_and_limit) {
    Server server;
    HttpClient http(server.port());
    auto job = create_job(http);
    for (int i = 0; i < 6; ++i)
        post_notice(http, job, "p" + std::to_string(i)); // seqs 1..7
    auto target = "/v1/jobs/" + job + "/events";
    Headers accept{{"Accept", "application/json"}};

    auto all = http.get(target, accept);
    BOOST_REQUIRE_EQUAL(all.status, 200);
    BOOST_TEST(all.header("content-type").starts_with("application/json"));
    BOOST_TEST(at(all.json(), "/items").as_array().size() == 7u);
    BOOST_TEST(num(all.json(), "/next") == 7);

    auto page = http.get(target + "?after=2&limit=3", accept);
    BOOST_REQUIRE_EQUAL(page.status, 200);
    auto items = at(page.json(), "/items").as_array();
    BOOST_REQUIRE_EQUAL(items.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        BOOST_TEST(num(items[i], "/seq") == static_cast<std::int64_t>(3 + i));
        BOOST_TEST(str(items[i], "/jobId") == job);
    }
    BOOST_TEST(num(page.json(), "/next") == 5);

    auto rest = http.get(target + "?after=5&limit=1000", accept);
    BOOST_TEST(at(rest.json(), "/items").as_array().size() == 2u);
    BOOST_TEST(num(rest.json(), "/next") == 7);
    auto past = http.get(target + "?after=7", accept);
    BOOST_TEST(at(past.json(), "/items").as_array().empty());
    BOOST_TEST(num(past.json(), "/next") == 7);

    BOOST_TEST(http.get(target + "?limit=0", accept).status == 400);
    BOOST_TEST(http.get(target + "?limit=1001", accept).status == 400);
    BOOST_TEST(http.get(target + "?after=-1", accept).status == 400);
    BOOST_TEST(http.get("/v1/jobs/0b0e3c4c-8c38-4c5e-9d0e-6f2f3a1b2c3d/events", accept).status ==
               404);
}

BOOST_AUTO_TEST_CASE(resume_after_dropped_connections_while_events_keep_arriving) {
    Server server;
    HttpClient http(server.port());
    auto job = create_job(http);  // seq 1
    constexpr int messages = 200; // seqs 2..201: the most one job takes from the API
    constexpr std::uint64_t published_last = 1 + messages;
    std::atomic<bool> publishing{true};
    Worker publisher([&] {
        HttpClient mine(server.port());
        for (int i = 0; i < messages; ++i) {
            post_notice(mine, job, "m-" + std::to_string(i));
            std::this_thread::sleep_for(2ms);
        }
        publishing = false;
    });

    std::vector<std::uint64_t> seqs;
    std::vector<std::string> texts;
    std::uint64_t last = 0;
    int connections = 0;
    int reconnects_while_publishing = 0;
    auto record = [&](const SseEvent& e) {
        seqs.push_back(id_of(e));
        last = seqs.back();
        auto data = check_envelope(e, job);
        if (e.event == "team.mailbox.received")
            texts.push_back(str(data, "/payload/message/message"));
    };
    auto reconnect = [&] {
        ++connections;
        if (last == 0) return open_stream(server.port(), "/v1/jobs/" + job + "/events");
        if (connections % 2 == 0)
            return open_stream(server.port(), "/v1/jobs/" + job + "/events",
                               {{"Last-Event-ID", std::to_string(last)}});
        return open_stream(server.port(),
                           "/v1/jobs/" + job + "/events?lastEventId=" + std::to_string(last));
    };
    // Read a few events per connection, then drop it, until every published event was seen.
    while (last < published_last) {
        if (last > 0 && publishing) ++reconnects_while_publishing;
        auto c = reconnect();
        require_stream(c);
        auto want = std::min<std::uint64_t>(12, published_last - last);
        for (auto& e : c.next_events(want, wait))
            record(e);
        c.close();
    }
    publisher.join();

    // The job ends: a last reconnect gets the cancel events, then `end`.
    job_action(http, job, "cancel");
    auto final = reconnect();
    require_stream(final);
    auto tail = read_to_end(final);
    for (std::size_t i = 0; i + 1 < tail.size(); ++i)
        record(tail[i]);
    BOOST_TEST(seqs.back() > published_last);
    check_end(tail.back(), "canceled", seqs.back());

    BOOST_TEST(seqs == range(1, seqs.back()), boost::test_tools::per_element());
    BOOST_REQUIRE_EQUAL(texts.size(), static_cast<std::size_t>(messages));
    for (int i = 0; i < messages; ++i)
        BOOST_TEST(texts[i] == "m-" + std::to_string(i));
    BOOST_TEST(reconnects_while_publishing >= 2,
               "reconnects while events kept arriving: " << reconnects_while_publishing);
    BOOST_TEST_MESSAGE("connections: " << connections << ", reconnects while publishing: "
                                       << reconnects_while_publishing);
}

BOOST_AUTO_TEST_CASE(end_of_stream_when_terminal_then_204_and_resumed_job_continues) {
    Server server;
    HttpClient http(server.port());
    auto job = create_job(http);
    post_notice(http, job, "before cancel");
    auto target = "/v1/jobs/" + job + "/events";

    // Live: the cancel events, `canceled` last, then `end` and the server closes.
    auto live = open_stream(server.port(), target);
    require_stream(live);
    BOOST_TEST(ids_of(live.next_events(2, wait)) == range(1, 2), boost::test_tools::per_element());
    job_action(http, job, "cancel");
    auto rest = read_to_end(live);
    BOOST_REQUIRE_GE(rest.size(), 2u);
    std::vector<SseEvent> cancel_events(rest.begin(), rest.end() - 1);
    BOOST_TEST(ids_of(cancel_events) == range(3, 2 + cancel_events.size()),
               boost::test_tools::per_element());
    for (auto& e : cancel_events)
        check_envelope(e, job);
    BOOST_TEST(cancel_events.back().event == "canceled");
    std::uint64_t last = id_of(cancel_events.back());
    check_end(rest.back(), "canceled", last);
    BOOST_TEST(live.last_event_id().value_or("") == std::to_string(last));

    // A terminal job: full replay, then end.
    auto replay = open_stream(server.port(), target);
    require_stream(replay);
    auto all = read_to_end(replay);
    BOOST_TEST(all.size() == last + 1);
    check_end(all.back(), "canceled", last);

    // Resuming a terminal job part way: the missing events, then end.
    auto partial =
        open_stream(server.port(), target, {{"Last-Event-ID", std::to_string(last - 2)}});
    require_stream(partial);
    auto tail2 = read_to_end(partial);
    BOOST_REQUIRE_EQUAL(tail2.size(), 3u);
    BOOST_TEST(id_of(tail2[0]) == last - 1);
    BOOST_TEST(id_of(tail2[1]) == last);
    auto tail_param = open_stream(server.port(), target + "?tail=1");
    auto one = read_to_end(tail_param);
    BOOST_REQUIRE_EQUAL(one.size(), 2u);
    BOOST_TEST(id_of(one[0]) == last);

    // A finished reconnect: 204, no body, no stream.
    for (auto headers : {Headers{{"Last-Event-ID", std::to_string(last)}},
                         Headers{{"Last-Event-ID", std::to_string(last + 5)}}}) {
        auto done = open_stream(server.port(), target, headers);
        BOOST_TEST(done.status() == 204);
        BOOST_TEST(done.body().empty());
        BOOST_TEST(done.closed());
    }
    auto done_query = open_stream(server.port(), target + "?lastEventId=" + std::to_string(last));
    BOOST_TEST(done_query.status() == 204);

    // After a resume the same reconnect continues with the new run's events.
    job_action(http, job, "resume");
    auto resumed = open_stream(server.port(), target, {{"Last-Event-ID", std::to_string(last)}});
    require_stream(resumed);
    auto next = resumed.next_event(wait);
    BOOST_REQUIRE(next);
    BOOST_TEST(id_of(*next) == last + 1);
    BOOST_TEST(next->event == "queued");
    BOOST_TEST(str(check_envelope(*next, job), "/payload/reason") == "resumed");
    BOOST_TEST(!resumed.closed());
}

BOOST_AUTO_TEST_CASE(keepalive_comments_on_idle_streams) {
    Server server({"--sse-keepalive", "0.2"});
    HttpClient http(server.port());
    auto job = create_job(http);
    auto c = open_stream(server.port(), "/v1/jobs/" + job + "/events");
    require_stream(c);
    BOOST_TEST(id_of(*c.next_event(wait)) == 1u);
    BOOST_TEST(c.wait_for_comment("keepalive", 3s));
    // More keepalives keep coming while idle (0.2 s apart; bounded wait).
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (c.comment_count() < 3 && std::chrono::steady_clock::now() < deadline)
        c.wait_for_comment("never sent", 100ms);
    BOOST_TEST(c.comment_count() >= 3u);
    for (auto& comment : c.comments())
        BOOST_TEST(comment == "keepalive");
    BOOST_TEST(c.transcript().find(": keepalive\n\n") != std::string::npos);

    // The stream is still alive: an event arrives after the keepalives.
    post_notice(http, job, "after idle");
    auto e = c.next_event(wait);
    BOOST_REQUIRE(e);
    BOOST_TEST(id_of(*e) == 2u);

    auto monitor = open_stream(server.port(), "/v1/monitor/events");
    require_stream(monitor);
    BOOST_TEST(monitor.wait_for_comment("keepalive", 3s));
}

BOOST_AUTO_TEST_CASE(monitor_stream_carries_every_job_and_replays_with_last_event_id) {
    Server server;
    HttpClient http(server.port());
    auto early =
        create_job(http); // before the monitor connects: not replayed without Last-Event-ID

    auto monitor = open_stream(server.port(), "/v1/monitor/events");
    require_stream(monitor);
    BOOST_TEST(monitor.header("cache-control") == "no-cache");
    BOOST_TEST(monitor.header("x-accel-buffering") == "no");
    auto a = create_job(http);
    auto b = create_job(http);
    std::vector<std::pair<std::string, std::string>> expected{{a, "queued"}, {b, "queued"}};
    for (int i = 0; i < 3; ++i)
        for (auto* job : {&early, &a, &b}) {
            post_notice(http, *job, "mon " + std::to_string(i));
            expected.emplace_back(*job, "team.mailbox.received");
        }
    auto events = monitor.next_events(expected.size(), wait);
    BOOST_TEST(monitor.retry_value().value_or(-1) == 2000);
    std::vector<std::uint64_t> ids = ids_of(events);
    for (std::size_t i = 1; i < ids.size(); ++i)
        BOOST_TEST(ids[i] == ids[i - 1] + 1);
    for (std::size_t i = 0; i < events.size(); ++i) {
        auto data = parse(events[i].data);
        BOOST_TEST(str(data, "/jobId") == expected[i].first);
        BOOST_TEST(events[i].event == expected[i].second);
        BOOST_TEST(str(data, "/type") == expected[i].second);
    }
    // The early job's events were created before the monitor connected: its
    // first seen event is its second (seq 2), and no monitor id was skipped.
    BOOST_TEST(num(parse(events[2].data), "/seq") == 2);
    BOOST_TEST(ids.front() == 2u); // the early job's creation event was global id 1

    // Reconnect with Last-Event-ID: the events after it, the same data, then live.
    auto k = ids[3];
    auto resumed =
        open_stream(server.port(), "/v1/monitor/events", {{"Last-Event-ID", std::to_string(k)}});
    require_stream(resumed);
    auto replayed = resumed.next_events(ids.back() - k, wait);
    BOOST_TEST(ids_of(replayed) == range(k + 1, ids.back()), boost::test_tools::per_element());
    for (std::size_t i = 0; i < replayed.size(); ++i)
        BOOST_TEST(replayed[i].data == events[4 + i].data);
    auto from_start = open_stream(server.port(), "/v1/monitor/events?lastEventId=0");
    require_stream(from_start);
    BOOST_TEST(ids_of(from_start.next_events(ids.back(), wait)) == range(1, ids.back()),
               boost::test_tools::per_element());

    post_notice(http, a, "after reconnect");
    for (auto* c : {&monitor, &resumed, &from_start}) {
        auto e = c->next_event(wait);
        BOOST_REQUIRE(e);
        BOOST_TEST(id_of(*e) == ids.back() + 1);
        BOOST_TEST(str(parse(e->data), "/payload/message/message") == "after reconnect");
    }
    // A job reaching its end does not end the monitor stream.
    job_action(http, b, "cancel");
    std::optional<SseEvent> e;
    do {
        e = monitor.next_event(wait);
        BOOST_REQUIRE(e);
    } while (e->event != "canceled");
    BOOST_TEST(str(parse(e->data), "/jobId") == b);
    post_notice(http, a, "still streaming");
    e = monitor.next_event(wait);
    BOOST_REQUIRE(e);
    BOOST_TEST(str(parse(e->data), "/payload/message/message") == "still streaming");
}

BOOST_AUTO_TEST_CASE(slow_reader_is_cut_off_while_others_receive_everything) {
    // 64 KiB queued per client, default time scale: the 30 s write deadline is far
    // beyond this test's 10 s waits, so only the buffer limit can cut the reader off.
    Server server({"--sse-buffer", "65536"});
    HttpClient http(server.port());
    constexpr int jobs = 2;
    constexpr int messages = 200; // per job, each event about 20 KiB
    const std::string text(4000, 't');
    const json::object payload{{"blob", std::string(16000, 'p')}};

    SseClient slow;
    slow.open_without_reading(server.port(), "/v1/monitor/events", {}, wait, 4096);
    auto monitor = open_stream(server.port(), "/v1/monitor/events");
    require_stream(monitor);
    std::vector<std::string> ids;
    for (int j = 0; j < jobs; ++j)
        ids.push_back(create_job(http));
    auto job_stream = open_stream(server.port(), "/v1/jobs/" + ids[0] + "/events");
    require_stream(job_stream);

    const int sockets_with_slow_reader = server.open_sockets();
    const std::size_t monitor_total = jobs * (1 + messages);
    std::vector<std::uint64_t> monitor_ids, job_seqs;
    std::size_t monitor_bytes = 0;
    // A generous wait, not a measure: on Redis under the sanitizers each of
    // these 400 large messages costs the API node and the worker a parse of the
    // job's whole record (mailbox included), tens of seconds in all.
    constexpr auto patience = 120s;
    Worker monitor_reader([&] {
        for (auto& e : monitor.next_events(monitor_total, patience)) {
            monitor_ids.push_back(id_of(e));
            monitor_bytes += e.data.size();
        }
    });
    Worker job_reader([&] {
        for (auto& e : job_stream.next_events(1 + messages, patience))
            job_seqs.push_back(id_of(e));
    });
    for (int i = 0; i < messages; ++i)
        for (auto& job : ids)
            post_notice(http, job, text, payload);
    monitor_reader.join();
    job_reader.join();
    // The server lets go of the slow reader's connection while that reader
    // still reads nothing (its blocked write is cancelled at the buffer limit).
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (server.open_sockets() >= sockets_with_slow_reader && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    BOOST_TEST(server.open_sockets() < sockets_with_slow_reader,
               "the server still holds the connection of the reader that does not read");

    BOOST_TEST(monitor_ids == range(1, monitor_total), boost::test_tools::per_element());
    BOOST_TEST(job_seqs == range(1, 1 + messages), boost::test_tools::per_element());
    BOOST_TEST(slow.is_closed_by_peer(wait), "the reader that does not read must be cut off");
    BOOST_TEST(slow.bytes_drained() < monitor_bytes,
               "it got " << slow.bytes_drained() << " of " << monitor_bytes);
    BOOST_TEST_MESSAGE("slow reader got " << slow.bytes_drained() << " of " << monitor_bytes
                                          << " bytes");

    // The others go on: the next events reach them, the job stream to its end.
    job_action(http, ids[0], "cancel");
    auto rest = read_to_end(job_stream);
    BOOST_TEST(id_of(rest.front()) == 2u + messages);
    check_end(rest.back(), "canceled", id_of(rest[rest.size() - 2]));
    auto next = monitor.next_event(wait);
    BOOST_REQUIRE(next);
    BOOST_TEST(id_of(*next) == monitor_total + 1);
    BOOST_TEST(str(parse(next->data), "/jobId") == ids[0]);
}

BOOST_AUTO_TEST_CASE(reader_that_falls_past_the_buffer_limit_is_cut_off_and_resumes_from_the_log) {
    // Default time scale: the 30 s write deadline plays no part, only the 64 KiB limit.
    Server server({"--sse-buffer", "65536"});
    HttpClient http(server.port());
    auto job = create_job(http);
    constexpr int messages = 200;
    const std::string text(4000, 'x');
    const json::object payload{{"blob", std::string(16000, 'y')}};
    const json::object meta{{"blob", std::string(16000, 'z')}};

    auto lagging = open_stream(server.port(), "/v1/jobs/" + job + "/events");
    require_stream(lagging);
    for (int i = 0; i < messages; ++i)
        post_notice(http, job, text, payload, meta); // ~7 MiB, nobody reading
    auto got = lagging.read_until_closed(wait); // what the kernel held, then the server's close
    BOOST_TEST(lagging.closed());
    BOOST_REQUIRE(!got.empty());
    BOOST_TEST(got.back().event != "end", "cut off, not ended");
    BOOST_TEST(ids_of(got) == range(1, got.size()), boost::test_tools::per_element());
    BOOST_TEST(got.size() < 1u + messages);
    BOOST_TEST_MESSAGE("the lagging reader got " << got.size() << " of " << 1 + messages
                                                 << " events before the cut");

    // It resumes from the log: the rest, no gap, no duplicate, then live events again.
    auto resumed = open_stream(server.port(), "/v1/jobs/" + job + "/events",
                               {{"Last-Event-ID", std::to_string(got.size())}});
    require_stream(resumed);
    auto rest = resumed.next_events(1 + messages - got.size(), wait);
    BOOST_TEST(ids_of(rest) == range(got.size() + 1, 1 + messages),
               boost::test_tools::per_element());
    for (auto& e : rest)
        BOOST_TEST(str(check_envelope(e, job), "/payload/message/message") == text);
    job_action(http, job, "cancel");
    auto tail = read_to_end(resumed);
    BOOST_TEST(id_of(tail.front()) == 2u + messages);
}

BOOST_AUTO_TEST_CASE(one_event_larger_than_the_buffer_does_not_cut_off_a_reader_that_keeps_up) {
    Server server({"--sse-buffer", "1024"}); // the smallest limit; each event below is ~4 KiB
    HttpClient http(server.port());
    auto job = create_job(http);
    auto reader = open_stream(server.port(), "/v1/jobs/" + job + "/events");
    require_stream(reader);
    BOOST_TEST(id_of(*reader.next_event(wait)) == 1u);
    for (int i = 0; i < 3; ++i) {
        post_notice(http, job, std::string(4000, static_cast<char>('a' + i)));
        auto e = reader.next_event(wait);
        BOOST_REQUIRE_MESSAGE(e, "the stream was closed on event " << 2 + i);
        BOOST_TEST(id_of(*e) == 2u + i);
    }
    BOOST_TEST(!reader.closed());
}

BOOST_AUTO_TEST_SUITE_END()
