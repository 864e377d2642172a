// Helpers for the output parser tests: the spec's captured runs, feeding a parser, checks.
#pragma once

#include "process/output_parser.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#ifndef OMX_SPEC_FORMATS_DIR
#define OMX_SPEC_FORMATS_DIR "/work/shared/spec/formats"
#endif

namespace omx::process {
// For BOOST_TEST messages.
inline std::ostream& operator<<(std::ostream& os, OutputFormat f) {
    return os << to_string(f);
}
} // namespace omx::process

namespace omx::test {

using omx::process::AgentOutputParser;
using omx::process::OutputFormat;
using omx::process::OutputItem;
using omx::process::ParseOutcome;

inline std::vector<std::string> read_lines(const std::string& name) {
    std::ifstream in(std::string(OMX_SPEC_FORMATS_DIR) + "/" + name);
    BOOST_TEST_REQUIRE(in.good(), "cannot read " << name);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

struct Run {
    std::vector<OutputItem> items;
    ParseOutcome outcome;
};

inline Run run(const std::vector<std::string>& lines, int exit_code = 0,
               OutputFormat forced = OutputFormat::unknown,
               const std::vector<std::string>& stderr_lines = {}) {
    AgentOutputParser parser(forced);
    Run r;
    for (const auto& line : lines)
        for (auto& item : parser.feed_stdout_line(line))
            r.items.push_back(std::move(item));
    for (const auto& line : stderr_lines)
        parser.feed_stderr_line(line);
    r.outcome = parser.finish(exit_code);
    return r;
}

inline Run run_file(const std::string& name, int exit_code = 0) {
    return run(read_lines(name), exit_code);
}

inline void check_usage(const omx::team::Usage& u, std::int64_t input, std::int64_t cached,
                        std::int64_t output, std::optional<double> cost) {
    BOOST_TEST(u.inputTokens == input);
    BOOST_TEST(u.cachedInputTokens == cached);
    BOOST_TEST(u.outputTokens == output);
    BOOST_TEST(u.totalTokens == input + output);
    BOOST_TEST(u.costUsd.has_value() == cost.has_value());
    if (u.costUsd && cost) BOOST_TEST(*u.costUsd == *cost); // exact: rounded to 1e-9
}

inline void check_item(const OutputItem& item, std::string_view kind, std::string_view text,
                       std::optional<int> exit_code) {
    BOOST_TEST(item.kind == kind);
    BOOST_TEST(item.text == text);
    BOOST_TEST(item.exitCode.has_value() == exit_code.has_value());
    if (item.exitCode && exit_code) BOOST_TEST(*item.exitCode == *exit_code);
}

inline void check_no_error(const ParseOutcome& o) {
    BOOST_TEST(!o.error.has_value());
    BOOST_TEST(!o.errorClass.has_value());
    BOOST_TEST(!o.retryAfterSeconds.has_value());
}

inline void check_error(const ParseOutcome& o, std::string_view message,
                        std::string_view error_class,
                        std::optional<int> retry_after = std::nullopt) {
    BOOST_TEST_REQUIRE(o.error.has_value());
    BOOST_TEST(*o.error == message);
    BOOST_TEST(o.errorClass.value_or("") == error_class);
    BOOST_TEST(o.retryAfterSeconds.value_or(-1) == retry_after.value_or(-1));
}

inline const std::string done_text = "Done: I ran the command and created hello.txt.";

} // namespace omx::test
