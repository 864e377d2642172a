// git_ref: every rule of `git check-ref-format --branch` and the full commit id check.
#include "team/core/git_ref.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using omx::team::is_full_commit_id;
using omx::team::is_portable_filename_char;
using omx::team::is_valid_branch_ref;

namespace {

struct RefCase {
    std::string ref;
    bool valid;
    std::string rule;
};

const std::vector<RefCase> ref_cases = {
    {"main", true, "a plain branch name"},
    {"feature/login-form", true, "components separated by '/'"},
    {"v1.2.3", true, "dots inside a name"},
    {"release/2026.11", true, "dots inside a component"},
    {"a.b/c_d-e", true, "name characters"},
    {"user@host", true, "'@' not followed by '{'"},
    {"caf\xc3\xa9", true, "non-ASCII bytes"},
    {"", false, "empty"},
    {"a..b", false, "no '..'"},
    {"..", false, "no '..' (alone)"},
    {std::string("a\x01") + "b", false, "no control characters"},
    {"a\tb", false, "no tab"},
    {"a\x7f"
     "b",
     false, "no DEL"},
    {"a b", false, "no space"},
    {"a~b", false, "no '~'"},
    {"a^b", false, "no '^'"},
    {"a:b", false, "no ':'"},
    {"a?b", false, "no '?'"},
    {"a*b", false, "no '*'"},
    {"a[b", false, "no '['"},
    {"a\\b", false, "no backslash"},
    {"/main", false, "does not begin with '/'"},
    {"main/", false, "does not end with '/'"},
    {"a//b", false, "no '//'"},
    {".hidden", false, "no component starting with '.' (first)"},
    {"feature/.hidden", false, "no component starting with '.' (later)"},
    {"main.lock", false, "no component ending with .lock (last)"},
    {"main.lock/x", false, "no component ending with .lock (first)"},
    {"main.locked", true, "'.lock' only forbidden at the end of a component"},
    {"main.", false, "does not end with '.'"},
    {"a@{b", false, "no '@{'"},
    {"@", false, "not exactly '@'"},
    {"@a", true, "'@' with more is fine"},
    {"-main", false, "does not start with '-'"},
    {"a-", true, "'-' at the end is fine"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(git_ref)

BOOST_AUTO_TEST_CASE(branch_ref_rules) {
    for (const auto& c : ref_cases) {
        BOOST_TEST_CONTEXT("ref '" << c.ref << "': " << c.rule) {
            BOOST_TEST(is_valid_branch_ref(c.ref) == c.valid);
        }
    }
}

BOOST_AUTO_TEST_CASE(full_commit_ids) {
    const std::string hex40 = "0123456789abcdef0123456789abcdef01234567";
    BOOST_TEST(is_full_commit_id(hex40));
    BOOST_TEST(is_full_commit_id("0123456789ABCDEF0123456789ABCDEF01234567"));
    BOOST_TEST(!is_full_commit_id(hex40.substr(0, 39)));                        // too short
    BOOST_TEST(!is_full_commit_id(hex40 + "8"));                                // too long
    BOOST_TEST(!is_full_commit_id("g123456789abcdef0123456789abcdef01234567")); // not hex
    BOOST_TEST(!is_full_commit_id(""));
    BOOST_TEST(!is_full_commit_id("abc1234")); // abbreviated ids are not full ids
}

BOOST_AUTO_TEST_CASE(portable_filename_characters) {
    for (char c : std::string("AZaz09._-"))
        BOOST_TEST(is_portable_filename_char(c), c);
    for (char c : std::string("/ \t@:~+$\x7f\xc3"))
        BOOST_TEST(!is_portable_filename_char(c), c);
}

BOOST_AUTO_TEST_SUITE_END()
