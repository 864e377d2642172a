// Agent command resolution order, provider defaults and placeholder rewriting, as tables.
#include "process/agent_command.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

using namespace omx::process;
using omx::team::Provider;
using omx::team::Role;

namespace {

using Env = std::map<std::string, std::string>;

const std::string codex_args =
    R"( exec --json --skip-git-repo-check --sandbox workspace-write --cd "$JOB_WORKDIR" -- "$JOB_PROMPT")";

} // namespace

BOOST_AUTO_TEST_SUITE(process_agent_command)

BOOST_AUTO_TEST_CASE(provider_defaults_are_exact_with_the_binary_quoted) {
    BOOST_TEST(default_command(Provider::codex, "codex") == "'codex'" + codex_args);
    BOOST_TEST(
        default_command(Provider::claude, "claude") ==
        R"('claude' -p "$JOB_PROMPT" --output-format stream-json --verbose --permission-mode acceptEdits)");
    BOOST_TEST(default_command(Provider::gemini, "gemini") ==
               R"('gemini' -p "$JOB_PROMPT" --output-format stream-json --yolo --skip-trust)");
    // A configured binary is one word whatever it contains.
    BOOST_TEST(default_command(Provider::codex, "/opt/my tools/it's $(x)") ==
               R"('/opt/my tools/it'\''s $(x)')" + codex_args);
}

BOOST_AUTO_TEST_CASE(shell_quote_makes_one_word) {
    BOOST_TEST(shell_quote("") == "''");
    BOOST_TEST(shell_quote("a b") == "'a b'");
    BOOST_TEST(shell_quote("'") == R"(''\''')");
}

struct ResolveCase {
    std::string what;
    Provider provider;
    Role role;
    std::map<Role, std::string> request;
    bool allow;
    Env env;
    std::string text;
    std::string source;
};

BOOST_AUTO_TEST_CASE(resolution_order) {
    const std::map<Role, std::string> dev_request{{Role::developer, "req {TASK}"}};
    const std::vector<ResolveCase> cases{
        {"nothing set: default with the provider's name",
         Provider::codex,
         Role::developer,
         {},
         false,
         {},
         "'codex'" + codex_args,
         "default"},
        {"JOB_CLI_BIN",
         Provider::codex,
         Role::developer,
         {},
         false,
         {{"JOB_CLI_BIN", "/bin/cx"}},
         "'/bin/cx'" + codex_args,
         "default"},
        {"JOB_<P>_CLI_BIN before JOB_CLI_BIN",
         Provider::codex,
         Role::developer,
         {},
         false,
         {{"JOB_CLI_BIN", "/bin/any"}, {"JOB_CODEX_CLI_BIN", "/bin/cx"}},
         "'/bin/cx'" + codex_args,
         "default"},
        {"empty JOB_<P>_CLI_BIN is unset",
         Provider::codex,
         Role::developer,
         {},
         false,
         {{"JOB_CLI_BIN", "/bin/any"}, {"JOB_CODEX_CLI_BIN", ""}},
         "'/bin/any'" + codex_args,
         "default"},
        {"another provider's binary is ignored",
         Provider::gemini,
         Role::verifier,
         {},
         false,
         {{"JOB_CODEX_CLI_BIN", "/bin/cx"}},
         R"('gemini' -p "$JOB_PROMPT" --output-format stream-json --yolo --skip-trust)",
         "default"},
        {"JOB_<R>_CMD",
         Provider::codex,
         Role::developer,
         {},
         false,
         {{"JOB_DEVELOPER_CMD", "dev {TASK}"}},
         R"(dev "${JOB_TASK}")",
         "JOB_DEVELOPER_CMD"},
        {"JOB_<P>_<R>_CMD before JOB_<R>_CMD",
         Provider::codex,
         Role::developer,
         {},
         false,
         {{"JOB_DEVELOPER_CMD", "dev"}, {"JOB_CODEX_DEVELOPER_CMD", "cdev"}},
         "cdev",
         "JOB_CODEX_DEVELOPER_CMD"},
        {"empty JOB_<P>_<R>_CMD is unset",
         Provider::codex,
         Role::developer,
         {},
         false,
         {{"JOB_DEVELOPER_CMD", "dev"}, {"JOB_CODEX_DEVELOPER_CMD", ""}},
         "dev",
         "JOB_DEVELOPER_CMD"},
        {"empty JOB_<R>_CMD is unset",
         Provider::claude,
         Role::planner,
         {},
         false,
         {{"JOB_PLANNER_CMD", ""}},
         R"('claude' -p "$JOB_PROMPT" --output-format stream-json --verbose --permission-mode acceptEdits)",
         "default"},
        {"another provider's and role's commands are ignored",
         Provider::codex,
         Role::developer,
         {},
         false,
         {{"JOB_CLAUDE_DEVELOPER_CMD", "x"},
          {"JOB_VERIFIER_CMD", "y"},
          {"JOB_CODEX_VERIFIER_CMD", "z"}},
         "'codex'" + codex_args,
         "default"},
        {"names are upper case",
         Provider::codex,
         Role::developer,
         {},
         false,
         {{"job_developer_cmd", "x"}, {"JOB_codex_DEVELOPER_CMD", "y"}},
         "'codex'" + codex_args,
         "default"},
        {"the request wins when allowed",
         Provider::codex,
         Role::developer,
         dev_request,
         true,
         {{"JOB_CODEX_DEVELOPER_CMD", "cdev"}},
         R"(req "${JOB_TASK}")",
         "request"},
        {"the request is ignored when not allowed",
         Provider::codex,
         Role::developer,
         dev_request,
         false,
         {{"JOB_CODEX_DEVELOPER_CMD", "cdev"}},
         "cdev",
         "JOB_CODEX_DEVELOPER_CMD"},
        {"the request for another role is ignored",
         Provider::codex,
         Role::verifier,
         dev_request,
         true,
         {{"JOB_VERIFIER_CMD", "make test"}},
         "make test",
         "JOB_VERIFIER_CMD"},
        {"an empty request command is unset",
         Provider::codex,
         Role::developer,
         {{Role::developer, ""}},
         true,
         {{"JOB_DEVELOPER_CMD", "dev"}},
         "dev",
         "JOB_DEVELOPER_CMD"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.what) {
            const auto r = resolve_command(c.provider, c.role, c.request, c.allow, c.env);
            BOOST_TEST(r.text == c.text);
            BOOST_TEST(r.source == c.source);
        }
    }
}

BOOST_AUTO_TEST_CASE(placeholder_rewriting) {
    const std::vector<std::pair<std::string, std::string>> cases{
        // Every form, in every quoting context.
        {"cmd {TASK}", R"(cmd "${JOB_TASK}")"},
        {"cmd ${TASK}", R"(cmd "${JOB_TASK}")"},
        {"cmd $TASK", R"(cmd "${JOB_TASK}")"},
        {R"(cmd "{TASK}")", R"(cmd "${JOB_TASK}")"},
        {R"(cmd "${TASK}")", R"(cmd "${JOB_TASK}")"},
        {R"(cmd "$TASK")", R"(cmd "${JOB_TASK}")"},
        {"cmd '{TASK}'", R"(cmd ''"${JOB_TASK}"'')"},
        {"cmd '${TASK}'", R"(cmd ''"${JOB_TASK}"'')"},
        {"cmd '$TASK'", R"(cmd ''"${JOB_TASK}"'')"},
        // Next to text.
        {"pre{TASK}post", R"(pre"${JOB_TASK}"post)"},
        {R"("pre{TASK}post")", R"("pre${JOB_TASK}post")"},
        {"'pre{TASK}post'", R"('pre'"${JOB_TASK}"'post')"},
        {"a$TASK-b", R"(a"${JOB_TASK}"-b)"},
        {"{ID}{REF}", R"("${JOB_ID}""${JOB_REF}")"},
        // Braced keys in any case, bare keys in upper case only.
        {"{task} {Task_Id} ${task_name}", R"("${JOB_TASK}" "${JOB_TASK_ID}" "${JOB_TASK_NAME}")"},
        {"$task $Task", "$task $Task"},
        // Longest key first; a bare key ends at a non-identifier character.
        {"$TASK_ID $TASK_NAME $TASK", R"("${JOB_TASK_ID}" "${JOB_TASK_NAME}" "${JOB_TASK}")"},
        {"$PROMPT_FILE $PROMPT", R"("${JOB_PROMPT_FILE}" "${JOB_PROMPT}")"},
        {"$TASKS $TASK_IDS $TASK1 $IDX $REF_", "$TASKS $TASK_IDS $TASK1 $IDX $REF_"},
        {"$TASK.txt $ID/x", R"("${JOB_TASK}".txt "${JOB_ID}"/x)"},
        // Every key.
        {"{ID} {PROVIDER} {MODE} {REPO} {REF} {ROLE} {ATTEMPT} {PHASE}",
         R"("${JOB_ID}" "${JOB_PROVIDER}" "${JOB_MODE}" "${JOB_REPO}" "${JOB_REF}" "${JOB_ROLE}" "${JOB_ATTEMPT}" "${JOB_PHASE}")"},
        {"{PROMPT_FILE} {DEPENDENCY_OUTPUTS} {WORKDIR} {RUN_DIR} {INBOX}",
         R"("${JOB_PROMPT_FILE}" "${JOB_DEPENDENCY_OUTPUTS}" "${JOB_WORKDIR}" "${JOB_RUN_DIR}" "${JOB_INBOX}")"},
        // Not placeholders: left verbatim.
        {R"(${JOB_TASK} "$JOB_TASK" $HOME {HOME} ${HOME})",
         R"(${JOB_TASK} "$JOB_TASK" $HOME {HOME} ${HOME})"},
        {"{ TASK } {} {TASK ${TASK:-x} ${#TASK} $ {", "{ TASK } {} {TASK ${TASK:-x} ${#TASK} $ {"},
        {"$$TASK $(date) `id`", "$$TASK $(date) `id`"},
        // Backslash escapes outside single quotes; quote characters that do not count.
        {R"(\{TASK} \$TASK)", R"(\{TASK} \$TASK)"},
        {R"("\"{TASK}\"")", R"("\"${JOB_TASK}\"")"},
        {R"("a\\"{TASK})", R"("a\\""${JOB_TASK}")"},
        {R"('\'{TASK})", R"('\'"${JOB_TASK}")"},
        {R"('it'\''s {TASK}')", R"('it'\''s '"${JOB_TASK}"'')"},
        {R"("it's {TASK}")", R"("it's ${JOB_TASK}")"},
        {R"('say "{TASK}"')", R"('say "'"${JOB_TASK}"'"')"},
        {R"(a\)", R"(a\)"},
        {"", ""},
    };
    for (const auto& [input, expected] : cases) {
        BOOST_TEST_CONTEXT(input) {
            BOOST_TEST(rewrite_placeholders(input) == expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(provider_defaults_have_nothing_to_rewrite) {
    for (auto p : {Provider::codex, Provider::claude, Provider::gemini}) {
        const auto text = default_command(p, "bin");
        BOOST_TEST(rewrite_placeholders(text) == text);
    }
}

BOOST_AUTO_TEST_SUITE_END()
