// Output parsers on the real CLI runs of spec/formats: result text, usage, cost, ids, items.
#include "output_parser_support.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace omx::process;
using namespace omx::test;

BOOST_AUTO_TEST_SUITE(process_output_parser_golden)

BOOST_AUTO_TEST_CASE(codex_hi) {
    const auto r = run_file("codex_hi.jsonl");
    BOOST_TEST(r.outcome.format == OutputFormat::codex);
    BOOST_TEST(r.outcome.resultText == "hi from mock");
    check_usage(r.outcome.usage, 42, 0, 7, std::nullopt);
    BOOST_TEST(r.outcome.threadId.value_or("") == "01a1fe62-416d-74f3-8f4c-7813fffc9efe");
    BOOST_TEST_REQUIRE(r.items.size() == 1u);
    check_item(r.items[0], "message", "hi from mock", std::nullopt);
    BOOST_TEST(r.outcome.itemsDropped == 0u);
    BOOST_TEST(r.outcome.structured.is_null());
    check_no_error(r.outcome);
}

BOOST_AUTO_TEST_CASE(codex_tool) {
    const auto r = run_file("codex_tool.jsonl");
    BOOST_TEST(r.outcome.format == OutputFormat::codex);
    BOOST_TEST(r.outcome.resultText == done_text);
    check_usage(r.outcome.usage, 84, 0, 14, std::nullopt);
    BOOST_TEST(r.outcome.threadId.value_or("") == "01a1fe62-4340-7ec3-9d79-db587c6e5a23");
    BOOST_TEST_REQUIRE(r.items.size() == 2u); // item.started is not a completed item
    check_item(r.items[0], "command",
               "/bin/bash -lc 'echo created-by-codex > hello.txt && ls -la hello.txt'", 0);
    check_item(r.items[1], "message", done_text, std::nullopt);
    check_no_error(r.outcome);
}

BOOST_AUTO_TEST_CASE(claude_hi) {
    const auto r = run_file("claude_hi.jsonl");
    BOOST_TEST(r.outcome.format == OutputFormat::claude);
    BOOST_TEST(r.outcome.resultText == "hi from mock");
    check_usage(r.outcome.usage, 25, 0, 10, 0.000375);
    BOOST_TEST(r.outcome.threadId.value_or("") == "bebe79e0-9a8f-4aea-aa10-ba64c7365b0a");
    BOOST_TEST_REQUIRE(r.items.size() == 1u);
    check_item(r.items[0], "message", "hi from mock", std::nullopt);
    check_no_error(r.outcome);
}

BOOST_AUTO_TEST_CASE(claude_tool) {
    const auto r = run_file("claude_tool.jsonl");
    BOOST_TEST(r.outcome.format == OutputFormat::claude);
    BOOST_TEST(r.outcome.resultText == done_text);
    check_usage(r.outcome.usage, 50, 0, 20, 0.00075);
    BOOST_TEST(r.outcome.threadId.value_or("") == "d43e5f33-5790-48e6-8abe-7be6e4cc4310");
    BOOST_TEST_REQUIRE(r.items.size() == 3u);
    check_item(r.items[0], "message", "Running a command.", std::nullopt);
    check_item(r.items[1], "command", "echo created-by-claude > hello.txt && ls -la hello.txt", 0);
    check_item(r.items[2], "message", done_text, std::nullopt);
    check_no_error(r.outcome);
}

BOOST_AUTO_TEST_CASE(gemini_hi) {
    const auto r = run_file("gemini_hi.jsonl");
    BOOST_TEST(r.outcome.format == OutputFormat::gemini);
    BOOST_TEST(r.outcome.resultText == "hi from mock"); // two deltas
    check_usage(r.outcome.usage, 60, 0, 10, std::nullopt);
    BOOST_TEST(r.outcome.threadId.value_or("") == "8528e3e5-18c0-4e61-868a-2b16744ca7ee");
    BOOST_TEST_REQUIRE(r.items.size() == 1u);
    check_item(r.items[0], "message", "hi from mock", std::nullopt);
    check_no_error(r.outcome);
}

BOOST_AUTO_TEST_CASE(gemini_tool) {
    const auto r = run_file("gemini_tool.jsonl");
    BOOST_TEST(r.outcome.format == OutputFormat::gemini);
    BOOST_TEST(r.outcome.resultText == done_text);
    check_usage(r.outcome.usage, 90, 0, 15, std::nullopt);
    BOOST_TEST(r.outcome.threadId.value_or("") == "8e178317-c519-4b52-8770-86eabdbcc6b2");
    BOOST_TEST_REQUIRE(r.items.size() == 2u);
    check_item(r.items[0], "command", "echo created-by-gemini > hello.txt && ls -la hello.txt", 0);
    check_item(r.items[1], "message", done_text, std::nullopt);
    check_no_error(r.outcome);
}

// Items come out with the line that completes them; the format is known from the first line.
BOOST_AUTO_TEST_CASE(items_stream_with_their_lines) {
    const auto lines = read_lines("claude_tool.jsonl");
    AgentOutputParser p;
    BOOST_TEST(p.format() == OutputFormat::unknown);
    std::vector<std::size_t> per_line;
    for (const auto& line : lines) {
        per_line.push_back(p.feed_stdout_line(line).size());
        BOOST_TEST(p.format() == OutputFormat::claude);
    }
    // init, text, tool_use (waits for its result), tool_result, text, result
    BOOST_TEST(per_line == (std::vector<std::size_t>{0, 1, 0, 1, 1, 0}),
               boost::test_tools::per_element());
}

// Live usage as reported so far: claude's per-message usage until the result line replaces it.
BOOST_AUTO_TEST_CASE(live_usage) {
    const auto lines = read_lines("claude_tool.jsonl");
    AgentOutputParser p;
    for (std::size_t i = 0; i + 1 < lines.size(); ++i)
        p.feed_stdout_line(lines[i]);
    check_usage(p.usage(), 50, 0, 2, std::nullopt); // msg_mock_3 (reported twice) + msg_mock_4
    p.feed_stdout_line(lines.back());
    check_usage(p.usage(), 50, 0, 20, 0.00075);

    AgentOutputParser codex;
    const auto codex_lines = read_lines("codex_tool.jsonl");
    for (const auto& line : codex_lines)
        codex.feed_stdout_line(line);
    check_usage(codex.usage(), 84, 0, 14, std::nullopt);
}

BOOST_AUTO_TEST_SUITE_END()
