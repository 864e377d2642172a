// Output parsers on damaged input (malformed, truncated, wrong types), plain text, the item cap.
#include "output_parser_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace omx::process;
using namespace omx::test;

BOOST_AUTO_TEST_SUITE(process_output_parser_robustness)

// A truncated last line after a complete result keeps the result.
BOOST_AUTO_TEST_CASE(truncated_last_line_keeps_the_result) {
    for (const std::string name : {"codex_hi.jsonl", "claude_hi.jsonl", "gemini_hi.jsonl",
                                   "codex_tool.jsonl", "claude_tool.jsonl", "gemini_tool.jsonl"}) {
        BOOST_TEST_CONTEXT(name) {
            auto lines = read_lines(name);
            const auto expected = run(lines).outcome.resultText;
            lines.push_back(R"({"type":"result","subtype":"succ)");
            BOOST_TEST(run(lines).outcome.resultText == expected);
        }
    }
}

// The final line itself cut (the caller cuts lines over 1 MiB): the final message survives.
BOOST_AUTO_TEST_CASE(truncated_final_line_keeps_the_final_message) {
    for (const std::string name : {"codex_tool.jsonl", "claude_tool.jsonl", "gemini_tool.jsonl"}) {
        BOOST_TEST_CONTEXT(name) {
            auto lines = read_lines(name);
            lines.back().resize(lines.back().size() / 2);
            BOOST_TEST(run(lines).outcome.resultText == done_text);
        }
    }
}

// Every line cut at every length, malformed lines in between: never a crash, and the known
// format and the result survive lines that are only damaged.
BOOST_AUTO_TEST_CASE(every_prefix_of_every_line) {
    for (const std::string name : {"codex_tool.jsonl", "claude_tool.jsonl", "gemini_tool.jsonl"}) {
        const auto lines = read_lines(name);
        const auto expected = run(lines);
        for (std::size_t i = 0; i < lines.size(); ++i)
            for (std::size_t cut = 0; cut < lines[i].size(); cut += 7) {
                auto damaged = lines;
                damaged[i].resize(cut);
                damaged.insert(damaged.begin() + static_cast<long>(i) + 1, "}{not json\x01\xff");
                const auto r = run(damaged, 1);
                if (i > 0) BOOST_TEST(r.outcome.format == expected.outcome.format);
            }
    }
}

BOOST_AUTO_TEST_CASE(wrong_field_types_and_unknown_types) {
    const auto r = run(
        {
            R"({"type":"thread.started","thread_id":5})",
            R"({"type":"item.completed","item":"oops"})",
            R"({"type":"item.completed","item":{"type":"agent_message","text":7}})",
            R"({"type":"item.completed","item":{"type":"command_execution","command":["ls"],"exit_code":"0"}})",
            R"({"type":"item.completed","item":{"type":"file_change","changes":{"path":"a"}}})",
            R"({"type":"item.completed","item":{"type":"todo_list","items":[1,"x",{"text":2}]}})",
            R"({"type":"item.completed","item":{"type":"brand_new","text":"?"}})",
            R"({"type":"turn.completed","usage":{"input_tokens":"42","cached_input_tokens":-3,"output_tokens":1e30}})",
            R"({"type":"turn.failed","error":"string"})",
            R"({"type":["array"]})",
            R"([1,2,3])",
            R"(null)",
            R"("just a string")",
            "",
            R"({"type":"future.event","payload":{"deep":[[[[[[[]]]]]]]}})",
        },
        1);
    BOOST_TEST(r.outcome.format == OutputFormat::codex);
    BOOST_TEST(!r.outcome.threadId.has_value());
    BOOST_TEST(r.outcome.usage.inputTokens == 0);
    BOOST_TEST(r.outcome.usage.cachedInputTokens == 0);
    BOOST_TEST(r.outcome.usage.outputTokens == std::numeric_limits<std::int64_t>::max());
    BOOST_TEST(r.outcome.usage.totalTokens == std::numeric_limits<std::int64_t>::max());
    check_error(r.outcome, "codex turn failed", "agent_error");

    const auto claude = run({
        R"({"type":"system","subtype":"init","session_id":"s"})",
        R"({"type":"assistant","message":{"content":"not an array","usage":[]},"session_id":7})",
        R"({"type":"assistant","message":{"content":[null,{"type":"text"},{"type":"tool_use"}]}})",
        R"({"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":null}]}})",
        R"({"type":"system","subtype":"api_retry","retry_delay_ms":"soon","error_status":"500"})",
        R"({"type":"result","is_error":"true","result":{"x":1},"usage":"none","total_cost_usd":"1"})",
    });
    BOOST_TEST(claude.outcome.format == OutputFormat::claude);
    check_no_error(claude.outcome);
    BOOST_TEST(!claude.outcome.usage.costUsd.has_value());

    const auto gemini = run({
        R"({"type":"init","session_id":"g","model":"auto"})",
        R"({"type":"message","role":"assistant","content":42})",
        R"({"type":"tool_result","tool_id":"never-used","status":"success"})",
        R"({"type":"tool_use","tool_name":7,"parameters":"x"})",
        R"({"type":"result","status":"error","error":"flat","stats":{"input_tokens":true}})",
    });
    BOOST_TEST(gemini.outcome.format == OutputFormat::gemini);
    check_error(gemini.outcome, "gemini reported an error", "agent_error");
}

BOOST_AUTO_TEST_CASE(random_bytes_never_crash) {
    std::uint32_t seed = 12345;
    const auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
    for (const std::string name : {"codex_tool.jsonl", "claude_tool.jsonl", "gemini_tool.jsonl"}) {
        const auto lines = read_lines(name);
        for (int round = 0; round < 300; ++round) {
            auto mutated = lines;
            for (auto& line : mutated)
                for (int k = 0; k < 3 && !line.empty(); ++k)
                    line[next() % line.size()] = static_cast<char>(next() % 256);
            (void)run(mutated, static_cast<int>(next() % 3));
        }
    }
}

BOOST_AUTO_TEST_CASE(item_text_is_bounded) {
    const std::string long_text(10000, 'x');
    const auto r = run({R"({"type":"thread.started","thread_id":"t"})",
                        R"({"type":"item.completed","item":{"type":"agent_message","text":")" +
                            long_text + R"("}})"});
    BOOST_TEST_REQUIRE(r.items.size() == 1u);
    BOOST_TEST(r.items[0].text.size() == max_item_text_bytes);
    BOOST_TEST(r.outcome.resultText == long_text); // the result text is not cut below 64 KiB
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(process_output_parser_plain)

BOOST_AUTO_TEST_CASE(plain_text_is_the_whole_stdout) {
    const auto r = run({"Building...", "", "All tests passed."}, 0);
    BOOST_TEST(r.outcome.format == OutputFormat::plain);
    BOOST_TEST(r.outcome.resultText == "Building...\n\nAll tests passed.");
    BOOST_TEST(r.items.empty());
    BOOST_TEST(r.outcome.structured.is_null());
    BOOST_TEST(!r.outcome.threadId.has_value());
    check_usage(r.outcome.usage, 0, 0, 0, std::nullopt);
}

// A non-JSON first line means plain, even if codex JSON follows.
BOOST_AUTO_TEST_CASE(non_json_first_line_is_plain) {
    auto lines = read_lines("codex_hi.jsonl");
    lines.insert(lines.begin(), "starting codex");
    const auto r = run(lines);
    BOOST_TEST(r.outcome.format == OutputFormat::plain);
    BOOST_TEST(r.outcome.resultText.starts_with("starting codex\n{\"type\":\"thread.started\""));
    BOOST_TEST(r.items.empty());
}

// Blank lines and JSON of no known format decide nothing; a later codex line does.
BOOST_AUTO_TEST_CASE(detection_waits_for_a_known_line) {
    auto lines = read_lines("codex_hi.jsonl");
    lines.insert(lines.begin(), {"", R"({"note":"wrapper started"})"});
    const auto r = run(lines);
    BOOST_TEST(r.outcome.format == OutputFormat::codex);
    BOOST_TEST(r.outcome.resultText == "hi from mock");
    // A script that prints only JSON of its own: plain, and the object is its structured result.
    const auto script = run({R"({"status":"pass","findings":[]})"});
    BOOST_TEST(script.outcome.format == OutputFormat::plain);
    BOOST_TEST(script.outcome.structured ==
               boost::json::parse(R"({"status":"pass","findings":[]})"));
    // Nothing on stdout at all: unknown.
    BOOST_TEST(run({}).outcome.format == OutputFormat::unknown);
}

BOOST_AUTO_TEST_CASE(plain_keeps_the_last_64_KiB) {
    AgentOutputParser p;
    const std::string line(99, 'a');
    for (int i = 0; i < 20000; ++i) // ~2 MB
        p.feed_stdout_line(i == 19999 ? std::string("LAST LINE") : line);
    const auto o = p.finish(0);
    BOOST_TEST(o.resultText.size() == max_result_bytes);
    BOOST_TEST(o.resultText.ends_with("\nLAST LINE"));
}

BOOST_AUTO_TEST_CASE(plain_tail_is_valid_utf8) {
    // The 64 KiB cut falls inside a 3-byte character: the tail starts at the next one.
    const std::string euro = "\xE2\x82\xAC";
    std::string big;
    while (big.size() < max_result_bytes + 10)
        big += euro;
    AgentOutputParser p;
    p.feed_stdout_line(big);
    const auto o = p.finish(0);
    BOOST_TEST(o.resultText.size() <= max_result_bytes);
    BOOST_TEST(o.resultText.size() % 3 == 0u);
    BOOST_TEST(o.resultText.starts_with(euro));
    // Invalid bytes are replaced: the text goes into JSON.
    BOOST_TEST(run({"bad \xff\xfe bytes"}).outcome.resultText ==
               "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

// A forced format ignores what does not fit it.
BOOST_AUTO_TEST_CASE(forced_format) {
    const auto r =
        run({"hello", R"({"type":"init","session_id":"g","model":"m"})"}, 0, OutputFormat::codex);
    BOOST_TEST(r.outcome.format == OutputFormat::codex);
    BOOST_TEST(r.outcome.resultText == "");
    const auto plain = run(read_lines("codex_hi.jsonl"), 0, OutputFormat::plain);
    BOOST_TEST(plain.outcome.format == OutputFormat::plain);
    BOOST_TEST(plain.outcome.resultText.starts_with(R"({"type":"thread.started")"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(process_output_parser_item_cap)

BOOST_AUTO_TEST_CASE(at_most_200_items_the_rest_counted) {
    std::vector<std::string> lines{R"({"type":"thread.started","thread_id":"t"})"};
    for (int i = 0; i < 250; ++i)
        lines.push_back(
            R"({"type":"item.completed","item":{"type":"command_execution","command":"echo )" +
            std::to_string(i) + R"(","exit_code":0}})");
    lines.push_back(R"({"type":"item.completed","item":{"type":"agent_message","text":"final"}})");
    const auto r = run(lines);
    BOOST_TEST(r.items.size() == max_items);
    BOOST_TEST(r.items.back().text == "echo 199");
    BOOST_TEST(r.outcome.itemsDropped == 51u);
    BOOST_TEST(r.outcome.resultText == "final"); // past the cap, the final message still counts
}

BOOST_AUTO_TEST_SUITE_END()
