// The Redis backend with its roles in separate processes (issue 8): API nodes
// and workers, each a real omxd, on one real redis-server; agents are the
// scripted agent. Jobs created on one API node run on a worker and stream,
// without gap or duplicate, from another; actions reach the owner as
// commands; a worker killed with SIGKILL has its job taken over; Redis away
// means 503 and reconnecting streams, and work resumes when it is back; with
// a shared work root a takeover continues in the same workspace; a Redis
// killed with SIGKILL comes back (AOF) with every acknowledged event.
#define BOOST_TEST_MODULE redis_roles
#include <boost/test/unit_test.hpp>

#include "tests/integration/team_helpers.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/sse_client.hpp"

#include <signal.h>

using namespace omx::test;

namespace {

// One omxd of the cluster; `role` is api or worker.
struct Node {
    Node(const RedisServer& redis, std::string role, std::vector<std::string> extra = {}, fs::path work_root = {}) {
        record = process.log_dir() / "record";
        fs::create_directories(record);
        if (work_root.empty()) work_root = process.log_dir() / "runs";
        std::vector<std::string> args{"--redis", redis.url(), "--role", role, "--skip-clone", "--time-scale", "0.2",
                                      "--work-root", work_root.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        process.start(args, {{"JOB_CLI_BIN", scripted_agent}});
    }
    HttpClient client() const { return HttpClient(process.port()); }
    OmxdProcess process;
    fs::path record;
};

json::object scripted_job(const fs::path& record, json::object script, json::object options = {}) {
    script["record"] = record.string();
    auto body = job_body("team");
    body["task"] = dump(script);
    if (!options.empty()) body["options"] = std::move(options);
    return body;
}

// The job's events as the API pages them (JSON, not SSE).
json::array event_items(HttpClient& api, const std::string& id) {
    auto r = api.get("/v1/jobs/" + id + "/events?after=0&limit=1000", {{"Accept", "application/json"}});
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    return r.json().at("items").as_array();
}

std::string create(HttpClient& api, const json::object& body) {
    auto r = api.post_json("/v1/jobs", body);
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    return str(r.json(), "/jobId");
}

// Every event of the job's stream from `api` until it ends, reconnecting with
// Last-Event-ID whenever the server closes it early; checks 1, 2, 3, … without
// gap or repeat.
std::vector<SseEvent> follow_to_end(std::uint16_t port, const std::string& id, std::chrono::seconds timeout = 60s) {
    std::vector<SseEvent> events;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        SseClient sse;
        Headers h;
        if (!events.empty()) h["Last-Event-ID"] = events.back().id.value_or("");
        try {
            sse.open(port, "/v1/jobs/" + id + "/events", h);
        } catch (const std::exception&) {
            std::this_thread::sleep_for(200ms);
            continue;
        }
        if (sse.status() != 200) {
            std::this_thread::sleep_for(200ms);
            continue;
        }
        for (;;) {
            std::optional<SseEvent> e;
            try {
                e = sse.next_event(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
            } catch (const std::exception&) {
                break;
            }
            if (!e) break;
            if (e->event == "end") return events;
            BOOST_TEST_REQUIRE(e->id.value_or("") == std::to_string(events.size() + 1), "event " << e->id.value_or("?") << " after " << events.size());
            events.push_back(*e);
        }
    }
    BOOST_FAIL("the stream of job " << id << " did not end in time");
    return events;
}

// Polls /v1/readyz until it answers `status` (up to ~10 s); whether it did.
bool readyz_becomes(HttpClient& api, int status) {
    for (int i = 0; i < 200; ++i) {
        if (api.get("/v1/readyz").status == status) return true;
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

// The worker (of w1 and w2) that runs a task of the job (other than `except`),
// once one runs; the worker id in its log says which process it is.
Node& worker_running(HttpClient& api, const std::string& id, Node& w1, Node& w2, std::string_view except = {}) {
    std::string owner;
    for (int i = 0; owner.empty(); ++i) {
        auto team = get_json(api, "/v1/jobs/" + id + "/team");
        for (auto& t : team.at("tasks").as_array())
            if (t.at("status") == "running" && t.at("workerId").is_string() && t.at("id").as_string() != except)
                owner = t.at("workerId").as_string();
        BOOST_TEST_REQUIRE(i < 600, "no task of job " << id << " started: " << dump(team));
        std::this_thread::sleep_for(25ms);
    }
    Node& node = w1.process.stderr_text().find("worker=" + owner) != std::string::npos ? w1 : w2;
    BOOST_TEST(node.process.stderr_text().find("worker=" + owner) != std::string::npos);
    return node;
}

bool has_event(const std::vector<SseEvent>& events, std::string_view type) {
    return std::any_of(events.begin(), events.end(), [&](auto& e) { return e.event == type; });
}

} // namespace

BOOST_AUTO_TEST_CASE(a_job_created_on_one_api_node_runs_on_a_worker_and_streams_from_another) {
    RedisServer redis;
    Node api1(redis, "api"), api2(redis, "api"), worker(redis, "worker");
    auto c1 = api1.client();
    auto c2 = api2.client();
    BOOST_TEST(c1.get("/v1/readyz").status == 200);
    SseClient all_jobs; // the dashboard's stream of every job's events, from node 2
    all_jobs.open(api2.process.port(), "/v1/monitor/events");
    BOOST_TEST_REQUIRE(all_jobs.status() == 200);

    auto id = create(c1, scripted_job(worker.record, {{"default", json::object{{"message", "ok"}}}},
                                      {{"requireApproval", true}}));
    auto parked = wait_status(c2, id, "waiting_approval");
    BOOST_TEST(str(parked, "/approvalState") == "required");

    // The stream on the second node starts before the approval on the first.
    std::vector<SseEvent> events;
    std::thread reader([&] { events = follow_to_end(api2.process.port(), id); });
    std::this_thread::sleep_for(300ms);
    auto approved = c1.post_json("/v1/jobs/" + id + "/actions/approve", json::object{{"comment", "go"}});
    BOOST_TEST_REQUIRE(approved.status == 200, approved.body);
    BOOST_TEST(str(approved.json(), "/approvalState") == "approved");
    reader.join();

    auto done = wait_terminal(c1, id);
    BOOST_TEST(str(done, "/status") == "succeeded");
    BOOST_TEST(events.size() == event_items(c1, id).size());
    BOOST_TEST(has_event(events, "approval"));
    BOOST_TEST(events.back().event == "completed");

    // Either node lists it and pages its events; a second approve is refused by the owner's engine.
    auto list = c2.get("/v1/jobs?status=succeeded");
    BOOST_TEST(list.body.find(id) != std::string::npos);
    auto page = c2.get("/v1/jobs/" + id + "/events?after=2&limit=5", {{"Accept", "application/json"}}).json();
    BOOST_TEST(page.at("items").as_array().size() == 5u);
    BOOST_TEST(page.at("next").to_number<int>() == 7);
    auto again = c2.post_json("/v1/jobs/" + id + "/actions/approve", json::object{});
    BOOST_TEST(again.status == 409, again.body);

    // Node 2's all-jobs stream saw the job from its creation on node 1 to its end, numbered by node 2.
    std::vector<std::string> seen;
    while (seen.empty() || seen.back() != "completed") {
        auto e = all_jobs.next_event(10s);
        BOOST_TEST_REQUIRE(e.has_value());
        if (e->data.find(id) != std::string::npos) seen.push_back(e->event);
    }
    BOOST_TEST(seen.front() == "queued");
    BOOST_TEST(seen.size() == events.size());
    // The overview counts from Redis: the finished job and its token use.
    auto overview = get_json(c1, "/v1/monitor/overview");
    BOOST_TEST(overview.at("jobs").at("succeeded").to_number<int>() == 1, dump(overview));
    BOOST_TEST(overview.at("jobs").at("total").to_number<int>() == 1);
    BOOST_TEST(overview.at("tokens").at("jobsWithUsage").to_number<int>() + overview.at("tokens").at("jobsWithoutUsage").to_number<int>() == 1);

    // The agents' logs, kept by the worker on its own disk, are served by an API node from Redis.
    auto log = c2.get("/v1/jobs/" + id + "/team/tasks/team-planner/logs");
    BOOST_TEST_REQUIRE(log.status == 200, log.body);
    BOOST_TEST(log.body.find(" out | ") != std::string::npos, log.body);
    BOOST_TEST(log.body.find("omx | finished: ok") != std::string::npos, log.body);
    BOOST_TEST(c2.get("/v1/jobs/" + id + "/team/tasks/team-planner/logs?attempt=2").status == 404);
}

BOOST_AUTO_TEST_CASE(idempotent_creation_and_mailbox_messages_go_through_redis) {
    RedisServer redis;
    Node api1(redis, "api"), api2(redis, "api"), worker(redis, "worker");
    auto c1 = api1.client();
    auto c2 = api2.client();
    auto body = scripted_job(worker.record, {{"default", json::object{{"message", "ok"}}}}, {{"requireApproval", true}});
    auto first = c1.post_json("/v1/jobs", body, {{"Idempotency-Key", "k-1"}});
    auto second = c2.post_json("/v1/jobs", body, {{"Idempotency-Key", "k-1"}});
    BOOST_TEST_REQUIRE(first.status == 201, first.body);
    BOOST_TEST(second.status == 201, second.body); // api.md: 201 again, same id
    auto id = str(first.json(), "/jobId");
    BOOST_TEST(str(second.json(), "/jobId") == id);
    body["task"] = "something else";
    BOOST_TEST(c2.post_json("/v1/jobs", body, {{"Idempotency-Key", "k-1"}}).status == 409);

    wait_status(c1, id, "waiting_approval");
    auto posted = c2.post_json("/v1/jobs/" + id + "/team/mailbox", json::object{{"kind", "notice"}, {"to", "leader"},
                                                                            {"message", "hello from node 2"}});
    BOOST_TEST_REQUIRE(posted.status == 201, posted.body);
    auto mailbox = get_json(c1, "/v1/jobs/" + id + "/team/mailbox");
    BOOST_TEST(dump(mailbox).find("hello from node 2") != std::string::npos);
    auto bad = c1.post_json("/v1/jobs/" + id + "/team/mailbox", json::object{{"kind", "nonsense"}});
    BOOST_TEST(bad.status == 400, bad.body);
    auto canceled = c1.post_json("/v1/jobs/" + id + "/actions/cancel", json::object{});
    BOOST_TEST(canceled.status == 200, canceled.body);
    BOOST_TEST(str(wait_terminal(c2, id), "/status") == "canceled");
}

BOOST_AUTO_TEST_CASE(a_worker_killed_mid_job_is_taken_over_and_its_agents_are_gone) {
    RedisServer redis;
    // Two API nodes, two workers with separate work roots and a short lease (2 s at this time scale: 10 s × 0.2).
    Node api(redis, "api"), api2(redis, "api");
    Node w1(redis, "worker", {"--job-lease", "10"}), w2(redis, "worker", {"--job-lease", "10"});
    auto c = api.client();
    // Every task sleeps long enough to be killed in the middle of it: the
    // worker dies in a task after the planner's, so the planner's work is lost with its workspace.
    auto id = create(c, scripted_job(w1.record, {{"default", json::object{{"sleep", 1.5}, {"message", "ok"}}}}));
    // The second API node streams the job through the takeover.
    std::vector<SseEvent> streamed;
    std::jthread reader([&] { streamed = follow_to_end(api2.process.port(), id, 90s); }); // joined on a failure too
    auto* owner_log = &worker_running(c, id, w1, w2, "team-planner");
    auto* other = owner_log == &w1 ? &w2 : &w1;
    auto agents = read_file(owner_log->record / "agents.log");
    owner_log->process.kill(SIGKILL);
    owner_log->process.wait_exit(5s);

    auto done = wait_terminal(c, id, 60s);
    BOOST_TEST(str(done, "/status") == "succeeded", dump(done));
    BOOST_TEST(other->process.stderr_text().find("job taken job=" + id) != std::string::npos);
    reader.join();
    auto items = event_items(c, id);
    BOOST_TEST(streamed.size() == items.size()); // every event once, in order (follow_to_end checks the ids)
    BOOST_TEST_REQUIRE(!streamed.empty());
    BOOST_TEST(streamed.back().event == "completed");
    std::string types;
    for (auto& e : items) {
        types += std::string(e.at("type").as_string()) + " ";
        if (e.at("type") == "team.task.started") types += dump(e.at("payload").at("workerId")) + " ";
    }
    types += "\nkilled:\n" + owner_log->process.stderr_text() + "\nother:\n" + other->process.stderr_text();
    BOOST_TEST(types.find("team.claim_recovered") != std::string::npos, types);
    // Separate work roots: the other worker made a workspace of its own, said
    // the first one is lost, and ran every task again, the planner included.
    std::vector<json::value> lost;
    std::set<std::string> paths;
    int planner_starts = 0;
    for (auto& e : items) {
        if (e.at("type") == "team.claim_recovered" && e.at("payload").at("reason") == "workspace lost") lost.push_back(e);
        if (e.at("type") == "workspace_ready") paths.insert(std::string(e.at("payload").at("path").as_string()));
        if (e.at("type") == "team.task.started" && e.at("payload").at("taskId") == "team-planner") ++planner_starts;
    }
    BOOST_TEST_REQUIRE(lost.size() == 1u, types);
    BOOST_TEST(lost[0].at("payload").at("taskIds").as_array().size() >= 2u);
    BOOST_TEST(paths.size() == 2u, types);
    BOOST_TEST(planner_starts == 2, types);
    // The dead worker's agent did not outlive it (PR_SET_PDEATHSIG).
    std::istringstream lines(agents);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream f(line);
        std::string time, job, task, attempt, pid;
        f >> time >> job >> task >> attempt >> pid;
        if (pid.empty()) continue;
        for (int i = 0; i < 100 && ::kill(std::stoi(pid), 0) == 0; ++i) std::this_thread::sleep_for(50ms);
        BOOST_TEST(::kill(std::stoi(pid), 0) != 0, "agent " << pid << " outlived its worker");
    }
}

BOOST_AUTO_TEST_CASE(redis_away_answers_503_and_work_resumes_when_it_returns) {
    RedisServer redis;
    Node api(redis, "api"), worker(redis, "worker");
    auto c = api.client();
    auto id = create(c, scripted_job(worker.record, {{"default", json::object{{"sleep", 0.5}, {"message", "ok"}}}}));
    wait_status(c, id, "running");

    redis.stop();
    BOOST_TEST(readyz_becomes(c, 503));
    auto refused = c.post_json("/v1/jobs", scripted_job(worker.record, {}));
    BOOST_TEST(refused.status == 503, refused.body);
    BOOST_TEST(c.get("/v1/jobs/" + id).status == 503);
    std::this_thread::sleep_for(1s);

    redis.start();
    BOOST_TEST_REQUIRE(readyz_becomes(c, 200));
    // Acknowledged before the stop: still there (AOF, appendfsync always), and it finishes.
    auto events = follow_to_end(api.process.port(), id, 90s);
    BOOST_TEST(events.back().event == "completed");
    BOOST_TEST(str(wait_terminal(c, id), "/status") == "succeeded");
}

BOOST_AUTO_TEST_CASE(with_a_shared_work_root_a_takeover_continues_in_the_same_workspace) {
    RedisServer redis;
    Node api(redis, "api");
    auto shared = api.process.log_dir() / "shared-runs";
    Node w1(redis, "worker", {"--job-lease", "10"}, shared), w2(redis, "worker", {"--job-lease", "10"}, shared);
    auto c = api.client();
    auto id = create(c, scripted_job(w1.record, {{"default", json::object{{"sleep", 1.5}, {"message", "ok"}}}}));
    auto* dead = &worker_running(c, id, w1, w2);
    dead->process.kill(SIGKILL);
    dead->process.wait_exit(5s);
    BOOST_TEST(str(wait_terminal(c, id, 60s), "/status") == "succeeded");
    // Both runs used the one workspace, and the first run's files are still there.
    std::set<std::string> paths;
    for (auto& e : event_items(c, id))
        if (e.at("type") == "workspace_ready") paths.insert(std::string(e.at("payload").at("path").as_string()));
    BOOST_TEST(paths.size() == 1u);
    BOOST_TEST(fs::exists(shared / id / "tasks" / "team-planner" / "1.log"));
    for (auto& e : event_items(c, id)) // the workspace was there: nothing runs again
        BOOST_TEST(!(e.at("type") == "team.claim_recovered" && e.at("payload").at("reason") == "workspace lost"));
}

BOOST_AUTO_TEST_CASE(a_redis_killed_and_restarted_keeps_every_acknowledged_job_and_event) {
    RedisServer redis;
    Node api(redis, "api"), worker(redis, "worker");
    auto c = api.client();
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i)
        ids.push_back(create(c, scripted_job(worker.record, {{"default", json::object{{"sleep", 0.2}, {"message", "ok"}}}},
                                             {{"requireApproval", i % 2 == 0}})));
    wait_status(c, ids[0], "waiting_approval");
    std::map<std::string, std::size_t> events_before;
    for (auto& id : ids) events_before[id] = event_items(c, id).size();

    redis.kill(); // SIGKILL: only what the AOF (appendfsync always) holds comes back
    redis.start();
    BOOST_TEST_REQUIRE(readyz_becomes(c, 200));
    for (auto& id : ids) {
        auto items = event_items(c, id);
        BOOST_TEST(items.size() >= events_before[id], id);
        for (std::size_t i = 0; i < items.size(); ++i)
            BOOST_TEST(items[i].at("seq").to_number<std::size_t>() == i + 1);
    }
    for (std::size_t i = 0; i < ids.size(); i += 2) {
        auto approved = c.post_json("/v1/jobs/" + ids[i] + "/actions/approve", json::object{});
        BOOST_TEST(approved.status == 200, approved.body);
    }
    for (auto& id : ids) BOOST_TEST(str(wait_terminal(c, id, 60s), "/status") == "succeeded", id);
}
