// The attempt prompt: order of its parts, every bound, trimming oldest context first, UTF-8 cuts.
#include "process/prompt.hpp"

#include "process/bounded_text.hpp"
#include "team/core/enums.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace omx::process;
namespace team = omx::team;
namespace json = boost::json;

namespace {

std::size_t count_of(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

bool has(std::string_view text, std::string_view what) {
    return text.find(what) != std::string_view::npos;
}

// A text of `bytes` bytes that starts with `tag` (so a part can be found by its start).
std::string filler(const std::string& tag, std::size_t bytes) {
    std::string out = tag + " ";
    while (out.size() < bytes)
        out += "lorem ipsum ";
    out.resize(bytes);
    return out;
}

DependencyContext dependency(const std::string& id, std::string summary, team::TimeMs at = 0) {
    return {id, team::Role::developer, team::TaskStatus::succeeded, std::move(summary), nullptr,
            at};
}

team::Message message(const std::string& id, std::string text, team::TimeMs at) {
    team::Message m;
    m.id = id;
    m.kind = "instruction";
    m.from = "leader";
    m.to = "executor";
    m.message = std::move(text);
    m.createdAt = at;
    return m;
}

PromptInput basic_input() {
    PromptInput in;
    in.role = team::Role::executor;
    in.job_task = "JOBTASK: make the build green";
    in.task_name = "TASKNAME: run the executor";
    return in;
}

} // namespace

BOOST_AUTO_TEST_SUITE(process_prompt)

BOOST_AUTO_TEST_CASE(parts_come_in_order) {
    PromptInput in = basic_input();
    in.dependencies = {dependency("team-planner", "DEPSUMMARY planned it")};
    in.dependencies[0].structured = json::object{{"plan_summary", "PLANSUM"}};
    in.feedback.error = "FEEDBACKERROR exit 2";
    in.messages = {message("m1", "MAILTEXT please hurry", 5)};
    const std::string p = build_prompt(in);
    const std::vector<std::string> order{"You are the executor",
                                         "```json",
                                         "JOBTASK",
                                         "TASKNAME",
                                         "team-planner (developer, succeeded)",
                                         "DEPSUMMARY",
                                         "PLANSUM",
                                         "FEEDBACKERROR",
                                         "MAILTEXT"};
    std::size_t last = 0;
    for (const auto& part : order) {
        BOOST_TEST_CONTEXT(part) {
            const auto at = p.find(part, last);
            BOOST_REQUIRE(at != std::string::npos);
            last = at;
        }
    }
    BOOST_TEST(p.size() <= max_prompt_bytes);
}

BOOST_AUTO_TEST_CASE(empty_parts_leave_no_empty_sections) {
    const std::string p = build_prompt(basic_input());
    BOOST_TEST(!has(p, "## Feedback"));
    BOOST_TEST(!has(p, "## Messages"));
    BOOST_TEST(!has(p, "## Results"));
    BOOST_TEST(!has(p, "left out"));
}

BOOST_AUTO_TEST_CASE(every_role_states_the_structured_output_contract) {
    for (auto role : team::all_roles) {
        const std::string text = role_instructions(role);
        BOOST_TEST_CONTEXT(team::to_string(role)) {
            BOOST_TEST(has(text, "```json"));
            BOOST_TEST(has(text, "\"requiresApproval\""));
            BOOST_TEST(has(text, "\"reason\""));
            BOOST_TEST(has(text, "\"mailbox\""));
            BOOST_TEST(text.size() < 2048u);
        }
    }
    BOOST_TEST(has(role_instructions(team::Role::planner), "\"plan_summary\""));
    BOOST_TEST(has(role_instructions(team::Role::planner), "\"tasks\""));
    BOOST_TEST(has(role_instructions(team::Role::verifier), "\"status\": \"pass\" or \"fail\""));
    BOOST_TEST(has(role_instructions(team::Role::verifier), "\"findings\""));
    BOOST_TEST(!has(role_instructions(team::Role::developer), "plan_summary"));
}

BOOST_AUTO_TEST_CASE(feedback_carries_error_findings_and_the_approvers_comment) {
    PromptInput in = basic_input();
    in.feedback.error = "exit code 1: tests failed";
    in.feedback.findings = json::array{"login is broken", json::object{{"file", "a.c"}}};
    in.feedback.approved = true;
    in.feedback.approver_comment = "go ahead, but keep the API";
    const std::string p = build_prompt(in);
    BOOST_TEST(has(p, "exit code 1: tests failed"));
    BOOST_TEST(has(p, "- login is broken\n"));
    BOOST_TEST(has(p, R"(- {"file":"a.c"})"));
    BOOST_TEST(has(p, "approved"));
    BOOST_TEST(has(p, "go ahead, but keep the API"));
}

BOOST_AUTO_TEST_CASE(each_dependency_is_bounded_to_8_kib) {
    PromptInput in = basic_input();
    in.dependencies = {dependency("big", filler("BIGSTART", 20000) + "BIGEND")};
    const std::string p = build_prompt(in);
    BOOST_TEST(has(p, "BIGSTART"));
    BOOST_TEST(!has(p, "BIGEND"));
    BOOST_TEST(has(p, "[... truncated]"));
    const auto start = p.find("BIGSTART");
    const auto end = p.find("[... truncated]") + std::string_view("[... truncated]").size();
    BOOST_TEST(end - start <= max_dependency_bytes);
    BOOST_TEST(end - start > max_dependency_bytes - 64);
}

BOOST_AUTO_TEST_CASE(each_message_feedback_part_and_the_task_name_are_bounded) {
    PromptInput in = basic_input();
    const std::string name = filler("NAMESTART", 10000) + "NAMEEND";
    in.task_name = name;
    in.feedback.error = filler("ERRSTART", 20000) + "ERREND";
    in.feedback.findings = filler("FINDSTART", 20000) + "FINDEND";
    in.feedback.approved = true;
    in.feedback.approver_comment = filler("COMMENTSTART", 20000) + "COMMENTEND";
    in.messages = {message("m1", filler("MSGSTART", 20000) + "MSGEND", 1)};
    const std::string p = build_prompt(in);
    for (std::string tag : {"NAME", "ERR", "FIND", "COMMENT", "MSG"}) {
        BOOST_TEST_CONTEXT(tag) {
            BOOST_TEST(has(p, tag + "START"));
            BOOST_TEST(!has(p, tag + "END"));
        }
    }
    BOOST_TEST(count_of(p, "[... truncated]") == 5u);
    BOOST_TEST(p.size() <= max_prompt_bytes);
    // Name bound 4 KiB, the others 8 KiB: 4 + 4 * 8 KiB and the instructions fit in 64 KiB.
    BOOST_TEST(!has(p, "left out"));
}

BOOST_AUTO_TEST_CASE(message_payloads_are_shown_and_senders_named) {
    PromptInput in = basic_input();
    auto m = message("m1", "what schema?", 1);
    m.kind = "question";
    m.from = "team-developer";
    m.payload = json::object{{"table", "users"}};
    in.messages = {m, message("m2", "stop at noon", 2)};
    const std::string p = build_prompt(in);
    BOOST_TEST(has(p, "### question from task team-developer"));
    BOOST_TEST(has(p, R"(Payload: {"table":"users"})"));
    BOOST_TEST(has(p, "### instruction from the people running the job"));
    BOOST_TEST(p.find("what schema?") < p.find("stop at noon"));
}

BOOST_AUTO_TEST_CASE(the_whole_prompt_fits_64_kib_dropping_the_oldest_context_first) {
    PromptInput in = basic_input();
    // 12 dependencies of 8 KiB each (96 KiB), finished at times 10..120; messages at 5 and 200.
    for (int i = 1; i <= 12; ++i)
        in.dependencies.push_back(dependency(
            "dep-" + std::to_string(i), filler("DEP" + std::to_string(i) + "START", 8000), i * 10));
    in.messages = {message("old", filler("OLDMSG", 4000), 5),
                   message("new", filler("NEWMSG", 4000), 200)};
    in.feedback.error = "FEEDBACK stays";
    const std::string p = build_prompt(in);
    BOOST_TEST(p.size() <= max_prompt_bytes);
    BOOST_TEST(p.size() > max_prompt_bytes - 8 * 1024); // trimmed, not emptied
    // The instructions, task and name are whole; so is the feedback.
    BOOST_TEST(p.starts_with(role_instructions(team::Role::executor)));
    BOOST_TEST(has(p, "JOBTASK: make the build green"));
    BOOST_TEST(has(p, "TASKNAME: run the executor"));
    BOOST_TEST(has(p, "FEEDBACK stays"));
    // The oldest went first: the old message (t=5) and the first dependencies; the newest stay.
    BOOST_TEST(!has(p, "OLDMSG"));
    BOOST_TEST(!has(p, "DEP1START"));
    BOOST_TEST(!has(p, "DEP2START"));
    BOOST_TEST(has(p, "DEP12START"));
    BOOST_TEST(has(p, "DEP11START"));
    BOOST_TEST(has(p, "NEWMSG"));
    BOOST_TEST(has(p, "older context entries were left out"));
    // Whatever was dropped, what is left of each dependency is its head.
    for (int i = 1; i <= 12; ++i) {
        const std::string id = "### dep-" + std::to_string(i) + " ";
        if (has(p, id)) BOOST_TEST(has(p, "DEP" + std::to_string(i) + "START"));
    }
}

BOOST_AUTO_TEST_CASE(the_task_is_never_cut_while_context_can_go) {
    PromptInput in = basic_input();
    const std::string task = filler("HUGETASK", 60 * 1024) + "TASKEND";
    in.job_task = task;
    in.dependencies = {dependency("d1", filler("D1", 8000), 1),
                       dependency("d2", filler("D2", 8000), 2)};
    in.feedback.error = filler("FB", 3000);
    const std::string p = build_prompt(in);
    BOOST_TEST(p.size() <= max_prompt_bytes);
    BOOST_TEST(has(p, task));
    BOOST_TEST(has(p, "TASKNAME: run the executor"));
    BOOST_TEST(!has(p, "D1 lorem"));
}

BOOST_AUTO_TEST_CASE(a_task_over_the_limit_alone_is_cut_at_64_kib_after_the_instructions) {
    PromptInput in = basic_input();
    const std::string task = filler("HUGETASK", 70 * 1024) + "TASKEND";
    in.job_task = task;
    in.dependencies = {dependency("d1", "DEPX")};
    const std::string p = build_prompt(in);
    BOOST_TEST(p.size() <= max_prompt_bytes);
    BOOST_TEST(p.size() > max_prompt_bytes - 8);
    BOOST_TEST(p.starts_with(role_instructions(team::Role::executor)));
    BOOST_TEST(has(p, "HUGETASK"));
    BOOST_TEST(!has(p, "TASKEND"));
    BOOST_TEST(!has(p, "DEPX"));
}

BOOST_AUTO_TEST_CASE(cuts_fall_on_utf8_character_boundaries) {
    std::string wide;
    while (wide.size() < 30000)
        wide += "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"; // é € 😀
    PromptInput in = basic_input();
    in.dependencies = {dependency("d1", wide, 1)};
    in.messages = {message("m", wide, 2)};
    in.feedback.error = wide;
    std::string p = build_prompt(in);
    BOOST_TEST(valid_utf8(p) == p);
    // And when everything is cut at the hard limit.
    const std::string task = "x" + wide + wide + wide;
    in.job_task = task;
    p = build_prompt(in);
    BOOST_TEST(p.size() <= max_prompt_bytes);
    BOOST_TEST(valid_utf8(p) == p);
}

BOOST_AUTO_TEST_CASE(dependency_outputs_json_has_every_dependency_unabridged) {
    auto planner = dependency("team-planner", filler("S", 10000));
    planner.role = team::Role::planner;
    planner.structured = json::object{{"plan_summary", "p"}, {"tasks", json::array{}}};
    auto failed = dependency("team-research", "");
    failed.role = team::Role::researcher;
    failed.status = team::TaskStatus::failed;
    const auto v = json::parse(dependency_outputs_json({planner, failed}));
    const auto& o = v.as_object();
    BOOST_TEST(o.size() == 2u);
    const auto& p = o.at("team-planner").as_object();
    BOOST_TEST(p.at("role").as_string() == "planner");
    BOOST_TEST(p.at("status").as_string() == "succeeded");
    BOOST_TEST(p.at("summary").as_string().size() == 10000u);
    BOOST_TEST(p.at("structured").at("plan_summary").as_string() == "p");
    const auto& r = o.at("team-research").as_object();
    BOOST_TEST(r.at("status").as_string() == "failed");
    BOOST_TEST(r.at("structured").is_null());
    BOOST_TEST(dependency_outputs_json({}) == "{}");
}

BOOST_AUTO_TEST_CASE(dependency_context_reads_the_tasks_output) {
    team::Task t;
    t.id = "team-designer";
    t.role = team::Role::designer;
    t.status = team::TaskStatus::succeeded;
    t.finishedAt = 1234;
    t.output = json::object{
        {"status", "ok"}, {"summary", "designed"}, {"structured", json::object{{"a", 1}}}};
    const auto c = dependency_context(t);
    BOOST_TEST(c.task_id == "team-designer");
    BOOST_TEST((c.role == team::Role::designer));
    BOOST_TEST(c.summary == "designed");
    BOOST_TEST(c.structured.at("a").as_int64() == 1);
    BOOST_TEST(c.finished_at == 1234);
    t.output = nullptr;
    BOOST_TEST(dependency_context(t).summary.empty());
    BOOST_TEST(dependency_context(t).structured.is_null());
}

BOOST_AUTO_TEST_SUITE_END()
