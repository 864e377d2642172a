// Mailbox posts and action bodies: each rule passing and failing, checked against a job's tasks.
#include "api/validate_mailbox.hpp"
#include "team/core/templates.hpp"

#include "tests/unit/problem_text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace omx;
using api::validate_action_body;
using api::validate_mailbox_post;
namespace json = boost::json;
using test::joined;
using test::json_quoted;

namespace {

using Problems = std::vector<std::string>;

// A ralph job: tasks `executor` (role executor) and `verifier` (role verifier).
team::Job ralph_job() {
    team::Job job;
    job.request.mode = team::Mode::ralph;
    job.team.tasks = team::initial_tasks(team::default_graph(team::Mode::ralph, {}));
    return job;
}

api::MailboxDraft valid_draft(const std::string& body) {
    auto result = validate_mailbox_post(json::parse(body), ralph_job());
    BOOST_TEST_REQUIRE(result.problems.empty(), joined(result.problems));
    BOOST_TEST_REQUIRE(result.draft.has_value());
    return *result.draft;
}

struct Case {
    std::string body;
    Problems expected; // empty: valid
};

void run_cases(const std::vector<Case>& cases) {
    const auto job = ralph_job();
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("body " << c.body) {
            const auto result = validate_mailbox_post(json::parse(c.body), job);
            BOOST_TEST(joined(result.problems) == joined(c.expected));
            BOOST_TEST(result.draft.has_value() == c.expected.empty());
        }
    }
}

const std::string roles_list = "planner, researcher, designer, developer, executor, verifier";
const std::string bad_to =
    "to must be 'leader', a role (planner, researcher, designer, developer, executor, verifier) "
    "or an array of roles";

} // namespace

BOOST_AUTO_TEST_SUITE(validate_mailbox)

BOOST_AUTO_TEST_CASE(body_shape_and_unknown_fields) {
    run_cases({
        {R"([])", {"body must be a JSON object"}},
        {R"("hi")", {"body must be a JSON object"}},
        {R"({"kind":"notice","message":"hi"})", {}},
        {R"({"kind":"notice","message":"hi","from":"me"})", {"unknown field 'from'"}},
        {R"({"kind":"notice","message":"hi","taskid":"executor"})", {"unknown field 'taskid'"}},
    });
}

BOOST_AUTO_TEST_CASE(kind_rules) {
    const std::string one_of =
        "kind must be one of the following values: question, instruction, notice, reassign";
    run_cases({
        {R"({"kind":"question","message":"hi"})", {}},
        {R"({"kind":"instruction","message":"hi"})", {}},
        {R"({"kind":"notice","message":"hi"})", {}},
        {R"({"kind":"reassign","message":"hi","taskId":"executor"})", {}},
        {R"({"message":"hi"})", {"kind is required"}},
        {R"({"kind":"shout","message":"hi"})", {one_of}},
        {R"({"kind":3,"message":"hi"})", {one_of}},
    });
}

BOOST_AUTO_TEST_CASE(message_rules) {
    run_cases({
        {R"({"kind":"notice","message":"x"})", {}},
        {R"({"kind":"notice","message":)" + json_quoted(std::string(4000, 'm')) + "}", {}},
        {R"({"kind":"notice","message":)" + json_quoted("  " + std::string(4000, 'm') + "\\n") +
             "}",
         {}},
        {R"({"kind":"notice"})", {"message is required"}},
        {R"({"kind":"notice","message":""})", {"message must not be blank"}},
        {R"({"kind":"notice","message":" \n\t "})", {"message must not be blank"}},
        {R"({"kind":"notice","message":)" + json_quoted(std::string(4001, 'm')) + "}",
         {"message must be between 1 and 4000 characters"}},
        {R"({"kind":"notice","message":["hi"]})", {"message must be a string"}},
    });
    BOOST_TEST(valid_draft(R"({"kind":"notice","message":"  hello there \n"})").message ==
               "hello there");
}

BOOST_AUTO_TEST_CASE(to_rules) {
    run_cases({
        {R"({"kind":"notice","message":"hi","to":"leader"})", {}},
        {R"({"kind":"notice","message":"hi","to":"executor"})", {}},
        {R"({"kind":"notice","message":"hi","to":["executor","verifier"]})", {}},
        {R"({"kind":"notice","message":"hi","to":"planner"})",
         {"to: no task with role 'planner' in this job"}},
        {R"({"kind":"notice","message":"hi","to":["executor","designer"]})",
         {"to[1]: no task with role 'designer' in this job"}},
        {R"({"kind":"notice","message":"hi","to":"boss"})", {bad_to}},
        {R"({"kind":"notice","message":"hi","to":5})", {bad_to}},
        {R"({"kind":"notice","message":"hi","to":{}})", {bad_to}},
        {R"({"kind":"notice","message":"hi","to":[]})", {"to must contain at least 1 elements"}},
        {R"({"kind":"notice","message":"hi","to":["leader"]})",
         {"to[0] must be one of the following values: " + roles_list}},
        {R"({"kind":"notice","message":"hi","to":[7]})",
         {"to[0] must be one of the following values: " + roles_list}},
        {R"({"kind":"notice","message":"hi","to":["executor","executor"]})",
         {"to[1]: duplicate role 'executor'"}},
    });
}

BOOST_AUTO_TEST_CASE(task_id_rules) {
    run_cases({
        {R"({"kind":"question","message":"hi","taskId":"verifier"})", {}},
        {R"({"kind":"question","message":"hi","taskId":"planner"})",
         {"taskId: unknown task id 'planner'"}},
        {R"({"kind":"question","message":"hi","taskId":1})", {"taskId must be a string"}},
        {R"({"kind":"reassign","message":"redo it"})",
         {"taskId is required when kind is reassign"}},
        {R"({"kind":"reassign","message":"redo it","to":"executor"})",
         {"taskId is required when kind is reassign"}},
    });
}

BOOST_AUTO_TEST_CASE(to_and_task_id_must_agree) {
    run_cases({
        {R"({"kind":"instruction","message":"hi","to":"executor","taskId":"executor"})", {}},
        {R"({"kind":"instruction","message":"hi","to":["verifier","executor"],"taskId":"executor"})",
         {}},
        {R"({"kind":"instruction","message":"hi","to":"verifier","taskId":"executor"})",
         {"to does not name the role 'executor' of task 'executor'"}},
        {R"({"kind":"instruction","message":"hi","to":"leader","taskId":"verifier"})",
         {"to does not name the role 'verifier' of task 'verifier'"}},
        {R"({"kind":"instruction","message":"hi","to":["executor"],"taskId":"verifier"})",
         {"to does not name the role 'verifier' of task 'verifier'"}},
    });
}

BOOST_AUTO_TEST_CASE(payload_and_meta_rules) {
    const std::string big = std::string(16 * 1024 - 8, 'x'); // {"a":"…"}: 8 bytes of framing
    run_cases({
        {R"({"kind":"notice","message":"hi","payload":{"files":["a.c"]},"meta":{"k":1}})", {}},
        {R"({"kind":"notice","message":"hi","payload":{"a":)" + json_quoted(big) + "}}", {}},
        {R"({"kind":"notice","message":"hi","payload":{"a":)" + json_quoted(big + "x") + "}}",
         {"payload must not be larger than 16384 bytes when serialized"}},
        {R"({"kind":"notice","message":"hi","meta":{"a":)" + json_quoted(big + "x") + "}}",
         {"meta must not be larger than 16384 bytes when serialized"}},
        {R"({"kind":"notice","message":"hi","payload":[1]})", {"payload must be an object"}},
        {R"({"kind":"notice","message":"hi","meta":"m"})", {"meta must be an object"}},
    });
}

BOOST_AUTO_TEST_CASE(every_problem_is_collected) {
    const auto result = validate_mailbox_post(
        json::parse(R"({"kind":"reassign","message":" ","to":"planner","payload":1,"x":0})"),
        ralph_job());
    BOOST_TEST(joined(result.problems) ==
               joined({"unknown field 'x'", "message must not be blank",
                       "to: no task with role 'planner' in this job",
                       "taskId is required when kind is reassign", "payload must be an object"}));
    BOOST_TEST(!result.draft.has_value());
}

BOOST_AUTO_TEST_CASE(drafts_are_normalized) {
    const auto leader = valid_draft(R"({"kind":"notice","message":"hi"})");
    BOOST_TEST(leader.kind == "notice");
    BOOST_TEST(json::serialize(leader.to) == R"("leader")");
    BOOST_TEST(!leader.taskId.has_value());
    BOOST_TEST(leader.payload.is_null());
    BOOST_TEST(leader.meta.is_null());

    // With only a taskId, the message is addressed to that task's role.
    const auto to_task = valid_draft(R"({"kind":"reassign","message":"redo","taskId":"verifier"})");
    BOOST_TEST(to_task.kind == "reassign");
    BOOST_TEST(to_task.taskId.value_or("") == "verifier");
    BOOST_TEST(json::serialize(to_task.to) == R"("verifier")");

    const auto roles = valid_draft(
        R"({"kind":"question","message":"why?","to":["executor","verifier"],"payload":{"p":1},"meta":{"m":2}})");
    BOOST_TEST(json::serialize(roles.to) == R"(["executor","verifier"])");
    BOOST_TEST(json::serialize(roles.payload) == R"({"p":1})");
    BOOST_TEST(json::serialize(roles.meta) == R"({"m":2})");
}

BOOST_AUTO_TEST_CASE(roles_follow_the_jobs_current_graph) {
    team::Job job = ralph_job();
    job.team.tasks = team::initial_tasks(team::default_graph(team::Mode::team, {}));
    const auto result = validate_mailbox_post(
        json::parse(R"({"kind":"question","message":"hi","to":"designer"})"), job);
    BOOST_TEST(result.problems.empty(), joined(result.problems));
    job.team.tasks.clear();
    BOOST_TEST(joined(validate_mailbox_post(
                          json::parse(R"({"kind":"question","message":"hi","to":"designer"})"), job)
                          .problems) == "to: no task with role 'designer' in this job");
}

BOOST_AUTO_TEST_CASE(action_bodies) {
    struct ActionCase {
        std::string body;
        std::optional<std::string> comment;
        Problems expected;
    };
    const std::vector<ActionCase> cases = {
        {R"({})", std::nullopt, {}},
        {R"({"comment":"looks good"})", "looks good", {}},
        {R"({"comment":null})", std::nullopt, {}},
        {R"({"comment":)" + json_quoted(std::string(4000, 'c')) + "}", std::string(4000, 'c'), {}},
        {R"({"comment":)" + json_quoted(std::string(4001, 'c')) + "}",
         std::nullopt,
         {"comment must be shorter than or equal to 4000 characters"}},
        {R"({"comment":5})", std::nullopt, {"comment must be a string"}},
        {R"({"comment":"ok","reason":"x"})", std::nullopt, {"unknown field 'reason'"}},
        {R"([])", std::nullopt, {"body must be a JSON object"}},
        {R"(null)", std::nullopt, {"body must be a JSON object"}},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("body " << c.body.substr(0, 60)) {
            const auto body = json::parse(c.body);
            const auto result = validate_action_body(&body);
            BOOST_TEST(joined(result.problems) == joined(c.expected));
            BOOST_TEST(result.comment.has_value() == c.comment.has_value());
            if (result.comment && c.comment) BOOST_TEST(*result.comment == *c.comment);
        }
    }
    const auto none = validate_action_body(nullptr);
    BOOST_TEST(none.problems.empty());
    BOOST_TEST(!none.comment.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
