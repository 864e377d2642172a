// Structured result extraction: the last fenced ```json object, else the last balanced object.
#include "process/structured_result.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using omx::process::extract_structured;

namespace {

// The extracted value as compact JSON text ("null" when none).
std::string extracted(std::string_view text) {
    return boost::json::serialize(extract_structured(text));
}

} // namespace

BOOST_AUTO_TEST_SUITE(process_structured_result)

BOOST_AUTO_TEST_CASE(none) {
    BOOST_TEST(extracted("") == "null");
    BOOST_TEST(extracted("All done, no JSON here.") == "null");
    BOOST_TEST(extracted("a {curly} remark and an array [1,2]") == "null");
    BOOST_TEST(extracted("{\"unterminated\": 1") == "null");
}

BOOST_AUTO_TEST_CASE(last_bare_object) {
    BOOST_TEST(extracted(R"(Result: {"status":"pass"})") == R"({"status":"pass"})");
    BOOST_TEST(extracted(R"({"a":1} then {"b":2} and prose)") == R"({"b":2})");
    BOOST_TEST(extracted(R"({"a":1} and then {curly prose})") == R"({"a":1})");
    BOOST_TEST(extracted(R"({})") == R"({})");
}

// The spec: the last fenced ```json block if any, else the last balanced object. A fenced
// block therefore wins over a bare object that comes after it.
BOOST_AUTO_TEST_CASE(fenced_block_wins_over_a_later_bare_object) {
    const std::string text = "Plan:\n```json\n{\"plan_summary\":\"x\",\"tasks\":[]}\n```\n"
                             "Also note {\"b\":2}\n";
    BOOST_TEST(extracted(text) == R"({"plan_summary":"x","tasks":[]})");
}

BOOST_AUTO_TEST_CASE(last_fenced_block_wins) {
    const std::string text = "```json\n{\"a\":1}\n```\ntext\n```JSON\n{\"a\":2}\n```\nbye";
    BOOST_TEST(extracted(text) == R"({"a":2})");
    // CRLF line ends, indented fences, longer fences.
    BOOST_TEST(extracted("x\r\n  ```json\r\n{\"c\":3}\r\n  ```\r\n") == R"({"c":3})");
    BOOST_TEST(extracted("````json\n{\"d\":\"```\"}\n````\n") == R"({"d":"```"})");
}

BOOST_AUTO_TEST_CASE(invalid_json_fence_ignored) {
    // An invalid later fence: the earlier valid fence.
    BOOST_TEST(extracted("```json\n{\"a\":1}\n```\n```json\n{bad json}\n```\n") == R"({"a":1})");
    // Only an invalid fence: the last balanced object anywhere in the text.
    BOOST_TEST(extracted("```json\n{\"a\": 1,}\n```\nthen {\"c\":3}") == R"({"c":3})");
    // A fence holding an array is not an object.
    BOOST_TEST(extracted("{\"x\":0}\n```json\n[1,2]\n```\n") == R"({"x":0})");
    // Not a json fence: its object still counts as a bare one.
    BOOST_TEST(extracted("```\n{\"p\":1}\n```\n") == R"({"p":1})");
    // An unclosed fence is no fence.
    BOOST_TEST(extracted("```json\n{\"u\":1}\n") == R"({"u":1})");
}

BOOST_AUTO_TEST_CASE(nested_braces) {
    BOOST_TEST(extracted(R"(x {"a":{"b":{"c":[{"d":1}]}}} y)") == R"({"a":{"b":{"c":[{"d":1}]}}})");
    // The outer span is not JSON: the object nested in it.
    BOOST_TEST(extracted(R"({ note: {"a":1} })") == R"({"a":1})");
    // An array of objects: its last object.
    BOOST_TEST(extracted(R"([{"a":1},{"a":2}])") == R"({"a":2})");
}

BOOST_AUTO_TEST_CASE(braces_in_strings) {
    BOOST_TEST(extracted(R"(see {"s":"}{ not a brace }","n":1} ok)") ==
               R"({"s":"}{ not a brace }","n":1})");
    BOOST_TEST(extracted(R"({"s":"he said \"}\" twice","n":2})") ==
               R"({"s":"he said \"}\" twice","n":2})");
    BOOST_TEST(extracted(R"({"path":"C:\\dir\\","n":3})") == R"({"path":"C:\\dir\\","n":3})");
    // A stray quote in prose spoils only its own line.
    BOOST_TEST(extracted("Use {the \"quote\nand then {\"k\":true}") == R"({"k":true})");
}

BOOST_AUTO_TEST_CASE(pathological_input_is_bounded) {
    BOOST_TEST(extracted(std::string(64 * 1024, '{')) == "null");
    // Only the innermost span is an object.
    BOOST_TEST(extracted(std::string(32 * 1024, '{') + std::string(32 * 1024, '}')) == "{}");
    std::string open_objects;
    while (open_objects.size() < 64 * 1024)
        open_objects += "{\"a\":";
    BOOST_TEST(extracted(open_objects) == "null");
    std::string many;
    while (many.size() < 64 * 1024)
        many += "{\"k\":\"v\"} ";
    BOOST_TEST(extracted(many) == R"({"k":"v"})");
}

BOOST_AUTO_TEST_SUITE_END()
