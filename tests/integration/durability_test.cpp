// Durability of the file store with the real omxd (storage.md): a kill -9 loses
// nothing acknowledged, start-up repairs what a crash may leave (torn last line,
// stale record, record.json.tmp leftovers), folding each log reproduces its
// record, one server per state directory, and graceful shutdown on signals.
#define BOOST_TEST_MODULE durability
#include <boost/test/unit_test.hpp>

#include "team/core/apply.hpp"
#include "team/core/events.hpp"
#include "team/core/json_codec.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/journal_files.hpp"
#include "tests/support/json_util.hpp"
#include "tests/support/omxd_process.hpp"
#include "tests/support/sse_client.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace team = omx::team;
using namespace omx::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- API helpers

// Every job waits for approval, so its state cannot move by itself across
// restarts (storage.md: waiting_approval jobs keep waiting).
json::object job_body(int i) {
    return {{"provider", "codex"},
            {"mode", "team"},
            {"repo", "acme/widgets"},
            {"ref", "main"},
            {"task", "durability job " + std::to_string(i)},
            {"options", {{"requireApproval", true}}}};
}

std::string describe(const HttpResponse& r) {
    return std::to_string(r.status) + " " + r.body;
}

// POST /v1/jobs; throws unless 201.
std::string create_job(HttpClient& http, int i) {
    auto r = http.post_json("/v1/jobs", job_body(i));
    if (r.status != 201) throw std::runtime_error("POST /v1/jobs: " + describe(r));
    return str(r.json(), "/jobId");
}

// POST a message to the leader; returns its id; throws unless 201.
std::string post_message(HttpClient& http, const std::string& id, const std::string& text) {
    json::object body{{"kind", "notice"}, {"to", "leader"}, {"message", text}};
    auto r = http.post_json("/v1/jobs/" + id + "/team/mailbox", body);
    if (r.status != 201) throw std::runtime_error("POST mailbox of " + id + ": " + describe(r));
    return str(r.json(), "/id");
}

// POST cancel; returns the job after the action; throws unless 200.
json::value cancel_job(HttpClient& http, const std::string& id) {
    auto r = http.request("POST", "/v1/jobs/" + id + "/actions/cancel");
    if (r.status != 200) throw std::runtime_error("cancel " + id + ": " + describe(r));
    return r.json();
}

json::value get_json(HttpClient& http, const std::string& target) {
    auto r = http.get(target, {{"Accept", "application/json"}});
    if (r.status != 200) throw std::runtime_error("GET " + target + ": " + describe(r));
    return r.json();
}

// Every event of a job through the JSON pages; throws unless the seqs run 1..N.
json::array all_events(HttpClient& http, const std::string& id) {
    json::array events;
    std::int64_t after = 0;
    for (int page = 0; page < 100; ++page) {
        auto body = get_json(http, "/v1/jobs/" + id + "/events?after=" + std::to_string(after) +
                                       "&limit=7");
        const auto& items = at(body, "/items").as_array();
        if (items.empty()) return events;
        for (const auto& e : items) {
            if (num(e, "/seq") != after + 1)
                throw std::runtime_error("job " + id + ": event after " + std::to_string(after) +
                                         " has seq " + std::to_string(num(e, "/seq")));
            ++after;
            events.push_back(e);
        }
        if (num(body, "/next") != after)
            throw std::runtime_error("job " + id + ": bad next in " + dump(body));
    }
    throw std::runtime_error("job " + id + ": too many event pages");
}

std::set<std::string> mailbox_ids(HttpClient& http, const std::string& id) {
    std::set<std::string> ids;
    auto box = get_json(http, "/v1/jobs/" + id + "/team/mailbox");
    for (const auto& m : box.as_array())
        ids.insert(str(m, "/id"));
    return ids;
}

// ---------------------------------------------------------------- disk helpers

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot read " << p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& p, const std::string& text,
                std::ios::openmode mode = std::ios::trunc) {
    std::ofstream out(p, std::ios::binary | std::ios::out | mode);
    out << text;
    BOOST_REQUIRE_MESSAGE(out.good(), "cannot write " << p);
}

std::vector<fs::path> job_dirs(const fs::path& root) {
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(root))
        if (e.is_directory() && e.path().filename().string().size() == 36) dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

// The events of a log file; requires whole lines with seq 1..N.
std::vector<team::Event> read_log(const fs::path& file) {
    auto text = slurp(file);
    BOOST_REQUIRE_MESSAGE(!text.empty() && text.back() == '\n',
                          file << " does not end with a whole line");
    std::vector<team::Event> events;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        auto event =
            team::event_from_json(parse(std::string_view(text).substr(pos, nl - pos)).as_object());
        BOOST_REQUIRE_MESSAGE(event.seq == events.size() + 1,
                              file << ": line " << events.size() + 1 << " has seq " << event.seq);
        events.push_back(std::move(event));
        pos = nl + 1;
    }
    return events;
}

// storage.md: folding a job's whole log reproduces its record, and the record's
// lastSeq/logSize describe the log file.
void check_fold_equals_record(const fs::path& dir) {
    BOOST_TEST_CONTEXT("job directory " << dir) {
        auto events = read_log(dir / "events.jsonl");
        BOOST_REQUIRE(!events.empty());
        auto record = parse(slurp(dir / "record.json"));
        BOOST_CHECK_EQUAL(num(record, "/lastSeq"), static_cast<std::int64_t>(events.size()));
        BOOST_CHECK_EQUAL(num(record, "/logSize"),
                          static_cast<std::int64_t>(fs::file_size(dir / "events.jsonl")));
        json::value folded = team::job_to_record_json(team::fold(events));
        BOOST_CHECK_MESSAGE(folded == at(record, "/job"),
                            "fold of the log differs from record.json:\nfold:   "
                                << dump(folded) << "\nrecord: " << dump(at(record, "/job")));
        BOOST_CHECK_EQUAL(str(folded, "/id"), dir.filename().string());
    }
}

// Jobs that never changed after their creation (waiting for approval) are only
// in the creation journal: no directory, no record; their lines run 1..N.
void check_every_record(const fs::path& root, std::size_t expected_jobs) {
    auto dirs = job_dirs(root);
    auto journaled = journal_only_jobs(root);
    BOOST_CHECK_EQUAL(dirs.size() + journaled.size(), expected_jobs);
    for (const auto& d : dirs)
        check_fold_equals_record(d);
    for (const auto& [id, text] : journaled) {
        std::int64_t seq = 0;
        for (std::size_t pos = 0, nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1)
            BOOST_CHECK_EQUAL(num(parse(text.substr(pos, nl - pos)), "/seq"), ++seq);
        BOOST_CHECK_GT(seq, 0);
    }
}

// Waits until record.json of a job describes seq `last_seq` (records are written
// after the response, off the request path).
json::value wait_for_record(const fs::path& dir, std::int64_t last_seq) {
    auto deadline = Clock::now() + 10s;
    for (;;) {
        std::ifstream in(dir / "record.json", std::ios::binary);
        std::string text(std::istreambuf_iterator<char>(in), {});
        boost::system::error_code ec;
        auto v = json::parse(text, ec);
        if (!ec && has(v, "/lastSeq") && num(v, "/lastSeq") == last_seq) return v;
        if (Clock::now() > deadline)
            throw std::runtime_error("record.json of " + dir.string() + " did not reach lastSeq " +
                                     std::to_string(last_seq) + ": " + text);
        std::this_thread::sleep_for(10ms);
    }
}

// ---------------------------------------------------------------- process helpers

void require_clean_exit(OmxdProcess& server, int status) {
    BOOST_REQUIRE_MESSAGE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                          "omxd did not exit with code 0 (raw status " << status << "); log:\n"
                                                                       << server.stderr_text());
}

// SIGTERM; requires exit code 0 within the time a graceful stop takes.
void stop_cleanly(OmxdProcess& server) {
    server.kill(SIGTERM);
    auto status = server.wait_exit(15s);
    BOOST_REQUIRE_MESSAGE(status, "omxd did not stop within 15 s of SIGTERM; log:\n"
                                      << server.stderr_text());
    require_clean_exit(server, *status);
}

void crash(OmxdProcess& server) {
    server.kill(SIGKILL);
    auto status = server.wait_exit(10s);
    BOOST_REQUIRE(status);
    BOOST_REQUIRE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
}

// What the API acknowledged for one job.
struct Acked {
    int index = 0;
    std::string id;
    std::vector<std::string> messages;
    std::optional<json::value> canceled;  // the job returned by the cancel action
    json::value job;                      // GET after its changes
    json::array events;                   // every event at that time
    std::optional<std::string> last_word; // a message acknowledged just before the crash
};

// One client's jobs: each created, given its messages and cancel, then read back.
void create_jobs(HttpClient& http, int first, int count, std::vector<Acked>& out) {
    for (int i = first; i < first + count; ++i) {
        Acked a;
        a.index = i;
        a.id = create_job(http, i);
        if (i % 3 == 0) a.messages.push_back(post_message(http, a.id, "note " + std::to_string(i)));
        if (i % 5 == 0)
            a.messages.push_back(post_message(http, a.id, "second note " + std::to_string(i)));
        if (i % 4 == 1) a.canceled = cancel_job(http, a.id);
        a.job = get_json(http, "/v1/jobs/" + a.id);
        a.events = all_events(http, a.id);
        out.push_back(std::move(a));
    }
}

// Runs f(client, part) for every part, one client thread each; fails the test on any error.
template <class F>
void in_parallel(std::uint16_t port, std::vector<std::vector<Acked>>& parts, F f) {
    std::vector<std::string> errors;
    std::mutex mutex;
    std::vector<std::thread> pool;
    for (auto& part : parts)
        pool.emplace_back([&, p = &part] {
            try {
                HttpClient http(port);
                f(http, *p);
            } catch (const std::exception& e) {
                std::lock_guard lock(mutex);
                errors.push_back(e.what());
            }
        });
    for (auto& t : pool)
        t.join();
    BOOST_REQUIRE_MESSAGE(errors.empty(),
                          "client failed: " << (errors.empty() ? "" : errors.front()));
}

std::vector<std::vector<Acked>> submit_jobs(std::uint16_t port, int jobs, int threads) {
    std::vector<std::vector<Acked>> parts(static_cast<std::size_t>(threads));
    int per = jobs / threads;
    in_parallel(port, parts, [&](HttpClient& http, std::vector<Acked>& part) {
        int t = static_cast<int>(&part - parts.data());
        create_jobs(http, t * per, t == threads - 1 ? jobs - t * per : per, part);
    });
    return parts;
}

std::vector<Acked> flatten(std::vector<std::vector<Acked>> parts) {
    std::vector<Acked> all;
    for (auto& p : parts)
        std::move(p.begin(), p.end(), std::back_inserter(all));
    return all;
}

bool has_event_type(const json::array& events, std::string_view type) {
    return std::any_of(events.begin(), events.end(),
                       [&](const json::value& e) { return str(e, "/type") == type; });
}

// A connection that sent a request's head and part of its body: the server
// is answering it (not idle), so a graceful stop waits for it.
struct HalfRequest {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket socket{ioc};
    explicit HalfRequest(std::uint16_t port) {
        boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
        socket.connect(ep);
        std::string head =
            "POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n{\"provider\":";
        boost::asio::write(socket, boost::asio::buffer(head));
    }
};

} // namespace

// (a) 200 jobs, some with mailbox messages and a cancel, POSTed by 4 clients
// at once; kill -9 right after the last acknowledgement; a restart on the same
// directory has every job with the same fields and every event, seq 1..N.
BOOST_AUTO_TEST_CASE(kill9_keeps_every_acknowledged_job_and_event) {
    OmxdProcess server;
    server.start({"--fsync", "always"});
    auto parts = submit_jobs(server.port(), 200, 4);
    // A last burst of messages (to every other job still open), and kill -9 as
    // soon as the last one is acknowledged: records may still be behind.
    in_parallel(server.port(), parts, [](HttpClient& http, std::vector<Acked>& part) {
        for (auto& a : part)
            if (!a.canceled && a.index % 2 == 0)
                a.last_word = post_message(http, a.id, "last word " + a.id);
    });
    crash(server);
    auto acked = flatten(std::move(parts));
    BOOST_REQUIRE_EQUAL(acked.size(), 200u);

    server.start({"--fsync", "always"});
    HttpClient http(server.port());
    std::size_t with_messages = 0, canceled = 0, last_words = 0, events = 0;
    const char* stable[] = {"/id",   "/provider", "/mode",          "/repo",      "/ref",
                            "/task", "/options",  "/approvalState", "/createdAt", "/status"};
    for (const auto& a : acked) {
        BOOST_TEST_CONTEXT("job " << a.id) {
            auto job = get_json(http, "/v1/jobs/" + a.id);
            auto after = all_events(http, a.id);
            events += after.size();
            if (a.last_word) {
                ++last_words;
                for (const char* field : stable)
                    BOOST_CHECK_EQUAL(at(job, field), at(a.job, field));
                BOOST_REQUIRE_EQUAL(after.size(), a.events.size() + 1);
                BOOST_CHECK(json::array(after.begin(), after.end() - 1) == a.events);
                BOOST_CHECK_EQUAL(str(after.back(), "/type"), "team.mailbox.received");
                BOOST_CHECK_EQUAL(str(after.back(), "/payload/message/id"), *a.last_word);
            } else {
                BOOST_CHECK_MESSAGE(job == a.job, "job changed across the crash:\nbefore: "
                                                      << dump(a.job) << "\nafter:  " << dump(job));
                BOOST_CHECK_MESSAGE(after == a.events, "events changed across the crash:\nbefore: "
                                                           << dump(a.events)
                                                           << "\nafter:  " << dump(after));
            }
            auto box = mailbox_ids(http, a.id);
            for (const auto& m : a.messages)
                BOOST_CHECK_MESSAGE(box.count(m), "message " << m << " lost");
            if (a.last_word) BOOST_CHECK_MESSAGE(box.count(*a.last_word), "last message lost");
            with_messages += !a.messages.empty();
            if (a.canceled) {
                ++canceled;
                BOOST_CHECK_EQUAL(str(job, "/status"), "canceled");
                BOOST_CHECK_MESSAGE(job == *a.canceled,
                                    "canceled job differs from the cancel's answer");
                BOOST_CHECK(has_event_type(after, "canceled"));
            } else {
                BOOST_CHECK_EQUAL(str(job, "/status"), "waiting_approval");
            }
        }
    }
    BOOST_TEST_MESSAGE("after kill -9: 200 jobs, "
                       << with_messages << " with messages, " << canceled << " canceled, "
                       << last_words << " last words, " << events << " events all present");
    BOOST_CHECK_GT(with_messages, 50u);
    BOOST_CHECK_GT(canceled, 40u);
    BOOST_CHECK_GT(last_words, 60u);
    auto list = get_json(http, "/v1/jobs?limit=500");
    BOOST_CHECK_EQUAL(at(list, "/items").as_array().size(), 200u);

    stop_cleanly(server);
    check_every_record(server.state_dir(), 200);
}

// (b) A torn last line (half a JSON line, no newline) is cut off at start; the
// job is intact and new events continue with the next seq.
BOOST_AUTO_TEST_CASE(torn_last_line_is_repaired) {
    OmxdProcess server;
    server.start();
    std::string id, first_message;
    json::value job_before;
    {
        HttpClient http(server.port());
        id = create_job(http, 1);
        first_message = post_message(http, id, "before the tear");
        job_before = get_json(http, "/v1/jobs/" + id);
    }
    stop_cleanly(server);

    auto log = server.state_dir() / id / "events.jsonl";
    auto whole = slurp(log);
    auto lines_before = static_cast<std::int64_t>(std::count(whole.begin(), whole.end(), '\n'));
    BOOST_REQUIRE_EQUAL(lines_before, 3); // queued, approval_required, team.mailbox.received
    std::string torn =
        "{\"v\":1,\"seq\":4,\"id\":\"0f0e0d0c-0b0a-4908-8706-050403020100\",\"jobId\":\"" + id +
        "\",\"type\":\"team.mail";
    write_file(log, torn, std::ios::app);

    server.start();
    BOOST_CHECK_MESSAGE(server.stderr_text().find("torn") != std::string::npos,
                        "the cut is not logged:\n"
                            << server.stderr_text());
    BOOST_CHECK_EQUAL(slurp(log), whole); // the partial line is gone, nothing else changed
    HttpClient http(server.port());
    BOOST_CHECK_EQUAL(get_json(http, "/v1/jobs/" + id), job_before);
    auto events = all_events(http, id);
    BOOST_REQUIRE_EQUAL(events.size(), 3u);

    auto second_message = post_message(http, id, "after the repair");
    events = all_events(http, id);
    BOOST_REQUIRE_EQUAL(events.size(), 4u);
    BOOST_CHECK_EQUAL(str(events[3], "/type"), "team.mailbox.received");
    BOOST_CHECK_EQUAL(str(events[3], "/payload/message/id"), second_message);
    auto box = mailbox_ids(http, id);
    BOOST_CHECK(box == (std::set<std::string>{first_message, second_message}));
    stop_cleanly(server);

    auto on_disk = read_log(log); // whole lines, seq 1..4
    BOOST_CHECK_EQUAL(on_disk.size(), 4u);
    BOOST_CHECK(slurp(log).starts_with(whole));
    check_fold_equals_record(server.state_dir() / id);
}

// A job created, given two mailbox messages and canceled, with the record.json
// it had after its first three events (a snapshot that lags the rest of its log).
struct JobWithSnapshot {
    std::string id;
    fs::path dir;
    std::string early_record;
    std::string message;
    json::value job;
    json::array events;
};

JobWithSnapshot canceled_job_with_early_snapshot(OmxdProcess& server, HttpClient& http) {
    JobWithSnapshot j;
    j.id = create_job(http, 1);
    j.dir = server.state_dir() / j.id;
    // The first change gives the job its own log; waiting for approval, it has
    // settled, so its record is written (lastSeq 3).
    post_message(http, j.id, "before the snapshot");
    wait_for_record(j.dir, 3);
    j.early_record = slurp(j.dir / "record.json");
    j.message = post_message(http, j.id, "after the snapshot");
    cancel_job(http, j.id);
    j.job = get_json(http, "/v1/jobs/" + j.id);
    j.events = all_events(http, j.id);
    return j;
}

// (c) A record made stale on purpose (the snapshot saved before the job's
// message and cancel) is brought up to date from its log at start.
BOOST_AUTO_TEST_CASE(stale_record_is_brought_up_to_date) {
    OmxdProcess server;
    server.start();
    HttpClient http(server.port());
    auto [id, dir, old_record, message, job_before, events_before] = canceled_job_with_early_snapshot(server, http);
    BOOST_REQUIRE_GT(events_before.size(), 3u);
    stop_cleanly(server);
    BOOST_REQUIRE_EQUAL(num(parse(slurp(dir / "record.json")), "/lastSeq"),
                        static_cast<std::int64_t>(events_before.size()));

    write_file(dir / "record.json", old_record); // stale: lastSeq 3, logSize of 3 lines
    server.start();
    BOOST_CHECK_MESSAGE(server.stderr_text().find("record brought up to date") != std::string::npos,
                        "the repair is not logged:\n"
                            << server.stderr_text());
    // Recovery rewrote the record before serving: check the disk before any request.
    check_fold_equals_record(dir);
    HttpClient http2(server.port());
    auto job = get_json(http2, "/v1/jobs/" + id);
    BOOST_CHECK_EQUAL(str(job, "/status"), "canceled");
    BOOST_CHECK_EQUAL(job, job_before);
    BOOST_CHECK_EQUAL(all_events(http2, id), events_before);
    BOOST_CHECK(mailbox_ids(http2, id).count(message));
    stop_cleanly(server);
    check_fold_equals_record(dir);
}

// A finished job whose record.json lags its log while the server runs (a lost
// record write) is read from the log once it left the in-memory cache: GET
// shows the logged state, and a resume continues the log's own sequence.
BOOST_AUTO_TEST_CASE(finished_job_with_a_lagging_record_is_read_from_its_log) {
    OmxdProcess server;
    server.start({"--fsync", "off"});
    HttpClient http(server.port());
    auto [id, dir, old_record, message, job_before, events_before] = canceled_job_with_early_snapshot(server, http);
    wait_for_record(dir, static_cast<std::int64_t>(events_before.size()));
    write_file(dir / "record.json", old_record); // lags: lastSeq 3

    for (int i = 0; i < 300; ++i) cancel_job(http, create_job(http, 100 + i)); // pushes it out of the cache
    BOOST_CHECK_EQUAL(get_json(http, "/v1/jobs/" + id), job_before);
    BOOST_CHECK_EQUAL(all_events(http, id), events_before);
    BOOST_CHECK(mailbox_ids(http, id).count(message));

    auto resumed = http.request("POST", "/v1/jobs/" + id + "/actions/resume");
    BOOST_REQUIRE_MESSAGE(resumed.status == 200, describe(resumed));
    auto events_after = all_events(http, id); // throws unless the seqs run 1..N
    BOOST_CHECK_GT(events_after.size(), events_before.size());
    stop_cleanly(server);
    check_fold_equals_record(dir);
}

// (d) After a clean SIGTERM stop, every job directory's record equals the fold
// of its log (record.json "job" = job_to_record_json(fold(events)); lastSeq
// and logSize describe the file).
BOOST_AUTO_TEST_CASE(fold_of_every_log_equals_its_record) {
    OmxdProcess server;
    server.start({"--fsync", "interval"});
    submit_jobs(server.port(), 24, 3);
    {
        HttpClient http(server.port());
        // Also a job whose gate was approved and one that was rejected (failed).
        auto approved = create_job(http, 100);
        BOOST_REQUIRE_EQUAL(
            http.request("POST", "/v1/jobs/" + approved + "/actions/approve").status, 200);
        auto rejected = create_job(http, 101);
        BOOST_REQUIRE_EQUAL(http.request("POST", "/v1/jobs/" + rejected + "/actions/reject").status,
                            200);
    }
    stop_cleanly(server);
    check_every_record(server.state_dir(), 26);
}

// (e) A second omxd on the same --state-dir exits with code 2 and a one-line
// message naming the owner's pid; the first keeps serving.
BOOST_AUTO_TEST_CASE(second_server_on_the_same_directory_refuses_to_start) {
    OmxdProcess server;
    server.start();
    auto run = OmxdProcess::run_and_capture(
        {"serve", "--listen", "127.0.0.1:0", "--state-dir", server.state_dir().string()}, 15s);
    BOOST_CHECK_EQUAL(run.exit_code, 2);
    BOOST_CHECK_MESSAGE(run.output.find("pid " + std::to_string(server.pid())) != std::string::npos,
                        "message does not name the owner's pid " << server.pid() << ": "
                                                                 << run.output);
    BOOST_CHECK_MESSAGE(std::count(run.output.begin(), run.output.end(), '\n') == 1,
                        "not a one-line message: " << run.output);
    BOOST_CHECK_EQUAL(slurp(server.state_dir() / ".lock"), std::to_string(server.pid()) + "\n");
    HttpClient http(server.port());
    BOOST_CHECK_EQUAL(http.get("/v1/healthz").status, 200);
    create_job(http, 1); // still owns the directory and writes to it
    stop_cleanly(server);
}

// (f) record.json.tmp leftovers (an interrupted record write: the one
// temporary name the record writer uses) are removed at start, for active and
// finished jobs alike.
BOOST_AUTO_TEST_CASE(record_tmp_leftovers_are_removed_at_start) {
    OmxdProcess server;
    server.start();
    std::string active, finished;
    {
        HttpClient http(server.port());
        active = create_job(http, 1);
        post_message(http, active, "a change: the job gets its own directory");
        finished = create_job(http, 2);
        cancel_job(http, finished);
    }
    stop_cleanly(server);
    std::vector<fs::path> leftovers;
    for (const auto& id : {active, finished}) {
        leftovers.push_back(server.state_dir() / id / "record.json.tmp");
        write_file(leftovers.back(), "{\"lastSeq\":1,\"logS"); // half written
    }

    server.start();
    for (const auto& p : leftovers)
        BOOST_CHECK_MESSAGE(!fs::exists(p), p << " was not removed");
    HttpClient http(server.port());
    BOOST_CHECK_EQUAL(str(get_json(http, "/v1/jobs/" + active), "/status"), "waiting_approval");
    BOOST_CHECK_EQUAL(str(get_json(http, "/v1/jobs/" + finished), "/status"), "canceled");
    stop_cleanly(server);
    check_every_record(server.state_dir(), 2);
}

// (h) The creation journal: a job that never changed lives only there, is
// folded from it after a restart (same job, same events), and gets its own
// log at its first change; a journal line whose job id is not a UUID (a
// damaged or forged file) is skipped and never names a path outside the root.
BOOST_AUTO_TEST_CASE(journaled_jobs_survive_a_restart_and_odd_ids_are_ignored) {
    OmxdProcess server;
    server.start();
    std::string id;
    json::value job_before;
    json::array events_before;
    {
        HttpClient http(server.port());
        id = create_job(http, 1); // waits for approval: no change after its creation
        job_before = get_json(http, "/v1/jobs/" + id);
        events_before = all_events(http, id);
    }
    stop_cleanly(server);
    const auto state = server.state_dir();
    BOOST_REQUIRE(!fs::exists(state / id));
    auto journaled = journal_only_jobs(state);
    BOOST_REQUIRE_EQUAL(journaled.count(id), 1u);

    // A forged line: the job's first line with its id replaced by a path.
    auto victim = state.parent_path() / "victim";
    fs::create_directories(victim);
    write_file(victim / "keep.txt", "must survive");
    auto line = journaled[id].substr(0, journaled[id].find('\n') + 1);
    for (auto at = line.find(id); at != std::string::npos; at = line.find(id, at + 9))
        line.replace(at, id.size(), "../victim");
    fs::path segment;
    for (const auto& e : fs::directory_iterator(state / ".journal")) segment = e.path();
    write_file(segment, line, std::ios::app);

    server.start();
    BOOST_CHECK(fs::exists(victim / "keep.txt"));
    HttpClient http(server.port());
    BOOST_CHECK_EQUAL(get_json(http, "/v1/jobs/" + id), job_before);
    BOOST_CHECK_EQUAL(all_events(http, id), events_before);
    BOOST_CHECK(!fs::exists(state / id));
    post_message(http, id, "the first change");
    BOOST_CHECK(fs::exists(state / id / "events.jsonl"));
    auto events_after = all_events(http, id); // throws unless the seqs run 1..N
    BOOST_CHECK_EQUAL(events_after.size(), events_before.size() + 1);
    stop_cleanly(server);
    check_every_record(state, 1);
}

// (g) SIGTERM and SIGINT: an open SSE stream is ended, the exit code is 0, and
// a restart finds everything (with --fsync interval, shutdown syncs the logs).
void graceful_stop_with_open_stream(int sig, std::vector<std::string> args) {
    OmxdProcess server;
    server.start(args);
    HttpClient http(server.port());
    auto id = create_job(http, 1);
    auto message = post_message(http, id, "before the signal");
    auto job_before = get_json(http, "/v1/jobs/" + id);
    auto events_before = all_events(http, id);

    SseClient sse;
    sse.open(server.port(), "/v1/jobs/" + id + "/events");
    BOOST_REQUIRE_EQUAL(sse.status(), 200);
    auto replay = sse.next_events(events_before.size(), 10s);
    BOOST_CHECK_EQUAL(replay.back().id.value_or("none"), std::to_string(events_before.size()));

    auto signaled = Clock::now();
    server.kill(sig);
    sse.read_until_closed(10s); // throws if the stream is not ended
    BOOST_CHECK(sse.closed());
    auto status = server.wait_exit(15s);
    BOOST_REQUIRE_MESSAGE(status, "omxd did not exit after signal " << sig);
    require_clean_exit(server, *status);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - signaled);
    BOOST_TEST_MESSAGE("signal " << sig << ": stream ended and exit 0 after " << took.count()
                                 << " ms");
    BOOST_CHECK_LT(took.count(), 5000); // nothing to wait for: no grace period used
    BOOST_CHECK(server.stderr_text().find("stopped") != std::string::npos);
    check_fold_equals_record(server.state_dir() / id);

    server.start(args);
    HttpClient again(server.port());
    BOOST_CHECK_EQUAL(get_json(again, "/v1/jobs/" + id), job_before);
    BOOST_CHECK_EQUAL(all_events(again, id), events_before);
    BOOST_CHECK(mailbox_ids(again, id).count(message));
    stop_cleanly(server);
}

BOOST_AUTO_TEST_CASE(sigterm_ends_streams_persists_and_exits_0) {
    graceful_stop_with_open_stream(SIGTERM, {});
}

BOOST_AUTO_TEST_CASE(sigint_ends_streams_persists_and_exits_0) {
    graceful_stop_with_open_stream(SIGINT, {"--fsync", "interval"});
}

// (g) A second signal during shutdown exits at once. A request whose body is
// still arriving keeps the shutdown waiting for its grace period (5 s x
// --time-scale 4 = 20 s), which makes the window deterministic.
BOOST_AUTO_TEST_CASE(second_signal_during_shutdown_exits_at_once) {
    OmxdProcess server;
    server.start({"--time-scale", "4"});
    HttpClient http(server.port());
    auto id = create_job(http, 1);
    HalfRequest half(server.port());
    // A full exchange on another connection: by then the first one's head was read.
    BOOST_REQUIRE_EQUAL(http.get("/v1/healthz").status, 200);
    std::this_thread::sleep_for(200ms);

    server.kill(SIGTERM);
    auto deadline = Clock::now() + 10s;
    while (server.stderr_text().find("shutting down") == std::string::npos &&
           Clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    BOOST_REQUIRE_MESSAGE(server.stderr_text().find("shutting down") != std::string::npos,
                          "no 'shutting down' logged:\n"
                              << server.stderr_text());
    std::this_thread::sleep_for(300ms);
    BOOST_REQUIRE_MESSAGE(server.running(),
                          "omxd finished its shutdown although a request was in progress:\n"
                              << server.stderr_text());

    auto second = Clock::now();
    server.kill(SIGINT);
    auto status = server.wait_exit(5s);
    BOOST_REQUIRE_MESSAGE(status,
                          "omxd did not exit within 5 s of the second signal (grace is 20 s)");
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - second);
    BOOST_TEST_MESSAGE("second signal: exit after " << took.count() << " ms, status " << *status);
    BOOST_CHECK_LT(took.count(), 2000);
    BOOST_CHECK_MESSAGE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0,
                        "expected a non-zero exit, raw status " << *status);
    BOOST_CHECK(server.stderr_text().find("second signal") != std::string::npos);

    server.start();
    HttpClient again(server.port());
    BOOST_CHECK_EQUAL(str(get_json(again, "/v1/jobs/" + id), "/status"), "waiting_approval");
    stop_cleanly(server);
}
