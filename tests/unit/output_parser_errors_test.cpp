// Output parsers on the error paths of spec/formats/README.md: failure classes, retry delays.
#include "output_parser_support.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace omx::process;
using namespace omx::test;

BOOST_AUTO_TEST_SUITE(process_output_parser_errors)

BOOST_AUTO_TEST_CASE(codex_turn_failed) {
    const auto r = run(
        {R"({"type":"thread.started","thread_id":"t1"})", R"({"type":"turn.started"})",
         R"({"type":"error","message":"Connection failed: error sending request"})",
         R"({"type":"turn.failed","error":{"message":"Connection failed: error sending request"}})"},
        1);
    BOOST_TEST(r.outcome.format == OutputFormat::codex);
    check_error(r.outcome, "Connection failed: error sending request", "agent_error");
    BOOST_TEST(r.outcome.threadId.value_or("") == "t1");
    BOOST_TEST(r.outcome.resultText == "");
}

BOOST_AUTO_TEST_CASE(codex_http_400_body_is_the_message) {
    const std::string body =
        R"(unexpected status 400 Bad Request: {\"error\":{\"message\":\"bad model\"}})";
    const auto r = run({R"({"type":"thread.started","thread_id":"t1"})",
                        R"({"type":"error","message":")" + body + R"("})",
                        R"({"type":"turn.failed","error":{"message":")" + body + R"("}})"},
                       1);
    check_error(r.outcome,
                R"(unexpected status 400 Bad Request: {"error":{"message":"bad model"}})",
                "agent_error");
}

// An error line alone is not fatal: codex says "Reconnecting..." and may still succeed.
BOOST_AUTO_TEST_CASE(codex_error_line_alone) {
    const std::vector<std::string> lines{
        R"({"type":"thread.started","thread_id":"t1"})",
        R"j({"type":"error","message":"Reconnecting... waiting for network (1/5)"})j",
        R"({"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"ok"}})",
        R"({"type":"turn.completed","usage":{"input_tokens":5,"cached_input_tokens":1,"output_tokens":2}})"};
    const auto ok = run(lines, 0);
    check_no_error(ok.outcome);
    BOOST_TEST(ok.outcome.resultText == "ok");
    check_usage(ok.outcome.usage, 5, 1, 2, std::nullopt);
    // The same lines with a non-zero exit: the last error line explains it.
    const auto failed = run(lines, 1);
    check_error(failed.outcome, "Reconnecting... waiting for network (1/5)", "agent_error");
}

BOOST_AUTO_TEST_CASE(codex_warning_items_and_stream_cut) {
    const auto r = run(
        {R"({"type":"thread.started","thread_id":"t1"})",
         R"({"type":"item.completed","item":{"id":"item_0","type":"error","message":"model fell back"}})",
         R"({"type":"turn.failed","error":{"message":"stream disconnected before completion: eof"}})"},
        1);
    BOOST_TEST_REQUIRE(r.items.size() == 1u);
    check_item(r.items[0], "error", "model fell back", std::nullopt);
    check_error(r.outcome, "stream disconnected before completion: eof", "agent_error");
}

BOOST_AUTO_TEST_CASE(codex_rate_limit_and_auth) {
    const auto limited = run(
        {R"({"type":"thread.started","thread_id":"t1"})",
         R"({"type":"turn.failed","error":{"message":"exceeded retry limit, last status: 429 Too Many Requests. Please try again in 4.2s."}})"},
        1);
    BOOST_TEST(limited.outcome.errorClass.value_or("") == "rate_limit");
    BOOST_TEST(limited.outcome.retryAfterSeconds.value_or(-1) == 5);
    const auto auth =
        run({R"({"type":"thread.started","thread_id":"t1"})",
             R"({"type":"turn.failed","error":{"message":"unexpected status 401 Unauthorized"}})"},
            1);
    check_error(auth.outcome, "unexpected status 401 Unauthorized", "auth");
}

// Codex usage is cumulative over the thread: the last report, not the sum.
BOOST_AUTO_TEST_CASE(codex_usage_is_the_last_report) {
    const auto r = run(
        {R"({"type":"thread.started","thread_id":"t1"})",
         R"({"type":"turn.completed","usage":{"input_tokens":10,"cached_input_tokens":2,"output_tokens":3}})",
         R"({"type":"turn.completed","usage":{"input_tokens":30,"cached_input_tokens":8,"output_tokens":9}})"});
    check_usage(r.outcome.usage, 30, 8, 9, std::nullopt);
}

// The other codex items: file changes, MCP calls, web search, todo list; reasoning is skipped.
BOOST_AUTO_TEST_CASE(codex_item_kinds) {
    const auto r = run(
        {R"({"type":"thread.started","thread_id":"t1"})",
         R"({"type":"item.completed","item":{"id":"1","type":"reasoning","text":"thinking"}})",
         R"({"type":"item.completed","item":{"id":"2","type":"file_change","changes":[{"path":"a.cpp","kind":"add"},{"path":"b.cpp","kind":"update"}],"status":"completed"}})",
         R"({"type":"item.completed","item":{"id":"3","type":"mcp_tool_call","server":"gh","tool":"search","arguments":{"q":"x"},"status":"failed"}})",
         R"({"type":"item.completed","item":{"id":"4","type":"web_search","query":"boost json"}})",
         R"({"type":"item.completed","item":{"id":"5","type":"todo_list","items":[{"text":"read","completed":true},{"text":"write","completed":false}]}})",
         R"({"type":"item.completed","item":{"id":"6","type":"command_execution","command":"false","aggregated_output":"","exit_code":1,"status":"failed"}})"});
    BOOST_TEST_REQUIRE(r.items.size() == 5u);
    check_item(r.items[0], "file_change", "add a.cpp\nupdate b.cpp", std::nullopt);
    check_item(r.items[1], "tool", R"(gh.search {"q":"x"})", 1);
    check_item(r.items[2], "tool", "web_search boost json", std::nullopt);
    check_item(r.items[3], "plan", "[x] read\n[ ] write", std::nullopt);
    check_item(r.items[4], "command", "false", 1);
}

// trust is_error, never subtype.
BOOST_AUTO_TEST_CASE(claude_is_error_with_subtype_success) {
    const auto r = run(
        {R"({"type":"system","subtype":"init","session_id":"s1"})",
         R"({"type":"assistant","message":{"id":"m1","content":[{"type":"text","text":"working"}]},"session_id":"s1"})",
         R"({"type":"result","subtype":"success","is_error":true,"api_error_status":500,"result":"API Error: 500 internal","session_id":"s1","total_cost_usd":0.01,"usage":{"input_tokens":3,"cache_creation_input_tokens":4,"cache_read_input_tokens":5,"output_tokens":6}})"},
        1);
    check_error(r.outcome, "API Error: 500 internal", "agent_error");
    BOOST_TEST(r.outcome.resultText == "working"); // the error is not the agent's final message
    check_usage(r.outcome.usage, 12, 5, 6, 0.01);
    BOOST_TEST(r.outcome.threadId.value_or("") == "s1");
    // subtype says error, is_error says no: no error.
    const auto ok = run(
        {R"({"type":"result","subtype":"error_max_turns","is_error":false,"result":"fine","session_id":"s2"})"});
    check_no_error(ok.outcome);
    BOOST_TEST(ok.outcome.resultText == "fine");
}

BOOST_AUTO_TEST_CASE(claude_rate_limit) {
    const std::string init = R"({"type":"system","subtype":"init","session_id":"s1"})";
    // api_error_status 429; the retry delay of the last api_retry line.
    const auto by_status = run(
        {init,
         R"({"type":"system","subtype":"api_retry","attempt":1,"max_retries":10,"retry_delay_ms":2500,"error_status":429,"error":"rate_limit","session_id":"s1"})",
         R"({"type":"result","subtype":"success","is_error":true,"api_error_status":429,"result":"API Error: Request rejected","session_id":"s1"})"},
        1);
    check_error(by_status.outcome, "API Error: Request rejected", "rate_limit", 3);
    // "error":"rate_limit" on the assistant line, no status on the result.
    const auto by_hint = run(
        {init,
         R"({"type":"assistant","error":"rate_limit","message":{"id":"m1","content":[{"type":"text","text":"API Error: Request rejected"}]},"session_id":"s1"})",
         R"({"type":"result","subtype":"success","is_error":true,"api_error_status":null,"result":"API Error: Request rejected","session_id":"s1"})"},
        1);
    check_error(by_hint.outcome, "API Error: Request rejected", "rate_limit");
    BOOST_TEST_REQUIRE(by_hint.items.size() == 1u);
    BOOST_TEST(by_hint.items[0].kind == "error");
}

BOOST_AUTO_TEST_CASE(claude_auth_and_retries_without_result) {
    const auto auth = run(
        {R"({"type":"system","subtype":"init","session_id":"s1"})",
         R"({"type":"result","subtype":"success","is_error":true,"api_error_status":401,"result":"Invalid API key · Please run /login","session_id":"s1"})"},
        1);
    check_error(auth.outcome, "Invalid API key · Please run /login", "auth");
    // Killed while retrying: the last api_retry line explains the non-zero exit.
    const auto retrying = run(
        {R"({"type":"system","subtype":"init","session_id":"s1"})",
         R"({"type":"system","subtype":"api_retry","attempt":3,"max_retries":10,"retry_delay_ms":4000,"error_status":500,"error":"server_error","session_id":"s1"})"},
        137);
    check_error(retrying.outcome, "claude API retry 3: server_error (HTTP 500)", "agent_error");
    check_no_error(
        run({R"({"type":"system","subtype":"init","session_id":"s1"})",
             R"({"type":"system","subtype":"api_retry","attempt":1,"retry_delay_ms":10,"error_status":500,"error":"server_error"})"},
            0)
            .outcome);
}

// A failed tool call carries exit status 1; sub-agent text is not the final message.
BOOST_AUTO_TEST_CASE(claude_tool_kinds) {
    const auto r = run(
        {R"({"type":"system","subtype":"init","session_id":"s1"})",
         R"({"type":"assistant","message":{"id":"m1","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"make test"}},{"type":"tool_use","id":"t2","name":"Edit","input":{"file_path":"src/a.cpp","old_string":"a","new_string":"b"}}]},"session_id":"s1"})",
         R"({"type":"user","message":{"role":"user","content":[{"tool_use_id":"t1","type":"tool_result","content":"Exit code 2","is_error":true},{"tool_use_id":"t2","type":"tool_result","content":"ok"}]},"session_id":"s1"})",
         R"({"type":"assistant","message":{"id":"m2","content":[{"type":"tool_use","id":"t3","name":"TodoWrite","input":{"todos":[{"content":"fix","status":"in_progress"}]}},{"type":"tool_use","id":"t4","name":"Grep","input":{"pattern":"x"}}]},"session_id":"s1"})",
         R"({"type":"assistant","parent_tool_use_id":"t9","message":{"id":"m3","content":[{"type":"text","text":"sub-agent says"}]},"session_id":"s1"})",
         R"({"type":"result","subtype":"success","is_error":false,"session_id":"s1"})"});
    BOOST_TEST_REQUIRE(r.items.size() == 5u);
    check_item(r.items[0], "command", "make test", 1);
    check_item(r.items[1], "file_change", "Edit src/a.cpp", 0);
    check_item(r.items[2], "message", "sub-agent says", std::nullopt);
    // No tool_result before the result line: reported without an exit status.
    check_item(r.items[3], "plan", "[~] fix", std::nullopt);
    check_item(r.items[4], "tool", R"(Grep {"pattern":"x"})", std::nullopt);
    BOOST_TEST(r.outcome.resultText == ""); // result line without `result`, no top-level text
}

BOOST_AUTO_TEST_CASE(gemini_result_error) {
    const std::string init = R"({"type":"init","timestamp":"t","session_id":"g1","model":"auto"})";
    const auto r = run(
        {init,
         R"({"type":"result","status":"error","error":{"type":"FatalTurnLimitedError","message":"Reached max session turns"},"stats":{"input_tokens":7,"output_tokens":1,"cached":2}})"},
        53);
    check_error(r.outcome, "Reached max session turns", "agent_error");
    check_usage(r.outcome.usage, 7, 2, 1, std::nullopt);
    const auto limited = run(
        {init,
         R"({"type":"result","status":"error","error":{"type":"ApiError","message":"[429] Quota exceeded for metric. Please retry in 36.5s."}})"},
        1);
    check_error(limited.outcome, "[429] Quota exceeded for metric. Please retry in 36.5s.",
                "rate_limit", 37);
}

// gemini exits 41 on an auth failure, whatever it printed.
BOOST_AUTO_TEST_CASE(gemini_exit_41_is_auth) {
    const auto r = run({R"({"type":"init","timestamp":"t","session_id":"g1","model":"auto"})"}, 41);
    check_error(r.outcome, "gemini: authentication failed (exit 41)", "auth");
    const auto forced = run({}, 41, OutputFormat::gemini);
    BOOST_TEST(forced.outcome.errorClass.value_or("") == "auth");
    // 41 means nothing special for other formats.
    check_no_error(run({"plain output"}, 41).outcome);
}

BOOST_AUTO_TEST_CASE(gemini_error_line_and_failed_tool) {
    const std::vector<std::string> lines{
        R"({"type":"init","timestamp":"t","session_id":"g1","model":"auto"})",
        R"({"type":"message","role":"assistant","content":"Let me look.","delta":true})",
        R"({"type":"tool_use","tool_name":"read_file","tool_id":"r1","parameters":{"absolute_path":"/x"}})",
        R"({"type":"tool_result","tool_id":"r1","status":"error","error":{"type":"x","message":"missing"}})",
        R"({"type":"tool_use","tool_name":"write_file","tool_id":"w1","parameters":{"file_path":"a.txt","content":"x"}})",
        R"({"type":"tool_result","tool_id":"w1","status":"success","output":""})",
        R"({"type":"error","severity":"warning","message":"Loop detected"})",
        R"({"type":"message","role":"assistant","content":" Done.","delta":true})"};
    const auto r = run(lines, 130);
    BOOST_TEST_REQUIRE(r.items.size() == 3u);
    check_item(r.items[0], "message", "Let me look.", std::nullopt);
    check_item(r.items[1], "tool", R"(read_file {"absolute_path":"/x"})", 1);
    check_item(r.items[2], "file_change", "write_file a.txt", 0);
    // No result line: the last message is not an item yet, but it is in the result text.
    BOOST_TEST(r.outcome.resultText == "Let me look. Done.");
    check_error(r.outcome, "Loop detected", "agent_error");
    check_no_error(run(lines, 0).outcome);
}

// With no error in stdout, a rate limit or auth failure on stderr explains a non-zero exit.
BOOST_AUTO_TEST_CASE(stderr_rate_limit_and_auth) {
    const auto limited =
        run({"working..."}, 1, OutputFormat::unknown,
            {"some noise", "Error: 429 Too Many Requests; retry-after: 12", "exiting"});
    check_error(limited.outcome, "Error: 429 Too Many Requests; retry-after: 12", "rate_limit", 12);
    check_no_error(run({"working..."}, 0, OutputFormat::unknown, {"Error: 429"}).outcome);
    const auto auth = run({}, 1, OutputFormat::unknown, {"Error: Invalid API key"});
    check_error(auth.outcome, "Error: Invalid API key", "auth");
    check_no_error(run({}, 1, OutputFormat::unknown, {"segfault in module 4011"}).outcome);
    // An error the stream reported wins over stderr.
    const auto both = run({R"({"type":"thread.started","thread_id":"t"})",
                           R"({"type":"turn.failed","error":{"message":"boom"}})"},
                          1, OutputFormat::unknown, {"rate limit"});
    check_error(both.outcome, "boom", "agent_error");
}

BOOST_AUTO_TEST_SUITE_END()
