// POST /v1/jobs validation: for every rule a passing and a failing body, with exact messages.
#include "api/validate_job.hpp"
#include "team/core/enums.hpp"

#include "tests/unit/problem_text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace omx;
using api::ServerDefaults;
using api::validate_job_request;
namespace json = boost::json;
using test::joined;
using test::json_quoted;

namespace {

using Problems = std::vector<std::string>;

const char* const base_body =
    R"({"provider":"codex","mode":"team","repo":"owner/name","ref":"main","task":"Fix the bug"})";

// RFC 7386 JSON merge patch: objects merge recursively, null removes a field.
void merge_patch(json::value& target, const json::value& patch) {
    if (!patch.is_object()) {
        target = patch;
        return;
    }
    if (!target.is_object()) target = json::object{};
    auto& object = target.as_object();
    for (const auto& [key, value] : patch.as_object()) {
        if (value.is_null())
            object.erase(key);
        else
            merge_patch(object[key], value);
    }
}

json::value body_with(const std::string& patch) {
    json::value body = json::parse(base_body);
    boost::system::error_code ec;
    const auto parsed = json::parse(patch, ec);
    BOOST_TEST_REQUIRE(!ec, "test patch is not JSON: " << patch);
    merge_patch(body, parsed);
    return body;
}

Problems problems_of(const json::value& body, ServerDefaults defaults = {}) {
    return validate_job_request(body, defaults).problems;
}

team::JobRequest valid_request(const std::string& patch, ServerDefaults defaults = {}) {
    auto result = validate_job_request(body_with(patch), defaults);
    BOOST_TEST_REQUIRE(result.problems.empty(), joined(result.problems));
    BOOST_TEST_REQUIRE(result.request.has_value());
    return *result.request;
}

struct Case {
    std::string patch; // merged into base_body
    Problems expected; // empty: the body is valid
};

void run_cases(const std::vector<Case>& cases) {
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("patch " << c.patch) {
            const auto result = validate_job_request(body_with(c.patch), ServerDefaults{});
            BOOST_TEST(joined(result.problems) == joined(c.expected));
            BOOST_TEST(result.request.has_value() == c.expected.empty());
        }
    }
}

// {"options":{"team":{"teamTasks":<tasks>}}} merged into base_body, in `mode`.
std::string with_tasks(const std::string& tasks, const std::string& mode = "team") {
    return R"({"mode":")" + mode + R"(","options":{"team":{"teamTasks":)" + tasks + "}}}";
}

const std::string roles_list = "planner, researcher, designer, developer, executor, verifier";

} // namespace

BOOST_AUTO_TEST_SUITE(validate_job)

BOOST_AUTO_TEST_CASE(body_must_be_an_object) {
    for (const char* text : {"[]", "\"x\"", "null", "3"}) {
        BOOST_TEST_CONTEXT(text) {
            BOOST_TEST(joined(problems_of(json::parse(text))) == "body must be a JSON object");
        }
    }
    BOOST_TEST(problems_of(json::parse(base_body)).empty());
}

BOOST_AUTO_TEST_CASE(required_fields) {
    run_cases({
        {R"({"provider":null})", {"provider is required"}},
        {R"({"mode":null})", {"mode is required"}},
        {R"({"repo":null})", {"repo is required"}},
        {R"({"ref":null})", {"ref is required"}},
        {R"({"task":null})", {"task is required"}},
    });
    // A field that is present but null counts as absent.
    auto body = json::parse(base_body);
    body.as_object()["task"] = nullptr;
    BOOST_TEST(joined(problems_of(body)) == "task is required");
}

BOOST_AUTO_TEST_CASE(every_problem_is_collected) {
    const auto body = json::parse(
        R"({"provider":"openai","repo":"ab","ref":"-x","task":"ok","parallelTask":1,
            "options":{"workers":0,"team":{"parallelTasks":9,"parallelTask":2}}})");
    BOOST_TEST(joined(problems_of(body)) ==
               joined({"unknown field 'parallelTask'",
                       "provider must be one of the following values: codex, claude, gemini",
                       "mode is required", "repo must be between 3 and 512 characters",
                       "ref must not start with '-'", "task must be between 3 and 4000 characters",
                       "options.workers must not be less than 1",
                       "unknown field 'options.team.parallelTask'",
                       "options.team.parallelTasks must not be greater than 8"}));
}

BOOST_AUTO_TEST_CASE(unknown_fields_at_every_level) {
    run_cases({
        {R"({"parallelTask":1})", {"unknown field 'parallelTask'"}},
        {R"({"options":{"worker":2}})", {"unknown field 'options.worker'"}},
        {R"({"options":{"team":{"parallelTask":2}}})",
         {"unknown field 'options.team.parallelTask'"}},
        {R"({"options":{"agentCommands":{"boss":"x"}}})",
         {"unknown field 'options.agentCommands.boss'"}},
        {with_tasks(R"([{"name":"Build it","role":"developer","subject":"x"}])"),
         {"unknown field 'options.team.teamTasks[0].subject'"}},
    });
}

BOOST_AUTO_TEST_CASE(provider_and_mode) {
    run_cases({
        {R"({"provider":"codex"})", {}},
        {R"({"provider":"claude"})", {}},
        {R"({"provider":"gemini"})", {}},
        {R"({"provider":"openai"})",
         {"provider must be one of the following values: codex, claude, gemini"}},
        {R"({"provider":"Codex"})",
         {"provider must be one of the following values: codex, claude, gemini"}},
        {R"({"provider":1})",
         {"provider must be one of the following values: codex, claude, gemini"}},
        {R"({"mode":"team"})", {}},
        {R"({"mode":"autopilot"})", {}},
        {R"({"mode":"ralph"})", {}},
        {R"({"mode":"ultrawork"})", {}},
        {R"({"mode":"pipeline"})", {}},
        {R"({"mode":"fast"})",
         {"mode must be one of the following values: team, autopilot, ralph, ultrawork, pipeline"}},
    });
}

BOOST_AUTO_TEST_CASE(repo_rules) {
    const std::string form = "repo must be owner/name, an https://, ssh:// or git@host:path URL, "
                             "or a file:// URL or absolute path";
    run_cases({
        {R"({"repo":"owner/name"})", {}},
        {R"({"repo":"my-org/repo.name_2"})", {}},
        {R"({"repo":"https://github.com/owner/name.git"})", {}},
        {R"({"repo":"https://user@git.example.com:8443/group/sub/name"})", {}},
        {R"({"repo":"ssh://git@github.com/owner/name.git"})", {}},
        {R"({"repo":"git@github.com:owner/name.git"})", {}},
        {R"({"repo":"file:///srv/git/name"})", {}},
        {R"({"repo":"/srv/git/name"})", {}},
        {R"({"repo":"a/b"})", {}},
        {R"({"repo":"ab"})", {"repo must be between 3 and 512 characters"}},
        {R"({"repo":")" + std::string(508, 'a') + R"(/b"})", {}},
        {R"({"repo":")" + std::string(510, 'a') + R"(/bc"})",
         {"repo must be between 3 and 512 characters"}},
        {R"({"repo":42})", {"repo must be a string"}},
        {R"({"repo":"-owner/name"})", {"repo must not start with '-'"}},
        {R"({"repo":"owner/ name"})", {"repo must not contain whitespace or control characters"}},
        {R"({"repo":"owner/na\tme"})", {"repo must not contain whitespace or control characters"}},
        {R"({"repo":"owner/na\u0001me"})",
         {"repo must not contain whitespace or control characters"}},
        {R"({"repo":"ext::sh -c touch% /tmp/x"})",
         {"repo must not contain whitespace or control characters"}},
        {R"({"repo":"ext::sh"})", {form}},
        {R"({"repo":"owner"})", {form}},
        {R"({"repo":"owner/name/extra"})", {form}},
        {R"({"repo":"own$er/name"})", {form}},
        {R"({"repo":"../.."})", {form}},
        {R"({"repo":"http://github.com/owner/name"})", {form}},
        {R"({"repo":"https://github.com"})", {form}},
        {R"({"repo":"https:///owner/name"})", {form}},
        {R"({"repo":"ssh://-oProxyCommand=x/name"})", {form}},
        {R"({"repo":"git@-oProxyCommand=x:name"})", {form}},
        {R"({"repo":"git@github.com:"})", {form}},
        {R"({"repo":"file://relative/path"})", {form}},
    });
}

BOOST_AUTO_TEST_CASE(local_repos_are_recognized) {
    BOOST_TEST(api::is_local_repo("file:///srv/git/name"));
    BOOST_TEST(api::is_local_repo("/srv/git/name"));
    BOOST_TEST(!api::is_local_repo("owner/name"));
    BOOST_TEST(!api::is_local_repo("https://github.com/owner/name"));
    BOOST_TEST(!api::is_local_repo("git@github.com:owner/name"));
}

BOOST_AUTO_TEST_CASE(ref_rules) {
    const std::string invalid =
        "ref must be a valid git branch or tag name or a full 40-hex commit id";
    run_cases({
        {R"({"ref":"main"})", {}},
        {R"({"ref":"feature/login"})", {}},
        {R"({"ref":"v1.2.3"})", {}},
        {R"({"ref":"0123456789abcdef0123456789abcdef01234567"})", {}},
        {R"({"ref":")" + std::string(128, 'r') + R"("})", {}},
        {R"({"ref":""})", {"ref must be between 1 and 128 characters"}},
        {R"({"ref":")" + std::string(129, 'r') + R"("})",
         {"ref must be between 1 and 128 characters"}},
        {R"({"ref":7})", {"ref must be a string"}},
        {R"({"ref":"-main"})", {"ref must not start with '-'"}},
        {R"({"ref":"a..b"})", {invalid}},
        {R"({"ref":"a b"})", {invalid}},
        {R"({"ref":"main.lock"})", {invalid}},
        {R"({"ref":"@"})", {invalid}},
        {R"({"ref":"refs/heads/a:b"})", {invalid}},
    });
}

BOOST_AUTO_TEST_CASE(task_rules) {
    run_cases({
        {R"({"task":"abc"})", {}},
        {R"({"task":")" + std::string(4000, 't') + R"("})", {}},
        {R"({"task":"\u00e9\u00e9\u00e9"})", {}}, // 3 characters, 6 bytes
        {R"({"task":"ab"})", {"task must be between 3 and 4000 characters"}},
        {R"({"task":"\u00e9\u00e9"})", {"task must be between 3 and 4000 characters"}},
        {R"({"task":")" + std::string(4001, 't') + R"("})",
         {"task must be between 3 and 4000 characters"}},
        {R"({"task":["a","b","c"]})", {"task must be a string"}},
    });
}

BOOST_AUTO_TEST_CASE(options_rules) {
    run_cases({
        {R"({"options":{}})", {}},
        {R"({"options":[]})", {"options must be an object"}},
        {R"({"options":"fast"})", {"options must be an object"}},
        // workers 1-16
        {R"({"options":{"workers":1}})", {}},
        {R"({"options":{"workers":16}})", {}},
        {R"({"options":{"workers":0}})", {"options.workers must not be less than 1"}},
        {R"({"options":{"workers":17}})", {"options.workers must not be greater than 16"}},
        {R"({"options":{"workers":-3}})", {"options.workers must not be less than 1"}},
        {R"({"options":{"workers":1.5}})", {"options.workers must be an integer number"}},
        {R"({"options":{"workers":2.0}})", {"options.workers must be an integer number"}},
        {R"({"options":{"workers":"2"}})", {"options.workers must be an integer number"}},
        {R"({"options":{"workers":true}})", {"options.workers must be an integer number"}},
        {R"({"options":{"workers":18446744073709551615}})",
         {"options.workers must not be greater than 16"}},
        // maxMinutes 5-480
        {R"({"options":{"maxMinutes":5}})", {}},
        {R"({"options":{"maxMinutes":480}})", {}},
        {R"({"options":{"maxMinutes":4}})", {"options.maxMinutes must not be less than 5"}},
        {R"({"options":{"maxMinutes":481}})", {"options.maxMinutes must not be greater than 480"}},
        // booleans
        {R"({"options":{"requireApproval":true}})", {}},
        {R"({"options":{"requireApproval":"yes"}})", {"options.requireApproval must be a boolean"}},
        {R"({"options":{"keepTmuxSession":false}})", {}},
        {R"({"options":{"keepTmuxSession":1}})", {"options.keepTmuxSession must be a boolean"}},
        // maxTokens >= 1
        {R"({"options":{"maxTokens":1}})", {}},
        {R"({"options":{"maxTokens":9223372036854775807}})", {}},
        {R"({"options":{"maxTokens":0}})", {"options.maxTokens must not be less than 1"}},
        {R"({"options":{"maxTokens":9223372036854775808}})",
         {"options.maxTokens must not be greater than 9223372036854775807"}},
        {R"({"options":{"maxTokens":"many"}})", {"options.maxTokens must be an integer number"}},
    });
}

BOOST_AUTO_TEST_CASE(agent_command_rules) {
    run_cases({
        {R"({"options":{"agentCommands":{}}})", {}},
        {R"({"options":{"agentCommands":{"planner":"p","researcher":"r","designer":"d",
            "developer":"v","executor":"e","verifier":"make test"}}})",
         {}},
        {R"({"options":{"agentCommands":{"executor":)" + json_quoted(std::string(8192, 'x')) +
             "}}}",
         {}},
        {R"({"options":{"agentCommands":{"executor":)" + json_quoted(std::string(8193, 'x')) +
             "}}}",
         {"options.agentCommands.executor must not be larger than 8192 bytes"}},
        {R"({"options":{"agentCommands":{"executor":5}}})",
         {"options.agentCommands.executor must be a string"}},
        {R"({"options":{"agentCommands":{"executor":""}}})",
         {"options.agentCommands.executor must not be empty"}},
        {R"({"options":{"agentCommands":{"leader":"x"}}})",
         {"unknown field 'options.agentCommands.leader'"}},
        {R"({"options":{"agentCommands":["x"]}})", {"options.agentCommands must be an object"}},
    });
    const auto request = valid_request(R"({"options":{"agentCommands":{"verifier":"make test"}}})");
    BOOST_TEST(request.options.agentCommands.size() == 1u);
    BOOST_TEST(request.options.agentCommands.at(team::Role::verifier) == "make test");
}

BOOST_AUTO_TEST_CASE(team_option_rules) {
    const std::string big = std::string(16 * 1024 - 8, 'x'); // {"a":"…"} is 8 bytes of framing
    run_cases({
        {R"({"options":{"team":{}}})", {}},
        {R"({"options":{"team":5}})", {"options.team must be an object"}},
        // maxFixAttempts 0-10
        {R"({"options":{"team":{"maxFixAttempts":0}}})", {}},
        {R"({"options":{"team":{"maxFixAttempts":10}}})", {}},
        {R"({"options":{"team":{"maxFixAttempts":-1}}})",
         {"options.team.maxFixAttempts must not be less than 0"}},
        {R"({"options":{"team":{"maxFixAttempts":11}}})",
         {"options.team.maxFixAttempts must not be greater than 10"}},
        // parallelTasks 1-8
        {R"({"options":{"team":{"parallelTasks":1}}})", {}},
        {R"({"options":{"team":{"parallelTasks":8}}})", {}},
        {R"({"options":{"team":{"parallelTasks":0}}})",
         {"options.team.parallelTasks must not be less than 1"}},
        {R"({"options":{"team":{"parallelTasks":9}}})",
         {"options.team.parallelTasks must not be greater than 8"}},
        {R"({"options":{"team":{"parallelTasks":2.5}}})",
         {"options.team.parallelTasks must be an integer number"}},
        // tmuxVisualization
        {R"({"options":{"team":{"tmuxVisualization":true}}})", {}},
        {R"({"options":{"team":{"tmuxVisualization":"true"}}})",
         {"options.team.tmuxVisualization must be a boolean"}},
        // extras: free object <= 16 KiB serialized
        {R"({"options":{"team":{"extras":{"anything":{"goes":[1,2,3]}}}}})", {}},
        {R"({"options":{"team":{"extras":{"a":)" + json_quoted(big) + "}}}}", {}},
        {R"({"options":{"team":{"extras":{"a":)" + json_quoted(big + "x") + "}}}}",
         {"options.team.extras must not be larger than 16384 bytes when serialized"}},
        {R"({"options":{"team":{"extras":[1]}}})", {"options.team.extras must be an object"}},
    });
}

BOOST_AUTO_TEST_CASE(team_tasks_list_rules) {
    const std::string one = R"([{"name":"Build it","role":"developer"}])";
    std::string many = "[";
    for (int i = 0; i < 65; ++i)
        many += std::string(i ? "," : "") + R"({"name":"Step","role":"executor"})";
    many += "]";
    std::string sixty_four = many.substr(0, many.rfind(",{")) + "]";
    run_cases({
        {with_tasks(one, "team"), {}},
        {with_tasks(one, "pipeline"), {}},
        {with_tasks("[]", "team"), {}},
        {with_tasks("[]", "ralph"), {}}, // empty: the mode's default, allowed everywhere
        {with_tasks(one, "autopilot"),
         {"options.team.teamTasks is only allowed in modes team and pipeline"}},
        {with_tasks(one, "ralph"),
         {"options.team.teamTasks is only allowed in modes team and pipeline"}},
        {with_tasks(one, "ultrawork"),
         {"options.team.teamTasks is only allowed in modes team and pipeline"}},
        {with_tasks(sixty_four), {}},
        {with_tasks(many), {"options.team.teamTasks must contain no more than 64 elements"}},
        {with_tasks(R"({"a":1})"), {"options.team.teamTasks must be an array"}},
        {with_tasks(R"([5])"), {"options.team.teamTasks[0] must be an object"}},
    });
}

BOOST_AUTO_TEST_CASE(task_template_field_rules) {
    const std::string p = "options.team.teamTasks[0]";
    // One template with `fields` added to a valid name and role.
    auto task = [](const std::string& fields) {
        return with_tasks(R"([{"name":"Build it","role":"developer")" + fields + "}]");
    };
    run_cases({
        {with_tasks(R"([{"role":"developer"}])"), {p + ".name is required"}},
        {with_tasks(R"([{"name":"Build it"}])"), {p + ".role is required"}},
        {with_tasks(R"([{"name":"ok","role":"developer"}])"), {}},
        {with_tasks(R"([{"role":"developer","name":")" + std::string(180, 'n') + "\"}]"), {}},
        {with_tasks(R"([{"name":"x","role":"developer"}])"),
         {p + ".name must be between 2 and 180 characters"}},
        {with_tasks(R"([{"role":"developer","name":")" + std::string(181, 'n') + "\"}]"),
         {p + ".name must be between 2 and 180 characters"}},
        {with_tasks(R"([{"name":5,"role":"developer"}])"), {p + ".name must be a string"}},
        {with_tasks(R"([{"name":"Check it","role":"verifier"}])"), {}},
        {with_tasks(R"([{"name":"Boss it","role":"boss"}])"),
         {p + ".role must be one of the following values: " + roles_list}},
        {task(R"(,"id":"build.step_1-A")"), {}},
        {task(R"(,"id":")" + std::string(64, 'i') + "\""), {}},
        {task(R"(,"id":")" + std::string(65, 'i') + "\""),
         {p + ".id must match /^[A-Za-z0-9._-]{1,64}$/ regular expression"}},
        {task(R"(,"id":"")"), {p + ".id must match /^[A-Za-z0-9._-]{1,64}$/ regular expression"}},
        {task(R"(,"id":"a/b")"),
         {p + ".id must match /^[A-Za-z0-9._-]{1,64}$/ regular expression"}},
        {task(R"(,"id":"..")"), {p + ".id must not be '.' or '..'"}},
        {task(R"(,"id":1)"), {p + ".id must be a string"}},
        {task(R"(,"maxAttempts":1)"), {}},
        {task(R"(,"maxAttempts":5)"), {}},
        {task(R"(,"maxAttempts":0)"), {p + ".maxAttempts must not be less than 1"}},
        {task(R"(,"maxAttempts":6)"), {p + ".maxAttempts must not be greater than 5"}},
        {task(R"(,"timeoutSeconds":60)"), {}},
        {task(R"(,"timeoutSeconds":3600)"), {}},
        {task(R"(,"timeoutSeconds":59)"), {p + ".timeoutSeconds must not be less than 60"}},
        {task(R"(,"timeoutSeconds":3601)"), {p + ".timeoutSeconds must not be greater than 3600"}},
        {task(R"(,"timeoutSeconds":"60")"), {p + ".timeoutSeconds must be an integer number"}},
        {task(R"(,"requiresApproval":true)"), {}},
        {task(R"(,"requiresApproval":"no")"), {p + ".requiresApproval must be a boolean"}},
        {task(R"(,"dependencies":[])"), {}},
        {task(R"(,"dependencies":"a")"), {p + ".dependencies must be an array"}},
        {task(R"(,"dependencies":[1])"), {p + ".dependencies[0] must be a string"}},
    });
}

BOOST_AUTO_TEST_CASE(task_graph_rules) {
    const std::string p = "options.team.teamTasks";
    run_cases({
        {with_tasks(R"([{"id":"a","name":"A task","role":"developer"},
                        {"id":"b","name":"B task","role":"verifier","dependencies":["a"]}])"),
         {}},
        {with_tasks(R"([{"id":"a","name":"A task","role":"developer"},
                        {"id":"a","name":"B task","role":"verifier"}])"),
         {p + "[1].id: duplicate task id 'a'"}},
        {with_tasks(R"([{"id":"a","name":"A task","role":"developer"},
                        {"id":"b","name":"B task","role":"developer"},
                        {"id":"c","name":"C task","role":"verifier","dependencies":["x"]}])"),
         {p + "[2].dependencies[0]: unknown task id 'x'"}},
        {with_tasks(R"([{"id":"a","name":"A task","role":"developer","dependencies":["a"]}])"),
         {p + "[0].dependencies[0]: task 'a' depends on itself"}},
        {with_tasks(R"([{"id":"a","name":"A task","role":"developer"},
                        {"id":"b","name":"B task","role":"verifier","dependencies":["a","a"]}])"),
         {p + "[1].dependencies[1]: duplicate dependency 'a'"}},
        {with_tasks(R"([{"id":"a","name":"A task","role":"developer","dependencies":["c"]},
                        {"id":"b","name":"B task","role":"executor","dependencies":["a"]},
                        {"id":"c","name":"C task","role":"verifier","dependencies":["b"]}])"),
         {p + ": dependency cycle 'a' -> 'c' -> 'b' -> 'a'"}},
        // Default ids can be depended on.
        {with_tasks(R"([{"name":"A task","role":"developer"},
                        {"name":"B task","role":"verifier","dependencies":["developer-1"]}])"),
         {}},
    });
}

BOOST_AUTO_TEST_CASE(pipeline_tasks_may_only_depend_on_earlier_ones) {
    const std::string p = "options.team.teamTasks";
    run_cases({
        {with_tasks(R"([{"id":"a","name":"A task","role":"planner"},
                        {"id":"b","name":"B task","role":"developer"},
                        {"id":"c","name":"C task","role":"verifier","dependencies":["a"]}])",
                    "pipeline"),
         {}},
        {with_tasks(R"([{"id":"a","name":"A task","role":"planner","dependencies":["b"]},
                        {"id":"b","name":"B task","role":"developer"}])",
                    "pipeline"),
         {p +
          "[0].dependencies[0]: task 'a' cannot depend on 'b', which comes later in the pipeline"}},
        // The same graph is fine in team mode, where tasks run as the graph allows.
        {with_tasks(R"([{"id":"a","name":"A task","role":"planner","dependencies":["b"]},
                        {"id":"b","name":"B task","role":"developer"}])",
                    "team"),
         {}},
    });
}

BOOST_AUTO_TEST_CASE(defaults_are_filled_in) {
    const auto r = valid_request("{}");
    BOOST_TEST(to_string(r.provider) == "codex");
    BOOST_TEST(to_string(r.mode) == "team");
    BOOST_TEST(r.repo == "owner/name");
    BOOST_TEST(r.ref == "main");
    BOOST_TEST(r.task == "Fix the bug");
    BOOST_TEST(r.options.workers == 1);
    BOOST_TEST(r.options.maxMinutes == 60);
    BOOST_TEST(!r.options.requireApproval);
    BOOST_TEST(r.options.keepTmuxSession);
    BOOST_TEST(r.options.agentCommands.empty());
    BOOST_TEST(!r.options.maxTokens.has_value());
    BOOST_TEST(r.options.team.maxFixAttempts == 2);
    BOOST_TEST(r.options.team.parallelTasks == 1);
    BOOST_TEST(!r.options.team.tmuxVisualization);
    BOOST_TEST(!r.options.team.teamTasks.has_value());
    BOOST_TEST(r.options.team.extras.empty());
    BOOST_TEST(!valid_request(with_tasks("[]")).options.team.teamTasks.has_value());
}

BOOST_AUTO_TEST_CASE(server_defaults_apply_when_the_client_sets_nothing) {
    const ServerDefaults flipped{.keepTmuxSession = false, .tmuxVisualization = true};
    const auto defaulted = valid_request("{}", flipped);
    BOOST_TEST(!defaulted.options.keepTmuxSession);
    BOOST_TEST(defaulted.options.team.tmuxVisualization);
    const auto explicit_ = valid_request(
        R"({"options":{"keepTmuxSession":true,"team":{"tmuxVisualization":false}}})", flipped);
    BOOST_TEST(explicit_.options.keepTmuxSession);
    BOOST_TEST(!explicit_.options.team.tmuxVisualization);
}

BOOST_AUTO_TEST_CASE(mode_presets_set_loop_defaults) {
    const std::vector<std::pair<std::string, int>> fix_defaults = {
        {"team", 2}, {"autopilot", 2}, {"ralph", 5}, {"ultrawork", 2}, {"pipeline", 0}};
    for (const auto& [mode, expected] : fix_defaults) {
        BOOST_TEST_CONTEXT(mode) {
            BOOST_TEST(valid_request(R"({"mode":")" + mode + R"("})").options.team.maxFixAttempts ==
                       expected);
        }
    }
    BOOST_TEST(valid_request(R"({"mode":"ralph","options":{"team":{"maxFixAttempts":1}}})")
                   .options.team.maxFixAttempts == 1);
    // ultrawork: parallelTasks defaults to min(workers, 8); elsewhere to 1.
    BOOST_TEST(valid_request(R"({"mode":"ultrawork","options":{"workers":3}})")
                   .options.team.parallelTasks == 3);
    BOOST_TEST(valid_request(R"({"mode":"ultrawork","options":{"workers":12}})")
                   .options.team.parallelTasks == 8);
    BOOST_TEST(valid_request(R"({"mode":"ultrawork"})").options.team.parallelTasks == 1);
    BOOST_TEST(
        valid_request(R"({"mode":"ultrawork","options":{"workers":12,"team":{"parallelTasks":2}}})")
            .options.team.parallelTasks == 2);
    BOOST_TEST(
        valid_request(R"({"mode":"team","options":{"workers":5}})").options.team.parallelTasks ==
        1);
}

BOOST_AUTO_TEST_CASE(explicit_values_are_kept) {
    const auto r = valid_request(
        R"({"provider":"gemini","mode":"pipeline","options":{"workers":4,"maxMinutes":90,
            "requireApproval":true,"maxTokens":500000,
            "team":{"maxFixAttempts":3,"parallelTasks":2,"extras":{"k":"v"}}}})");
    BOOST_TEST(to_string(r.provider) == "gemini");
    BOOST_TEST(to_string(r.mode) == "pipeline");
    BOOST_TEST(r.options.workers == 4);
    BOOST_TEST(r.options.maxMinutes == 90);
    BOOST_TEST(r.options.requireApproval);
    BOOST_TEST_REQUIRE(r.options.maxTokens.has_value());
    BOOST_TEST(*r.options.maxTokens == 500000);
    BOOST_TEST(r.options.team.maxFixAttempts == 3);
    BOOST_TEST(r.options.team.parallelTasks == 2);
    BOOST_TEST(json::serialize(r.options.team.extras) == R"({"k":"v"})");
}

BOOST_AUTO_TEST_CASE(task_templates_are_normalized) {
    const auto r = valid_request(with_tasks(
        R"([{"role":"executor","name":"First"},
            {"id":"executor-1","role":"planner","name":"Named"},
            {"role":"executor","name":"Third","dependencies":["executor-1"]},
            {"role":"verifier","name":"Check","maxAttempts":3,"timeoutSeconds":120,
             "requiresApproval":true,"dependencies":["executor-2","executor-3"]}])"));
    BOOST_TEST_REQUIRE(r.options.team.teamTasks.has_value());
    const auto& t = *r.options.team.teamTasks;
    BOOST_TEST_REQUIRE(t.size() == 4u);
    // <role>-<n>: n counts the role from 1, skipping ids already taken.
    BOOST_TEST(t[0].id == "executor-2");
    BOOST_TEST(t[1].id == "executor-1");
    BOOST_TEST(t[2].id == "executor-3");
    BOOST_TEST(t[3].id == "verifier-1");
    BOOST_TEST(t[0].name == "First");
    BOOST_TEST(to_string(t[1].role) == "planner");
    BOOST_TEST(t[0].maxAttempts == 1);
    BOOST_TEST(t[0].timeoutSeconds == 900);
    BOOST_TEST(!t[0].requiresApproval);
    BOOST_TEST(t[0].dependencies.empty());
    BOOST_TEST(t[2].dependencies == std::vector<std::string>{"executor-1"});
    BOOST_TEST(t[3].maxAttempts == 3);
    BOOST_TEST(t[3].timeoutSeconds == 120);
    BOOST_TEST(t[3].requiresApproval);
    BOOST_TEST((t[3].dependencies == std::vector<std::string>{"executor-2", "executor-3"}));
}

BOOST_AUTO_TEST_CASE(request_hash_ignores_key_order_only) {
    const auto a = json::parse(R"({"b":1,"a":{"y":[1,{"q":2,"p":3}],"x":"s"}})");
    const auto b = json::parse(R"({"a":{"x":"s","y":[1,{"p":3,"q":2}]},"b":1})");
    const auto c = json::parse(R"({"a":{"x":"s","y":[{"p":3,"q":2},1]},"b":1})");
    const auto d = json::parse(R"({"a":{"x":"t","y":[1,{"p":3,"q":2}]},"b":1})");
    const auto h = api::request_hash(a);
    BOOST_TEST(h.size() == 40u);
    BOOST_TEST(h.find_first_not_of("0123456789abcdef") == std::string::npos);
    BOOST_TEST(h == api::request_hash(b));
    BOOST_TEST(h != api::request_hash(c)); // array order matters
    BOOST_TEST(h != api::request_hash(d)); // values matter
    BOOST_TEST(api::request_hash(json::parse(R"({"a":1})")) !=
               api::request_hash(json::parse(R"({"a":"1"})")));
    // SHA-1 of the canonical text {} is well known.
    BOOST_TEST(api::request_hash(json::object{}) == "bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f");
}

BOOST_AUTO_TEST_SUITE_END()
