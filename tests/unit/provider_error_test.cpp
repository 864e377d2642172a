// Provider error classes and retry-after delays; byte-bounded UTF-8 text.
#include "process/bounded_text.hpp"
#include "process/provider_error.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace omx::process;

BOOST_AUTO_TEST_SUITE(process_provider_error)

BOOST_AUTO_TEST_CASE(classes_from_text) {
    BOOST_TEST(classify_text("HTTP 429 Too Many Requests").value_or("") == "rate_limit");
    BOOST_TEST(classify_text("Rate Limit reached").value_or("") == "rate_limit");
    BOOST_TEST(classify_text("error: rate_limit_error").value_or("") == "rate_limit");
    BOOST_TEST(classify_text("RESOURCE_EXHAUSTED").value_or("") == "rate_limit");
    BOOST_TEST(classify_text("status 401").value_or("") == "auth");
    BOOST_TEST(classify_text("403 Forbidden").value_or("") == "auth");
    BOOST_TEST(classify_text("Authentication failed").value_or("") == "auth");
    BOOST_TEST(classify_text("Invalid API key").value_or("") == "auth");
    BOOST_TEST(!classify_text("used 14290 tokens, cost 0.401").has_value());
    BOOST_TEST(!classify_text("connection reset").has_value());
    // A rate limit said in an auth-looking message is still a rate limit.
    BOOST_TEST(classify_text("rate limit for api key k-1").value_or("") == "rate_limit");
}

BOOST_AUTO_TEST_CASE(status_wins_then_hint_then_text) {
    BOOST_TEST(classify_provider_error("whatever", 429).errorClass == "rate_limit");
    BOOST_TEST(classify_provider_error("whatever", 403).errorClass == "auth");
    BOOST_TEST(classify_provider_error("API Error", std::nullopt, "rate_limit").errorClass ==
               "rate_limit");
    BOOST_TEST(classify_provider_error("x", std::nullopt, "authentication_failed").errorClass ==
               "auth");
    BOOST_TEST(classify_provider_error("server exploded", 500, "server_error").errorClass ==
               "agent_error");
    const auto e = classify_provider_error("429: retry after 30s", 429);
    BOOST_TEST(e.retryAfterSeconds.value_or(-1) == 30);
    // Only a rate limit carries a delay.
    BOOST_TEST(!classify_provider_error("boom, retry after 30s").retryAfterSeconds.has_value());
    BOOST_TEST(classify_provider_error(std::string(10000, 'e')).message.size() == 4096u);
}

BOOST_AUTO_TEST_CASE(retry_after) {
    BOOST_TEST(retry_after_seconds("retry after 30s").value_or(-1) == 30);
    BOOST_TEST(retry_after_seconds("Retry-After: 30").value_or(-1) == 30);
    BOOST_TEST(retry_after_seconds("Please retry in 36.58s.").value_or(-1) == 37);
    BOOST_TEST(retry_after_seconds(R"({"retryDelay": "36s"})").value_or(-1) == 36);
    BOOST_TEST(retry_after_seconds(R"({"retry_delay_ms": 2500})").value_or(-1) == 3);
    BOOST_TEST(retry_after_seconds("retrying in 2 minutes").value_or(-1) == 120);
    BOOST_TEST(retry_after_seconds("try again in 4.2s").value_or(-1) == 5);
    BOOST_TEST(retry_after_seconds("retry after 999999 hours").value_or(-1) == 86400);
    BOOST_TEST(!retry_after_seconds("retry attempts: 3").has_value());
    BOOST_TEST(!retry_after_seconds("retry later").has_value());
    BOOST_TEST(!retry_after_seconds("no delay given").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(process_bounded_text)

BOOST_AUTO_TEST_CASE(cuts_on_character_boundaries) {
    const std::string text = "a\xC3\xA9\xE2\x82\xAC"; // a é €: 1 + 2 + 3 bytes
    BOOST_TEST(utf8_head(text, 2) == "a");
    BOOST_TEST(utf8_head(text, 3) == "a\xC3\xA9");
    BOOST_TEST(utf8_head(text, 99) == text);
    BOOST_TEST(utf8_tail(text, 4) == "\xE2\x82\xAC");
    BOOST_TEST(utf8_tail(text, 5) == "\xC3\xA9\xE2\x82\xAC");
}

BOOST_AUTO_TEST_CASE(repairs_invalid_utf8) {
    BOOST_TEST(valid_utf8("ok \xC3\xA9") == "ok \xC3\xA9");
    BOOST_TEST(valid_utf8("\xC3") == "\xEF\xBF\xBD");                                 // truncated
    BOOST_TEST(valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // surrogate
    BOOST_TEST(valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                 // overlong
}

BOOST_AUTO_TEST_CASE(text_tail_keeps_the_end) {
    TextTail tail(8);
    tail.append_line("first");
    tail.append_line("second");
    BOOST_TEST(tail.view() == "t\nsecond");
    for (int i = 0; i < 100; ++i)
        tail.append("0123456789");
    BOOST_TEST(tail.view() == "23456789");
    tail.assign("short");
    BOOST_TEST(tail.view() == "short");
}

BOOST_AUTO_TEST_SUITE_END()
