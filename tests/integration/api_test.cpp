// The HTTP API of api.md against the real omxd: endpoints and views, list
// filters and cursor paging, the /v1/runs alias, actions and their 409s, the
// job gate, task actions, the mailbox, the overview, errors and limits, the
// server's refusals, and Idempotency-Key (also after a crash).
#define BOOST_TEST_MODULE api_test
#include <boost/test/unit_test.hpp>

#include "tests/integration/api_helpers.hpp"
#include "tests/support/test_backend.hpp"

#include <latch>
#include <map>
#include <mutex>
#include <signal.h>
#include <thread>

using namespace omx::test;
namespace fs = std::filesystem;

namespace {

// One server for the test cases whose jobs do not disturb each other; cases
// that count jobs, need flags or crash the server start their own.
struct SharedServer {
    void setup() { server = std::make_unique<Server>(); }
    void teardown() { server.reset(); }
    static inline std::unique_ptr<Server> server;
};

HttpClient shared_client() {
    return SharedServer::server->client();
}

const std::string absent_job = "00000000-0000-4000-8000-000000000000"; // canonical, never created

// The fields of each object of schemas.md.
// clang-format off
const std::set<std::string> job_keys{
    "id", "provider", "mode", "repo", "ref", "task", "options", "status", "approvalState", "output",
    "error", "createdAt", "updatedAt", "startedAt", "finishedAt", "team"};
const std::set<std::string> team_keys{
    "status", "phase", "phaseHistory", "fixAttempts", "maxFixAttempts", "parallelTasks",
    "currentTaskId", "approvalTaskId", "plan", "tasks", "mailbox", "metrics"};
const std::set<std::string> task_keys{
    "id", "name", "role", "dependencies", "maxAttempts", "timeoutSeconds", "requiresApproval",
    "status", "attempt", "failures", "notBefore", "approval", "startedAt", "finishedAt",
    "durationMs", "workerId", "claimToken", "claimExpiresAt", "lastHeartbeatAt", "pid", "error",
    "errorClass", "output"};
const std::set<std::string> metrics_keys{
    "total", "queued", "running", "blocked", "succeeded", "failed", "canceled", "waitingApproval",
    "terminal", "activeWorkers", "inputTokens", "cachedInputTokens", "outputTokens", "totalTokens",
    "costUsd", "averageDurationMs", "maxDurationMs"};
const std::set<std::string> message_keys{
    "id", "kind", "from", "to", "taskId", "message", "payload", "meta", "createdAt", "delivered",
    "deliveredAt", "deliveredTo"};
// clang-format on

std::vector<std::string> ids_of(const json::value& items) {
    std::vector<std::string> ids;
    for (auto& item : items.as_array())
        ids.push_back(str(item, "/id"));
    return ids;
}

std::vector<std::string> list_ids(HttpClient& c, const std::string& query) {
    auto page = get_json(c, "/v1/jobs?" + query);
    BOOST_TEST(at(page, "/nextCursor").is_null(), query);
    return ids_of(at(page, "/items"));
}

std::set<std::string> as_set(const std::vector<std::string>& v) {
    return {v.begin(), v.end()};
}

// Follows nextCursor from the first page to the last; fails past max_pages.
std::vector<std::string> all_pages(HttpClient& c, const std::string& query, std::size_t limit,
                                   std::size_t max_pages = 20) {
    std::vector<std::string> ids;
    std::string cursor;
    for (std::size_t n = 0; n < max_pages; ++n) {
        auto target = "/v1/jobs?" + query + "&limit=" + std::to_string(limit);
        if (!cursor.empty()) target += "&cursor=" + cursor;
        auto page = get_json(c, target);
        auto items = ids_of(at(page, "/items"));
        BOOST_TEST(items.size() <= limit);
        ids.insert(ids.end(), items.begin(), items.end());
        if (at(page, "/nextCursor").is_null()) return ids;
        BOOST_TEST_REQUIRE(items.size() == limit, "a page before the last one is full");
        cursor = str(page, "/nextCursor");
    }
    BOOST_FAIL("paging did not end within " << max_pages << " pages");
    return ids;
}

// createdAt of each job, for order checks.
std::map<std::string, std::string> created_at(HttpClient& c, const std::vector<std::string>& ids) {
    std::map<std::string, std::string> out;
    for (auto& id : ids)
        out[id] = str(get_json(c, job_url(id)), "/createdAt");
    return out;
}

// Newest first: createdAt never increases along the list, and of two jobs
// created at different times the later one comes first.
void expect_newest_first(const std::vector<std::string>& listed,
                         const std::vector<std::string>& creation_order,
                         const std::map<std::string, std::string>& created) {
    for (std::size_t i = 1; i < listed.size(); ++i)
        BOOST_TEST(created.at(listed[i - 1]) >= created.at(listed[i]));
    auto position = [&](const std::string& id) {
        return std::find(listed.begin(), listed.end(), id) - listed.begin();
    };
    for (std::size_t i = 1; i < creation_order.size(); ++i) {
        const auto& older = creation_order[i - 1];
        const auto& newer = creation_order[i];
        if (created.at(older) < created.at(newer)) BOOST_TEST(position(newer) < position(older));
    }
}

struct ExpectedTask {
    std::string id;
    std::string role;
    std::vector<std::string> dependencies;
    std::string status; // queued | blocked
    int maxAttempts = 1;
    int timeoutSeconds = 900;
};

struct ModeCase {
    std::string name;
    json::object body;
    std::string phase;
    int maxFixAttempts;
    int parallelTasks;
    std::vector<ExpectedTask> tasks;
};

void expect_initial_team(const json::value& team, const ModeCase& mc) {
    BOOST_TEST(keys_of(team) == team_keys);
    BOOST_TEST(str(team, "/status") == "queued");
    BOOST_TEST(str(team, "/phase") == mc.phase);
    auto& history = at(team, "/phaseHistory").as_array();
    BOOST_TEST_REQUIRE(history.size() == 1u);
    BOOST_TEST(str(history[0], "/phase") == mc.phase);
    BOOST_TEST(str(history[0], "/reason") == "created");
    BOOST_TEST(is_timestamp(at(history[0], "/enteredAt")));
    BOOST_TEST(num(team, "/fixAttempts") == 0);
    BOOST_TEST(num(team, "/maxFixAttempts") == mc.maxFixAttempts);
    BOOST_TEST(num(team, "/parallelTasks") == mc.parallelTasks);
    BOOST_TEST(at(team, "/currentTaskId").is_null());
    BOOST_TEST(at(team, "/approvalTaskId").is_null());
    BOOST_TEST(at(team, "/plan").is_null());
    BOOST_TEST(at(team, "/mailbox").as_array().empty());
    auto& tasks = at(team, "/tasks").as_array();
    BOOST_TEST_REQUIRE(tasks.size() == mc.tasks.size());
    int queued = 0, blocked = 0;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        const auto& t = tasks[i];
        const auto& want = mc.tasks[i];
        BOOST_TEST_CONTEXT("task " << want.id) {
            BOOST_TEST(keys_of(t) == task_keys);
            BOOST_TEST(str(t, "/id") == want.id);
            BOOST_TEST(str(t, "/role") == want.role);
            std::vector<std::string> deps;
            for (auto& d : at(t, "/dependencies").as_array())
                deps.emplace_back(d.as_string());
            BOOST_TEST(deps == want.dependencies, boost::test_tools::per_element());
            BOOST_TEST(str(t, "/status") == want.status);
            BOOST_TEST(num(t, "/maxAttempts") == want.maxAttempts);
            BOOST_TEST(num(t, "/timeoutSeconds") == want.timeoutSeconds);
            BOOST_TEST(num(t, "/attempt") == 0);
            BOOST_TEST(num(t, "/failures") == 0);
            for (auto field : {"/notBefore", "/approval", "/startedAt", "/finishedAt",
                               "/durationMs", "/workerId", "/claimToken", "/claimExpiresAt",
                               "/lastHeartbeatAt", "/pid", "/error", "/errorClass", "/output"})
                BOOST_TEST(at(t, field).is_null(), field);
            (want.status == "queued" ? queued : blocked)++;
        }
    }
    auto& m = at(team, "/metrics");
    BOOST_TEST(keys_of(m) == metrics_keys);
    BOOST_TEST(num(m, "/total") == static_cast<std::int64_t>(tasks.size()));
    BOOST_TEST(num(m, "/queued") == queued);
    BOOST_TEST(num(m, "/blocked") == blocked);
    BOOST_TEST(
        num(m, "/running") + num(m, "/succeeded") + num(m, "/failed") + num(m, "/canceled") == 0);
}

// Every task of the job's team state has this status.
void expect_all_tasks(HttpClient& c, const std::string& id, std::string_view status) {
    auto team = get_json(c, job_url(id) + "/team");
    for (auto& t : at(team, "/tasks").as_array())
        BOOST_TEST(str(t, "/status") == status, str(t, "/id"));
}

json::object mail(std::string_view kind, std::string_view text) {
    return {{"kind", kind}, {"message", text}};
}

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(SharedServer);

// ---- health ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(healthz_and_readyz_answer_ok) {
    auto c = shared_client();
    for (auto path : {"/v1/healthz", "/v1/readyz"}) {
        auto r = c.get(path);
        BOOST_TEST(r.status == 200, path);
        BOOST_TEST(r.header("content-type") == "application/json");
        BOOST_TEST(r.json() == json::parse(R"({"ok":true})"), path);
    }
}

BOOST_AUTO_TEST_CASE(readyz_is_503_while_the_store_cannot_be_written, *boost::unit_test::precondition(file_store_only)) {
    Server s;
    auto c = s.client();
    BOOST_TEST(c.get("/v1/readyz").status == 200);
    const fs::path state = s.process.state_dir();
    const fs::path moved = state.string() + ".moved";
    fs::rename(state, moved);
    auto r = c.get("/v1/readyz");
    fs::rename(moved, state);
    auto message = error_message(r, 503);
    BOOST_TEST(message.find("state directory") != std::string::npos, message);
    BOOST_TEST(r.header("retry-after") == "1");
    BOOST_TEST(c.get("/v1/healthz").status == 200); // liveness is not readiness
    BOOST_TEST(c.get("/v1/readyz").status == 200);
}

// ---- create and views -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(create_answers_201_with_id_status_and_location) {
    auto c = shared_client();
    auto r = c.post_json("/v1/jobs", job_body());
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    auto body = r.json();
    BOOST_TEST((keys_of(body) == std::set<std::string>{"jobId", "status"}));
    auto id = str(body, "/jobId");
    BOOST_TEST(is_uuid_v4(id), id);
    BOOST_TEST(str(body, "/status") == "queued");
    BOOST_TEST(r.header("location") == "/v1/jobs/" + id);
    BOOST_TEST(str(get_json(c, r.header("location")), "/id") == id);
}

BOOST_AUTO_TEST_CASE(content_type_is_matched_without_case_or_parameters) {
    auto c = shared_client();
    for (auto type : {"application/json; charset=utf-8", "Application/JSON",
                      " application/json ;charset=UTF-8"}) {
        auto r = post_text(c, "/v1/jobs", dump(job_body()), type);
        BOOST_TEST(r.status == 201, type);
    }
}

BOOST_AUTO_TEST_CASE(expect_100_continue_gets_an_interim_response_before_the_body) {
    auto c = shared_client();
    const auto body = dump(job_body());
    const std::string head =
        "POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Expect: 100-continue\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n";
    // A client that waits for the interim response before sending its body gets it at once.
    auto waiting = c.raw_stall(head + "\r\n", std::chrono::milliseconds(300));
    BOOST_TEST(waiting.received == "HTTP/1.1 100 Continue\r\n\r\n");
    BOOST_TEST(!waiting.closed_by_server);
    auto answer =
        c.raw_exchange(head + "Connection: close\r\n\r\n" + body, std::chrono::seconds(5));
    BOOST_TEST(answer.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"), answer);
}

BOOST_AUTO_TEST_CASE(job_view_has_every_field_with_nulls_where_absent) {
    auto c = shared_client();
    auto id = create_job(c, job_body("autopilot", "claude"));
    auto job = get_json(c, job_url(id));
    BOOST_TEST(keys_of(job) == job_keys);
    BOOST_TEST(str(job, "/id") == id);
    BOOST_TEST(str(job, "/provider") == "claude");
    BOOST_TEST(str(job, "/mode") == "autopilot");
    BOOST_TEST(str(job, "/repo") == "acme/widget");
    BOOST_TEST(str(job, "/ref") == "main");
    BOOST_TEST(str(job, "/task") == "Add a --verbose flag to the CLI");
    BOOST_TEST(str(job, "/status") == "queued");
    BOOST_TEST(str(job, "/approvalState") == "none");
    for (auto field : {"/output", "/error", "/startedAt", "/finishedAt"})
        BOOST_TEST(at(job, field).is_null(), field);
    BOOST_TEST(is_timestamp(at(job, "/createdAt")));
    BOOST_TEST(is_timestamp(at(job, "/updatedAt")));
    BOOST_TEST((keys_of(at(job, "/team")) == std::set<std::string>{"status", "phase", "metrics"}));
    BOOST_TEST(str(job, "/team/status") == "queued");
    BOOST_TEST(str(job, "/team/phase") == "team-plan");
    BOOST_TEST(keys_of(at(job, "/team/metrics")) == metrics_keys);
    BOOST_TEST(num(job, "/team/metrics/total") == 3);
    BOOST_TEST(at(job, "/options") ==
                   json::parse(R"({"workers":1,"maxMinutes":60,"requireApproval":false,
        "keepTmuxSession":true,"agentCommands":{},"maxTokens":null,
        "team":{"maxFixAttempts":2,"parallelTasks":1,"tmuxVisualization":false,"teamTasks":null,"extras":{}}})"),
               dump(at(job, "/options")));
}

BOOST_AUTO_TEST_CASE(options_are_normalized_with_mode_defaults) {
    auto c = shared_client();
    auto options_of = [&](json::object body) {
        return at(get_json(c, job_url(create_job(c, body))), "/options");
    };
    BOOST_TEST(num(options_of(job_body("ralph")), "/team/maxFixAttempts") == 5);
    BOOST_TEST(num(options_of(job_body("pipeline")), "/team/maxFixAttempts") == 0);
    BOOST_TEST(num(options_of(job_body("autopilot")), "/team/maxFixAttempts") == 2);
    auto five = options_of(with_options(job_body("ultrawork"), {{"workers", 5}}));
    BOOST_TEST(num(five, "/workers") == 5);
    BOOST_TEST(num(five, "/team/parallelTasks") == 5); // min(workers, 8)
    BOOST_TEST(num(five, "/team/maxFixAttempts") == 2);
    BOOST_TEST(num(options_of(with_options(job_body("ultrawork"), {{"workers", 12}})),
                   "/team/parallelTasks") == 8);
    auto set = options_of(
        with_options(job_body("ultrawork"),
                     {{"workers", 12}, {"team", {{"parallelTasks", 2}, {"maxFixAttempts", 0}}}}));
    BOOST_TEST(num(set, "/team/parallelTasks") == 2); // a value the client set wins over the preset
    BOOST_TEST(num(set, "/team/maxFixAttempts") == 0);
    auto explicit_values = options_of(
        with_options(job_body("ralph"),
                     json::parse(R"({"maxMinutes":5,"requireApproval":false,"keepTmuxSession":false,
            "maxTokens":5000,"team":{"maxFixAttempts":3,"tmuxVisualization":true,
            "extras":{"ticket":"OPS-1","nested":[1,{"b":null}]}}})")
                         .as_object()));
    BOOST_TEST(explicit_values ==
                   json::parse(R"({"workers":1,"maxMinutes":5,"requireApproval":false,
        "keepTmuxSession":false,"agentCommands":{},"maxTokens":5000,
        "team":{"maxFixAttempts":3,"parallelTasks":1,"tmuxVisualization":true,"teamTasks":null,
                "extras":{"ticket":"OPS-1","nested":[1,{"b":null}]}}})"),
               dump(explicit_values));
}

BOOST_AUTO_TEST_CASE(team_state_of_each_mode_is_built_from_its_template) {
    auto c = shared_client();
    const std::string q = "queued", b = "blocked";
    std::vector<ModeCase> cases{
        {"team",
         job_body("team"),
         "team-plan",
         2,
         1,
         {{"team-planner", "planner", {}, q, 1, 1200},
          {"team-research", "researcher", {"team-planner"}, b, 1, 1200},
          {"team-designer", "designer", {"team-planner"}, b, 1, 1200},
          {"team-developer", "developer", {"team-research", "team-designer"}, b, 2, 3600},
          {"team-executor", "executor", {"team-developer"}, b, 1, 1200},
          {"team-verifier", "verifier", {"team-executor"}, b, 1, 1200}}},
        {"autopilot",
         job_body("autopilot"),
         "team-plan",
         2,
         1,
         {{"planner", "planner", {}, q},
          {"executor", "executor", {"planner"}, b},
          {"verifier", "verifier", {"executor"}, b}}},
        {"ralph",
         job_body("ralph"),
         "team-exec",
         5,
         1,
         {{"executor", "executor", {}, q}, {"verifier", "verifier", {"executor"}, b}}},
        {"ultrawork",
         with_options(job_body("ultrawork"), {{"workers", 3}}),
         "team-plan",
         2,
         3,
         {{"planner", "planner", {}, q},
          {"executor-1", "executor", {"planner"}, b},
          {"executor-2", "executor", {"planner"}, b},
          {"executor-3", "executor", {"planner"}, b},
          {"verifier", "verifier", {"executor-1", "executor-2", "executor-3"}, b}}},
        {"pipeline",
         job_body("pipeline"),
         "team-plan",
         0,
         1,
         {{"planner", "planner", {}, q},
          {"executor", "executor", {"planner"}, b},
          {"verifier", "verifier", {"executor"}, b}}},
        {"team with teamTasks (default ids <role>-<n>)",
         with_options(job_body("team"), json::parse(R"({"team":{"teamTasks":[
             {"name":"Look around","role":"researcher"},
             {"id":"build","name":"Build it","role":"developer","dependencies":["researcher-1"],
              "maxAttempts":3,"timeoutSeconds":120,"requiresApproval":true},
             {"name":"Look again","role":"researcher"},
             {"name":"Check","role":"verifier","dependencies":["build","researcher-2"]}]}})")
                                            .as_object()),
         "team-prd",
         2,
         1,
         {{"researcher-1", "researcher", {}, q},
          {"build", "developer", {"researcher-1"}, b, 3, 120},
          {"researcher-2", "researcher", {}, q},
          {"verifier-1", "verifier", {"build", "researcher-2"}, b}}},
        {"pipeline with teamTasks (chained in the order given)",
         with_options(job_body("pipeline"), json::parse(R"({"team":{"teamTasks":[
             {"id":"code","name":"Write the code","role":"developer"},
             {"id":"run","name":"Run it","role":"executor"},
             {"id":"check","name":"Check it","role":"verifier","dependencies":["code"]}]}})")
                                                .as_object()),
         "team-exec",
         0,
         1,
         {{"code", "developer", {}, q},
          {"run", "executor", {"code"}, b},
          {"check", "verifier", {"code", "run"}, b}}},
    };
    for (auto& mc : cases) {
        BOOST_TEST_CONTEXT("mode case: " << mc.name) {
            auto id = create_job(c, mc.body);
            expect_initial_team(get_json(c, job_url(id) + "/team"), mc);
            auto job = get_json(c, job_url(id));
            BOOST_TEST(str(job, "/team/phase") == mc.phase);
            BOOST_TEST(at(job, "/team/metrics") ==
                       at(get_json(c, job_url(id) + "/team"), "/metrics"));
        }
    }
    // The requiresApproval flag of a template is kept on its task.
    auto id = create_job(c, cases[5].body);
    auto team = get_json(c, job_url(id) + "/team");
    BOOST_TEST(at(team, "/tasks/1/requiresApproval").as_bool());
    BOOST_TEST(!at(team, "/tasks/0/requiresApproval").as_bool());
}

// ---- list -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(list_filters_limit_and_cursor_paging) {
    Server s;
    auto c = s.client();
    BOOST_TEST(list_ids(c, "limit=500").empty());
    std::vector<std::string> order; // creation order
    auto add = [&](json::object body) {
        order.push_back(create_job(c, body));
        return order.back();
    };
    auto j1 = add(job_body("team", "codex"));
    auto j2 = add(job_body("autopilot", "claude"));
    auto j3 = add(job_body("ralph", "gemini"));
    auto j4 = add(with_options(job_body("autopilot", "codex"), {{"requireApproval", true}}));
    auto j5 = add(job_body("team", "gemini"));
    auto j6 = add(job_body("ultrawork", "claude"));
    auto j7 = add(job_body("pipeline", "codex"));
    BOOST_TEST_REQUIRE(action(c, j5, "cancel").status == 200);
    auto created = created_at(c, order);

    auto all = list_ids(c, "");
    BOOST_TEST(as_set(all) == as_set(order));
    BOOST_TEST(all.size() == order.size());
    expect_newest_first(all, order, created);
    // Items are the full job objects.
    auto page = get_json(c, "/v1/jobs?limit=1");
    BOOST_TEST(at(page, "/items/0") == get_json(c, job_url(all[0])));

    using S = std::set<std::string>;
    BOOST_TEST(as_set(list_ids(c, "status=queued")) == (S{j1, j2, j3, j6, j7}));
    BOOST_TEST(as_set(list_ids(c, "status=waiting_approval")) == (S{j4}));
    BOOST_TEST(as_set(list_ids(c, "status=canceled")) == (S{j5}));
    BOOST_TEST(list_ids(c, "status=running").empty());
    BOOST_TEST(list_ids(c, "status=succeeded").empty());
    BOOST_TEST(as_set(list_ids(c, "mode=autopilot")) == (S{j2, j4}));
    BOOST_TEST(as_set(list_ids(c, "provider=codex")) == (S{j1, j4, j7}));
    BOOST_TEST(as_set(list_ids(c, "mode=ultrawork&provider=claude")) == (S{j6}));
    BOOST_TEST(as_set(list_ids(c, "status=queued&provider=gemini")) == (S{j3}));
    BOOST_TEST(list_ids(c, "mode=team&provider=claude").empty());
    auto queued_page = get_json(c, "/v1/jobs?status=queued");
    for (auto& item : at(queued_page, "/items").as_array())
        BOOST_TEST(str(item, "/status") == "queued");

    // Paging: the pages put together are the whole list, in order, each job once.
    for (std::size_t limit : {1u, 2u, 3u, 6u, 7u, 50u}) {
        BOOST_TEST_CONTEXT("limit " << limit) {
            auto paged = all_pages(c, "", limit);
            BOOST_TEST(paged == all, boost::test_tools::per_element());
        }
    }
    BOOST_TEST(at(get_json(c, "/v1/jobs?limit=7"), "/nextCursor")
                   .is_null()); // an exact fit has no next page
    BOOST_TEST(at(get_json(c, "/v1/jobs?limit=6"), "/nextCursor").is_string());
    auto codex = list_ids(c, "provider=codex");
    BOOST_TEST(all_pages(c, "provider=codex", 1) == codex, boost::test_tools::per_element());
    auto queued = list_ids(c, "status=queued");
    BOOST_TEST(all_pages(c, "status=queued", 2) == queued, boost::test_tools::per_element());

    // A job created while paging does not shift the pages that follow.
    auto first = get_json(c, "/v1/jobs?limit=3");
    auto seen = ids_of(at(first, "/items"));
    auto j8 = add(job_body());
    auto cursor = str(first, "/nextCursor");
    for (int n = 0; n < 10 && !cursor.empty(); ++n) {
        auto next = get_json(c, "/v1/jobs?limit=3&cursor=" + cursor);
        auto ids = ids_of(at(next, "/items"));
        seen.insert(seen.end(), ids.begin(), ids.end());
        cursor = at(next, "/nextCursor").is_null() ? "" : str(next, "/nextCursor");
    }
    BOOST_TEST(seen == all, boost::test_tools::per_element());
    BOOST_TEST(str(get_json(c, "/v1/jobs?limit=1"), "/items/0/id") == j8);
}

BOOST_AUTO_TEST_CASE(list_rejects_bad_parameters) {
    auto c = shared_client();
    const std::vector<std::pair<std::string, std::string>> cases{
        {"limit=0", "limit must not be less than 1"},
        {"limit=501", "limit must not be greater than 500"},
        {"limit=-3", "limit must not be less than 1"},
        {"limit=ten", "limit must be an integer number"},
        {"limit=", "limit must be an integer number"},
        {"status=done", "status must be one of the following values: queued, running, "
                        "waiting_approval, succeeded, "
                        "failed, canceled"},
        {"mode=solo",
         "mode must be one of the following values: team, autopilot, ralph, ultrawork, pipeline"},
        {"provider=openai", "provider must be one of the following values: codex, claude, gemini"},
        {"cursor=garbage", "cursor is not a cursor returned by this server"},
        {"sort=asc", "unknown query parameter 'sort'"},
    };
    for (auto& [query, problem] : cases) {
        BOOST_TEST_CONTEXT("GET /v1/jobs?" << query) {
            auto problems = problems_of(c.get("/v1/jobs?" + query));
            BOOST_TEST(has_problem(problems, problem), joined(problems));
        }
    }
    BOOST_TEST(get_json(c, "/v1/jobs?limit=500").is_object());
    BOOST_TEST(get_json(c, "/v1/jobs?limit=1").is_object());
}

// ---- /v1/runs ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(runs_alias_behaves_like_jobs) {
    auto c = shared_client();
    auto r = c.post_json("/v1/runs", job_body("autopilot"));
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    auto id = str(r.json(), "/jobId");
    BOOST_TEST(r.header("location") == "/v1/runs/" + id);
    const std::string runs = "/v1/runs/" + id;
    BOOST_TEST(get_json(c, runs) == get_json(c, job_url(id)));
    BOOST_TEST(get_json(c, runs + "/team") == get_json(c, job_url(id) + "/team"));
    BOOST_TEST(get_json(c, "/v1/runs?limit=5") == get_json(c, "/v1/jobs?limit=5"));
    BOOST_TEST(get_json(c, "/v1/runs?mode=autopilot&limit=3") ==
               get_json(c, "/v1/jobs?mode=autopilot&limit=3"));

    auto posted = c.post_json(runs + "/team/mailbox", mail("notice", "via runs"));
    BOOST_TEST_REQUIRE(posted.status == 201, posted.body);
    BOOST_TEST(get_json(c, runs + "/team/mailbox") == get_json(c, job_url(id) + "/team/mailbox"));
    BOOST_TEST(at(get_json(c, runs + "/team/mailbox"), "/0") == posted.json());

    auto page = c.get(runs + "/events", {{"Accept", "application/json"}});
    BOOST_TEST(page.status == 200);
    BOOST_TEST(str(page.json(), "/items/0/type") == "queued");

    BOOST_TEST(error_message(c.request("POST", runs + "/actions/approve"), 409)
                   .find("nothing is waiting") != std::string::npos);
    BOOST_TEST(error_message(c.request("POST", runs + "/team/tasks/planner/actions/approve"), 409)
                   .find("not waiting for approval") != std::string::npos);
    auto canceled = c.request("POST", runs + "/actions/cancel");
    BOOST_TEST_REQUIRE(canceled.status == 200, canceled.body);
    BOOST_TEST(str(canceled.json(), "/status") == "canceled");
    BOOST_TEST(str(get_json(c, job_url(id)), "/status") == "canceled");

    expect_error(c.get("/v1/runs/" + absent_job), 404);
    expect_error(c.get("/v1/runs/not-a-uuid"), 404);
    auto wrong = c.request("PUT", "/v1/runs");
    expect_error(wrong, 405);
    BOOST_TEST(wrong.header("allow") == "GET, POST");
    auto problems = problems_of(c.post_json("/v1/runs", json::object{}));
    BOOST_TEST(has_problem(problems, "provider is required"), joined(problems));
}

// ---- actions ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(actions_that_do_not_apply_to_a_queued_job_are_409) {
    auto c = shared_client();
    auto id = create_job(c, job_body());
    auto before = get_json(c, job_url(id));
    auto events_before = events_of(c, id).size();
    for (auto name : {"approve", "reject"}) {
        auto message = error_message(action(c, id, name), 409);
        BOOST_TEST(message == "nothing is waiting for approval (job is queued)", name);
    }
    BOOST_TEST(error_message(action(c, id, "resume"), 409) ==
               "only a failed or canceled job can be resumed (job is queued)");
    BOOST_TEST(error_message(action(c, id, "approve", R"({"comment":"ok"})"), 409).size() > 0);
    BOOST_TEST(get_json(c, job_url(id)) == before); // nothing changed
    BOOST_TEST(events_of(c, id).size() == events_before);
}

BOOST_AUTO_TEST_CASE(cancel_of_a_queued_job_cancels_every_task) {
    auto c = shared_client();
    auto id = create_job(c, job_body("autopilot"));
    auto r = action(c, id, "cancel", R"({"comment":"no longer needed"})");
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    auto job = r.json();
    BOOST_TEST(keys_of(job) == job_keys);
    BOOST_TEST(job == get_json(c, job_url(id))); // the job as it is after the action
    BOOST_TEST(str(job, "/status") == "canceled");
    BOOST_TEST(str(job, "/team/phase") == "canceled");
    BOOST_TEST(is_timestamp(at(job, "/finishedAt")));
    BOOST_TEST(at(job, "/error").is_null());
    BOOST_TEST(str(job, "/output/phase") == "canceled");
    BOOST_TEST(at(job, "/output/tasks").as_array().size() == 3u);
    BOOST_TEST(num(job, "/team/metrics/canceled") == 3);
    auto team = get_json(c, job_url(id) + "/team");
    for (auto& t : at(team, "/tasks").as_array()) {
        BOOST_TEST(str(t, "/status") == "canceled");
        BOOST_TEST(str(t, "/errorClass") == "canceled");
    }
    auto types = event_types(events_of(c, id));
    BOOST_TEST(types.back() == "canceled");
    BOOST_TEST(str(events_of(c, id).back(), "/payload/comment") == "no longer needed");

    BOOST_TEST(error_message(action(c, id, "cancel"), 409) == "job is already canceled");
    expect_error(action(c, id, "approve"), 409);
    expect_error(action(c, id, "reject"), 409);
    BOOST_TEST(get_json(c, job_url(id)) == job);

    // resume of a canceled job: queued again, tasks reset, the run's end cleared.
    auto resumed = action(c, id, "resume");
    BOOST_TEST_REQUIRE(resumed.status == 200, resumed.body);
    auto again = resumed.json();
    BOOST_TEST(str(again, "/status") == "queued");
    BOOST_TEST(str(again, "/team/phase") == "team-plan");
    for (auto field : {"/finishedAt", "/output", "/error"})
        BOOST_TEST(at(again, field).is_null(), field);
    team = get_json(c, job_url(id) + "/team");
    BOOST_TEST(str(team, "/tasks/0/status") == "queued");
    BOOST_TEST(str(team, "/tasks/1/status") == "blocked");
    BOOST_TEST(str(team, "/tasks/2/status") == "blocked");
    BOOST_TEST(error_message(action(c, id, "resume"), 409).find("job is queued") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(action_bodies_are_validated) {
    auto c = shared_client();
    auto id = create_job(c, job_body());
    const std::vector<std::pair<std::string, std::string>> cases{
        {R"({"comment":")" + std::string(4001, 'x') + R"("})",
         "comment must be shorter than or equal to 4000 characters"},
        {R"({"reason":"x"})", "unknown field 'reason'"},
        {R"({"comment":5})", "comment must be a string"},
        {R"([1])", "body must be a JSON object"},
    };
    for (auto& [body, problem] : cases) {
        BOOST_TEST_CONTEXT("cancel with " << body.substr(0, 40)) {
            auto problems = problems_of(action(c, id, "cancel", body));
            BOOST_TEST(has_problem(problems, problem), joined(problems));
        }
    }
    expect_error(action(c, id, "cancel", "{"), 400);
    expect_error(post_text(c, job_url(id) + "/actions/cancel", R"({"comment":"x"})", "text/plain"),
                 415);
    expect_error(post_text(c, job_url(id) + "/actions/cancel", R"({"comment":"x"})", ""), 415);
    BOOST_TEST(str(get_json(c, job_url(id)), "/status") == "queued"); // none of them canceled it
    BOOST_TEST(action(c, id, "cancel", R"({"comment":null})").status == 200);
}

BOOST_AUTO_TEST_CASE(job_gate_approve) {
    auto c = shared_client();
    auto r = c.post_json("/v1/jobs", with_options(job_body(), {{"requireApproval", true}}));
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    BOOST_TEST(str(r.json(), "/status") == "waiting_approval");
    auto id = str(r.json(), "/jobId");
    auto job = get_json(c, job_url(id));
    BOOST_TEST(str(job, "/status") == "waiting_approval");
    BOOST_TEST(str(job, "/approvalState") == "required");
    BOOST_TEST(at(job, "/options/requireApproval").as_bool());
    BOOST_TEST(str(get_json(c, job_url(id) + "/team"), "/status") == "waiting_approval");
    const std::vector<std::string> gate_events{"queued", "approval_required"};
    BOOST_TEST(event_types(events_of(c, id)) == gate_events, boost::test_tools::per_element());

    auto approved = action(c, id, "approve", R"({"comment":"go ahead"})");
    BOOST_TEST_REQUIRE(approved.status == 200, approved.body);
    BOOST_TEST(str(approved.json(), "/status") == "queued");
    BOOST_TEST(str(approved.json(), "/approvalState") == "approved");
    auto events = events_of(c, id);
    auto approval = std::find_if(events.begin(), events.end(),
                                 [](auto& e) { return str(e, "/type") == "approval"; });
    BOOST_TEST_REQUIRE((approval != events.end()));
    BOOST_TEST(str(*approval, "/payload/decision") == "approved");
    BOOST_TEST(str(*approval, "/payload/gate") == "job");
    BOOST_TEST(str(*approval, "/payload/comment") == "go ahead");

    expect_error(action(c, id, "approve"), 409); // approving leaves no stale gate behind
    expect_error(action(c, id, "reject"), 409);
    expect_error(action(c, id, "resume"), 409);
    BOOST_TEST(str(get_json(c, job_url(id)), "/status") == "queued");
}

BOOST_AUTO_TEST_CASE(job_gate_reject_then_resume_then_cancel) {
    auto c = shared_client();
    auto id = create_job(c, with_options(job_body("autopilot"), {{"requireApproval", true}}));
    auto rejected = action(c, id, "reject", R"({"comment":"not this week"})");
    BOOST_TEST_REQUIRE(rejected.status == 200, rejected.body);
    auto job = rejected.json();
    BOOST_TEST(str(job, "/status") == "failed");
    BOOST_TEST(str(job, "/error") == "Rejected by approver");
    BOOST_TEST(str(job, "/approvalState") == "rejected");
    BOOST_TEST(str(job, "/team/phase") == "failed");
    BOOST_TEST(is_timestamp(at(job, "/finishedAt")));
    BOOST_TEST(at(job, "/output").is_object());
    expect_all_tasks(c, id, "canceled");
    auto events = events_of(c, id);
    BOOST_TEST(str(events.back(), "/type") == "failed");
    BOOST_TEST(str(events.back(), "/payload/errorClass") == "rejected");
    expect_error(action(c, id, "reject"), 409);
    expect_error(action(c, id, "approve"), 409);

    auto resumed = action(c, id, "resume");
    BOOST_TEST_REQUIRE(resumed.status == 200, resumed.body);
    job = resumed.json();
    BOOST_TEST(str(job, "/status") ==
               "waiting_approval"); // the gate was never approved: pending again
    BOOST_TEST(str(job, "/approvalState") == "required");
    for (auto field : {"/error", "/finishedAt", "/output"})
        BOOST_TEST(at(job, field).is_null(), field);
    auto team = get_json(c, job_url(id) + "/team");
    BOOST_TEST(str(team, "/tasks/0/status") == "queued");
    BOOST_TEST(str(team, "/tasks/1/status") == "blocked");
    expect_error(action(c, id, "resume"), 409);

    auto canceled = action(c, id, "cancel");
    BOOST_TEST_REQUIRE(canceled.status == 200, canceled.body);
    BOOST_TEST(str(canceled.json(), "/status") == "canceled");
    BOOST_TEST(str(canceled.json(), "/approvalState") != "required");
    expect_all_tasks(c, id, "canceled");
    expect_error(action(c, id, "approve"), 409);
    expect_error(action(c, id, "cancel"), 409);
}

BOOST_AUTO_TEST_CASE(task_actions_need_a_known_task_with_a_pending_approval) {
    auto c = shared_client();
    auto id = create_job(c, with_options(job_body("team"), json::parse(R"({"team":{"teamTasks":[
        {"id":"gated","name":"Needs a yes","role":"developer","requiresApproval":true}]}})")
                                                               .as_object()));
    const std::string tasks = job_url(id) + "/team/tasks/";
    for (auto verb : {"approve", "reject"}) {
        BOOST_TEST_CONTEXT(verb) {
            BOOST_TEST(error_message(c.request("POST", tasks + "nope/actions/" + verb), 404) ==
                       "unknown task 'nope'");
            BOOST_TEST(error_message(c.request("POST", tasks + "gated/actions/" + verb), 409) ==
                       "task gated is not waiting for approval (it is queued)");
            expect_error(
                c.request("POST", "/v1/jobs/" + absent_job + "/team/tasks/gated/actions/" + verb),
                404);
        }
    }
    expect_error(c.request("POST", tasks + "gated/actions/cancel"), 404); // not a task action
    expect_error(c.request("POST", tasks + "..%2Fgated/actions/approve"), 404);
    auto wrong = c.get(tasks + "gated/actions/approve");
    expect_error(wrong, 405);
    BOOST_TEST(wrong.header("allow") == "POST");
    BOOST_TEST(str(get_json(c, job_url(id)), "/status") == "queued");
}

// ---- mailbox ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(mailbox_messages_get_server_fields_and_are_listed_oldest_first) {
    auto c = shared_client();
    auto id = create_job(c, job_body("autopilot")); // roles: planner, executor, verifier
    const std::string box = job_url(id) + "/team/mailbox";
    BOOST_TEST(get_json(c, box).as_array().empty());

    auto leader = c.post_json(box, mail("question", "  Which branch should I use?  "));
    BOOST_TEST_REQUIRE(leader.status == 201, leader.body);
    auto m = leader.json();
    BOOST_TEST(keys_of(m) == message_keys);
    BOOST_TEST(is_uuid_v4(str(m, "/id")));
    BOOST_TEST(str(m, "/kind") == "question");
    BOOST_TEST(str(m, "/from") == "leader");
    BOOST_TEST(str(m, "/to") == "leader"); // neither to nor taskId: for the leader
    BOOST_TEST(at(m, "/taskId").is_null());
    BOOST_TEST(str(m, "/message") == "Which branch should I use?"); // trimmed
    BOOST_TEST(at(m, "/payload").is_null());
    BOOST_TEST(at(m, "/meta").is_null());
    BOOST_TEST(is_timestamp(at(m, "/createdAt")));
    BOOST_TEST(at(m, "/delivered").as_bool()); // team.md: leader messages are delivered on receipt
    BOOST_TEST(is_timestamp(at(m, "/deliveredAt")));

    auto to_role = c.post_json(box, json::parse(R"({"kind":"instruction","message":"Use the v2 API",
        "to":"executor","payload":{"files":["a.c"]},"meta":{"urgent":true}})"));
    BOOST_TEST_REQUIRE(to_role.status == 201, to_role.body);
    auto r = to_role.json();
    BOOST_TEST(str(r, "/to") == "executor");
    BOOST_TEST(!at(r, "/delivered").as_bool()); // delivered when a matching task next starts
    BOOST_TEST(at(r, "/deliveredAt").is_null());
    BOOST_TEST(at(r, "/deliveredTo").as_array().empty());
    BOOST_TEST(at(r, "/payload") == json::parse(R"({"files":["a.c"]})"));
    BOOST_TEST(at(r, "/meta") == json::parse(R"({"urgent":true})"));

    auto to_roles = c.post_json(
        box, json::parse(R"({"kind":"notice","message":"fyi","to":["planner","verifier"]})"));
    BOOST_TEST_REQUIRE(to_roles.status == 201, to_roles.body);
    BOOST_TEST(at(to_roles.json(), "/to") == json::parse(R"(["planner","verifier"])"));

    auto to_task = c.post_json(
        box, json::parse(R"({"kind":"question","message":"why?","taskId":"verifier"})"));
    BOOST_TEST_REQUIRE(to_task.status == 201, to_task.body);
    BOOST_TEST(str(to_task.json(), "/taskId") == "verifier");
    BOOST_TEST(str(to_task.json(), "/to") == "verifier"); // the task's role

    auto reassign = c.post_json(
        box,
        json::parse(
            R"({"kind":"reassign","message":"Plan again","taskId":"planner","to":"planner"})"));
    BOOST_TEST_REQUIRE(reassign.status == 201, reassign.body);
    BOOST_TEST(str(reassign.json(), "/kind") == "reassign");

    std::vector<std::string> posted{str(m, "/id"), str(r, "/id"), str(to_roles.json(), "/id"),
                                    str(to_task.json(), "/id"), str(reassign.json(), "/id")};
    auto listed = get_json(c, box);
    BOOST_TEST(ids_of(listed) == posted, boost::test_tools::per_element());
    BOOST_TEST(at(listed, "/0") == m);
    BOOST_TEST(at(get_json(c, job_url(id) + "/team"), "/mailbox") == listed);
    auto types = event_types(events_of(c, id));
    BOOST_TEST(std::count(types.begin(), types.end(), "team.mailbox.received") == 5);
    BOOST_TEST(std::count(types.begin(), types.end(), "team.task.reassigned") == 1);
    BOOST_TEST(str(get_json(c, job_url(id)), "/status") == "queued");
}

BOOST_AUTO_TEST_CASE(mailbox_rejects_invalid_messages_with_400) {
    auto c = shared_client();
    auto id = create_job(c, job_body("autopilot")); // roles: planner, executor, verifier
    const std::string box = job_url(id) + "/team/mailbox";
    const std::string big(17 * 1024, 'x');
    const std::vector<std::pair<std::string, std::string>> cases{
        {R"({})", "kind is required"},
        {R"({"message":"hi"})", "kind is required"},
        {R"({"kind":"shout","message":"hi"})",
         "kind must be one of the following values: question, instruction, notice, reassign"},
        {R"({"kind":"notice"})", "message is required"},
        {R"({"kind":"notice","message":"   \n\t "})", "message must not be blank"},
        {R"({"kind":"notice","message":")" + std::string(4001, 'm') + R"("})",
         "message must be between 1 and 4000 characters"},
        {R"({"kind":"notice","message":5})", "message must be a string"},
        {R"({"kind":"notice","message":"hi","to":"boss"})",
         "to must be 'leader', a role (planner, researcher, designer, developer, executor, "
         "verifier) or an array of "
         "roles"},
        {R"({"kind":"notice","message":"hi","to":7})",
         "to must be 'leader', a role (planner, researcher, designer, developer, executor, "
         "verifier) or an array of "
         "roles"},
        {R"({"kind":"notice","message":"hi","to":"designer"})",
         "to: no task with role 'designer' in this job"},
        {R"({"kind":"notice","message":"hi","to":[]})", "to must contain at least 1 elements"},
        {R"({"kind":"notice","message":"hi","to":["planner","planner"]})",
         "to[1]: duplicate role 'planner'"},
        {R"({"kind":"notice","message":"hi","to":["planner","designer"]})",
         "to[1]: no task with role 'designer' in this job"},
        {R"({"kind":"notice","message":"hi","taskId":"nope"})", "taskId: unknown task id 'nope'"},
        {R"({"kind":"notice","message":"hi","taskId":3})", "taskId must be a string"},
        {R"({"kind":"reassign","message":"redo"})", "taskId is required when kind is reassign"},
        {R"({"kind":"notice","message":"hi","to":"planner","taskId":"verifier"})",
         "to does not name the role 'verifier' of task 'verifier'"},
        {R"({"kind":"notice","message":"hi","payload":"x"})", "payload must be an object"},
        {R"({"kind":"notice","message":"hi","meta":[1]})", "meta must be an object"},
        {R"({"kind":"notice","message":"hi","payload":{"blob":")" + big + R"("}})",
         "payload must not be larger than 16384 bytes when serialized"},
        {R"({"kind":"notice","message":"hi","from":"planner"})", "unknown field 'from'"},
        {R"({"kind":"notice","message":"hi","id":"x"})", "unknown field 'id'"},
        {R"([{"kind":"notice","message":"hi"}])", "body must be a JSON object"},
    };
    for (auto& [body, problem] : cases) {
        BOOST_TEST_CONTEXT("mailbox body " << body.substr(0, 80)) {
            auto problems = problems_of(post_text(c, box, body));
            BOOST_TEST(has_problem(problems, problem), joined(problems));
        }
    }
    expect_error(post_text(c, box, R"({"kind":)"), 400);
    expect_error(post_text(c, box, R"({"kind":"notice","message":"hi"})", ""), 415);
    expect_error(post_text(c, box, R"({"kind":"notice","message":"hi"})", "text/plain"), 415);
    expect_error(post_text(c, "/v1/jobs/" + absent_job + "/team/mailbox",
                           R"({"kind":"notice","message":"hi"})"),
                 404);
    expect_error(c.get("/v1/jobs/" + absent_job + "/team/mailbox"), 404);
    BOOST_TEST(get_json(c, box).as_array().empty()); // nothing was stored
    BOOST_TEST(events_of(c, id).size() == 1u);
}

BOOST_AUTO_TEST_CASE(mailbox_takes_at_most_200_messages_from_the_api) {
    auto c = shared_client();
    auto id = create_job(c, job_body("ralph"));
    const std::string box = job_url(id) + "/team/mailbox";
    for (int i = 0; i < 200; ++i) {
        auto r = c.post_json(box, mail("notice", "note " + std::to_string(i)));
        BOOST_TEST_REQUIRE(r.status == 201, "message " + std::to_string(i) + ": " + r.body);
    }
    auto full = c.post_json(box, mail("notice", "one too many"));
    BOOST_TEST(error_message(full, 409) ==
               "the mailbox of this job is full (200 messages from the API)");
    auto listed = get_json(c, box).as_array();
    BOOST_TEST(listed.size() == 200u);
    BOOST_TEST(str(listed.front(), "/message") == "note 0");
    BOOST_TEST(str(listed.back(), "/message") == "note 199");
}

// ---- overview ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(overview_counts_every_job) {
    Server s;
    auto c = s.client();
    auto empty = get_json(c, "/v1/monitor/overview");
    BOOST_TEST(
        (keys_of(empty) == std::set<std::string>{"generatedAt", "jobs", "activeJobs",
                                                 "activeAgents", "tokens", "waitingApprovals"}));
    BOOST_TEST(is_timestamp(at(empty, "/generatedAt")));
    BOOST_TEST(at(empty, "/jobs") ==
               json::parse(R"({"total":0,"queued":0,"running":0,"waiting_approval":0,
        "succeeded":0,"failed":0,"canceled":0,"active":0})"));
    BOOST_TEST(at(empty, "/tokens") ==
               json::parse(R"({"inputTokens":0,"outputTokens":0,"totalTokens":0,
        "jobsWithUsage":0,"jobsWithoutUsage":0})"));
    for (auto list : {"/activeJobs", "/activeAgents", "/waitingApprovals"})
        BOOST_TEST(at(empty, list).as_array().empty());

    auto a = create_job(c, job_body("team", "codex"));
    auto b =
        create_job(c, with_options(job_body("autopilot", "claude"), {{"requireApproval", true}}));
    auto d = create_job(c, job_body("ralph", "gemini"));
    BOOST_TEST_REQUIRE(action(c, d, "cancel").status == 200);
    auto o = get_json(c, "/v1/monitor/overview");
    BOOST_TEST(at(o, "/jobs") ==
                   json::parse(R"({"total":3,"queued":1,"running":0,"waiting_approval":1,
        "succeeded":0,"failed":0,"canceled":1,"active":2})"),
               dump(at(o, "/jobs")));
    BOOST_TEST(num(o, "/tokens/jobsWithoutUsage") == 3);
    BOOST_TEST(num(o, "/tokens/totalTokens") == 0);
    BOOST_TEST(at(o, "/activeAgents").as_array().empty());
    auto active = ids_of(at(o, "/activeJobs"));
    BOOST_TEST(as_set(active) == (std::set<std::string>{a, b}));
    expect_newest_first(active, {a, b}, created_at(c, {a, b}));
    for (auto& j : at(o, "/activeJobs").as_array()) {
        BOOST_TEST((keys_of(j) == std::set<std::string>{"id", "provider", "mode", "status", "task",
                                                        "repo", "ref", "startedAt", "updatedAt",
                                                        "teamPhase", "teamMetrics"}));
        auto view = get_json(c, job_url(str(j, "/id")));
        for (auto field : {"/provider", "/mode", "/status", "/task", "/repo", "/ref", "/startedAt",
                           "/updatedAt"})
            BOOST_TEST(at(j, field) == at(view, field), field);
        BOOST_TEST(at(j, "/teamPhase") == at(view, "/team/phase"));
        BOOST_TEST(at(j, "/teamMetrics") == at(view, "/team/metrics"));
    }
    auto waiting = at(o, "/waitingApprovals").as_array();
    BOOST_TEST_REQUIRE(waiting.size() == 1u);
    BOOST_TEST(str(waiting[0], "/jobId") == b);
    BOOST_TEST(str(waiting[0], "/gate") == "job");
    BOOST_TEST(is_timestamp(at(waiting[0], "/since")));

    auto one = get_json(c, "/v1/monitor/overview?limit=1");
    BOOST_TEST(at(one, "/activeJobs").as_array().size() == 1u);
    BOOST_TEST(str(one, "/activeJobs/0/id") == active[0]);
    BOOST_TEST(at(one, "/jobs") == at(o, "/jobs")); // counters cover every job, not the window

    BOOST_TEST_REQUIRE(action(c, b, "reject").status == 200);
    o = get_json(c, "/v1/monitor/overview");
    BOOST_TEST(at(o, "/jobs") ==
                   json::parse(R"({"total":3,"queued":1,"running":0,"waiting_approval":0,
        "succeeded":0,"failed":1,"canceled":1,"active":1})"),
               dump(at(o, "/jobs")));
    BOOST_TEST(at(o, "/waitingApprovals").as_array().empty());
    BOOST_TEST(ids_of(at(o, "/activeJobs")) == std::vector<std::string>{a},
               boost::test_tools::per_element());

    BOOST_TEST(has_problem(problems_of(c.get("/v1/monitor/overview?limit=0")),
                           "limit must not be less than 1"));
    BOOST_TEST(has_problem(problems_of(c.get("/v1/monitor/overview?limit=2001")),
                           "limit must not be greater than 2000"));
    BOOST_TEST(has_problem(problems_of(c.get("/v1/monitor/overview?window=5")),
                           "unknown query parameter 'window'"));
}

// ---- routes and errors --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(unknown_routes_are_404_and_wrong_methods_405_with_allow) {
    auto c = shared_client();
    const std::string job = "/v1/jobs/" + absent_job;
    const std::vector<std::string> unknown{"/",
                                           "/v1",
                                           "/v1/nope",
                                           "/v2/jobs",
                                           "/v1/jobs/",
                                           job + "/nope",
                                           job + "/team/tasks",
                                           job + "/actions",
                                           job + "/actions/explode",
                                           "/v1/monitor",
                                           "/v1/runs/x/team"};
    for (auto& path : unknown) {
        auto r = c.get(path);
        BOOST_TEST(error_message(r, 404) == "Cannot GET " + path, path);
    }
    const std::vector<std::tuple<std::string, std::string, std::string>> cases{
        {"PUT", "/v1/jobs", "GET, POST"},
        {"DELETE", "/v1/jobs", "GET, POST"},
        {"DELETE", job, "GET"},
        {"POST", job, "GET"},
        {"POST", job + "/team", "GET"},
        {"GET", job + "/actions/cancel", "POST"},
        {"PATCH", job + "/team/mailbox", "GET, POST"},
        {"POST", job + "/events", "GET"},
        {"POST", "/v1/healthz", "GET"},
        {"DELETE", "/v1/readyz", "GET"},
        {"POST", "/v1/monitor/overview", "GET"},
        {"DELETE", "/v1/runs/" + absent_job, "GET"},
    };
    for (auto& [method, path, allow] : cases) {
        BOOST_TEST_CONTEXT(method << " " << path) {
            auto r = c.request(method, path);
            BOOST_TEST(error_message(r, 405) == "Method " + method + " is not allowed on " + path);
            BOOST_TEST(r.header("allow") == allow);
        }
    }
}

BOOST_AUTO_TEST_CASE(an_unknown_job_is_404_everywhere) {
    auto c = shared_client();
    const std::string job = "/v1/jobs/" + absent_job;
    for (auto path : {job, job + "/team", job + "/team/mailbox", job + "/team/tasks/planner/logs"})
        expect_error(c.get(path), 404);
    BOOST_TEST(error_message(c.get(job), 404) == "job " + absent_job + " not found");
    expect_error(c.get(job + "/events", {{"Accept", "application/json"}}), 404);
    for (auto name : {"approve", "reject", "cancel", "resume"})
        expect_error(action(c, absent_job, name), 404);
    expect_error(c.post_json(job + "/team/mailbox", mail("notice", "anyone?")), 404);
}

BOOST_AUTO_TEST_CASE(request_commands_and_local_repos_are_refused_without_the_server_flags) {
    auto c = shared_client();
    auto before = job_count(c);
    auto commands = with_options(
        job_body(), json::parse(R"({"agentCommands":{"developer":"echo hi"}})").as_object());
    BOOST_TEST(
        error_message(c.post_json("/v1/jobs", commands), 403).find("--allow-request-commands") !=
        std::string::npos);
    for (auto repo : {"/srv/git/widget", "file:///srv/git/widget"}) {
        auto body = job_body();
        body["repo"] = repo;
        BOOST_TEST(error_message(c.post_json("/v1/jobs", body), 403).find("--allow-local-repos") !=
                       std::string::npos,
                   repo);
    }
    BOOST_TEST(job_count(c) == before);

    Server allowing({"--allow-request-commands", "--allow-local-repos"});
    auto a = allowing.client();
    auto id = create_job(a, commands);
    BOOST_TEST(at(get_json(a, job_url(id)), "/options/agentCommands") ==
               json::parse(R"({"developer":"echo hi"})"));
    for (auto repo : {"/srv/git/widget", "file:///srv/git/widget"}) {
        auto body = job_body();
        body["repo"] = repo;
        BOOST_TEST(str(get_json(a, job_url(create_job(a, body))), "/repo") == repo);
    }
}

BOOST_AUTO_TEST_CASE(connections_past_the_limit_get_503_with_retry_after) {
    Server s({"--max-connections", "1"});
    auto held = std::make_unique<HttpClient>(s.process.port());
    BOOST_TEST_REQUIRE(held->get("/v1/healthz").status == 200); // keeps its connection open
    HttpClient other(s.process.port());
    auto r = other.get("/v1/healthz");
    BOOST_TEST(error_message(r, 503) == "too many connections: try again shortly");
    BOOST_TEST(r.header("retry-after") == "1");
    held.reset(); // frees the slot
    BOOST_TEST(eventually([&] { return other.get("/v1/healthz").status == 200; }));
}

// ---- Idempotency-Key ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(idempotency_key_returns_the_first_job_for_the_same_body) {
    auto c = shared_client();
    const Headers key{{"Idempotency-Key", "create-widget-42"}};
    auto body = job_body("autopilot");
    auto first = c.post_json("/v1/jobs", body, key);
    BOOST_TEST_REQUIRE(first.status == 201, first.body);
    auto id = str(first.json(), "/jobId");
    auto count = job_count(c);
    auto second = c.post_json("/v1/jobs", body, key);
    BOOST_TEST(second.status == 201);
    BOOST_TEST(second.json() == first.json());
    BOOST_TEST(second.header("location") == first.header("location"));
    // The same body with its fields in another order is the same request.
    auto reordered =
        post_text(c, "/v1/jobs", R"({"task":"Add a --verbose flag to the CLI","ref":"main",
        "repo":"acme/widget","mode":"autopilot","provider":"codex"})");
    BOOST_TEST(reordered.status == 201); // (no key: a new job)
    auto reordered_keyed =
        c.request("POST", "/v1/jobs", R"({"task":"Add a --verbose flag to the CLI","ref":"main",
        "repo":"acme/widget","mode":"autopilot","provider":"codex"})",
                  {{"Content-Type", "application/json"}, {"Idempotency-Key", "create-widget-42"}});
    BOOST_TEST(reordered_keyed.status == 201);
    BOOST_TEST(str(reordered_keyed.json(), "/jobId") == id);

    auto other = body;
    other["task"] = "Something else entirely";
    auto conflict = c.post_json("/v1/jobs", other, key);
    BOOST_TEST(error_message(conflict, 409) ==
               "Idempotency-Key 'create-widget-42' was used with a different request body");
    BOOST_TEST(job_count(c) == count + 1); // only the unkeyed one was added

    auto fresh = c.post_json("/v1/jobs", body, {{"Idempotency-Key", "another-key"}});
    BOOST_TEST(fresh.status == 201);
    BOOST_TEST(str(fresh.json(), "/jobId") != id);
    auto too_long = c.post_json("/v1/jobs", body, {{"Idempotency-Key", std::string(129, 'k')}});
    BOOST_TEST(
        has_problem(problems_of(too_long), "Idempotency-Key must be between 1 and 128 characters"));
    BOOST_TEST(c.post_json("/v1/jobs", body, {{"Idempotency-Key", std::string(128, 'k')}}).status ==
               201);
    BOOST_TEST(job_count(c) == count + 3);
}

BOOST_AUTO_TEST_CASE(idempotency_key_concurrent_duplicates_create_one_job) {
    Server s;
    constexpr int clients = 20;
    std::latch start(clients);
    std::mutex mutex;
    std::vector<int> statuses;
    std::set<std::string> ids;
    std::vector<std::string> errors;
    std::vector<std::thread> threads;
    for (int i = 0; i < clients; ++i)
        threads.emplace_back([&] {
            try {
                HttpClient c(s.process.port());
                start.arrive_and_wait();
                auto r = c.post_json("/v1/jobs", job_body("ralph"),
                                     {{"Idempotency-Key", "same-for-all"}});
                std::lock_guard lock(mutex);
                statuses.push_back(r.status);
                if (r.status == 201) ids.insert(str(r.json(), "/jobId"));
            } catch (const std::exception& e) {
                std::lock_guard lock(mutex);
                errors.emplace_back(e.what());
            }
        });
    for (auto& t : threads)
        t.join();
    BOOST_TEST(errors.empty(), joined(errors));
    BOOST_TEST(std::count(statuses.begin(), statuses.end(), 201) == clients);
    BOOST_TEST(ids.size() == 1u);
    auto c = s.client();
    BOOST_TEST(list_ids(c, "") == std::vector<std::string>(ids.begin(), ids.end()),
               boost::test_tools::per_element());
    BOOST_TEST(job_count(c) == 1);
}

BOOST_AUTO_TEST_CASE(idempotency_key_survives_a_crash_and_restart) {
    Server s;
    const Headers key{{"Idempotency-Key", "nightly-2026-11-21"}};
    auto body = job_body("pipeline", "gemini");
    std::string id;
    {
        auto c = s.client();
        id = create_job(c, body, key);
    }
    s.process.kill(SIGKILL);
    BOOST_TEST_REQUIRE(s.process.wait_exit(std::chrono::seconds(5)).has_value());
    s.restart();
    auto c = s.client();
    auto again = c.post_json("/v1/jobs", body, key);
    BOOST_TEST_REQUIRE(again.status == 201, again.body);
    BOOST_TEST(str(again.json(), "/jobId") == id);
    BOOST_TEST(again.header("location") == job_url(id));
    auto other = body;
    other["ref"] = "develop";
    expect_error(c.post_json("/v1/jobs", other, key), 409);
    BOOST_TEST(list_ids(c, "") == std::vector<std::string>{id}, boost::test_tools::per_element());
    BOOST_TEST(str(get_json(c, job_url(id)), "/mode") == "pipeline");
}
