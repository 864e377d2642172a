// Agent command resolution (request, environment, provider default) and placeholder rewriting.
#include "process/agent_command.hpp"

#include "team/core/enums.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

namespace omx::process {
namespace {

// The JOB_* keys a placeholder may name, longest first so a bare $TASK_ID is never read as $TASK.
// clang-format off
constexpr std::array<std::string_view, 17> placeholder_keys = {
    "DEPENDENCY_OUTPUTS", "PROMPT_FILE", "TASK_NAME", "PROVIDER", "TASK_ID", "ATTEMPT", "WORKDIR",
    "RUN_DIR", "PROMPT", "INBOX", "PHASE", "MODE", "REPO", "TASK", "ROLE", "REF", "ID"};
// clang-format on
constexpr bool longer(std::string_view a, std::string_view b) {
    return a.size() > b.size();
}
static_assert(std::is_sorted(placeholder_keys.begin(), placeholder_keys.end(), longer));

enum class Quote { none, single, double_ };

// A placeholder found in the template: the key it names and how many characters it spans.
struct Placeholder {
    std::string_view key;
    std::size_t length;
};

bool is_identifier_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) ==
                      std::toupper(static_cast<unsigned char>(y));
           });
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// "{key}" starting at `open` (a '{'), the key in any case.
std::optional<Placeholder> braced_at(std::string_view text, std::size_t open) {
    const std::size_t close = text.find('}', open + 1);
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view name = text.substr(open + 1, close - open - 1);
    for (std::string_view key : placeholder_keys)
        if (equal_ignoring_case(name, key)) return Placeholder{key, close - open + 1};
    return std::nullopt;
}

// An upper-case key starting at `start` and not followed by an identifier character.
std::optional<Placeholder> bare_at(std::string_view text, std::size_t start) {
    const std::string_view rest = text.substr(start);
    for (std::string_view key : placeholder_keys) {
        if (!rest.starts_with(key)) continue;
        if (rest.size() > key.size() && is_identifier_char(rest[key.size()])) continue;
        return Placeholder{key, key.size()};
    }
    return std::nullopt;
}

// {KEY}, ${KEY} or $KEY at text[i].
std::optional<Placeholder> placeholder_at(std::string_view text, std::size_t i) {
    if (text[i] == '{') return braced_at(text, i);
    if (text[i] != '$' || i + 1 >= text.size()) return std::nullopt;
    auto found = text[i + 1] == '{' ? braced_at(text, i + 1) : bare_at(text, i + 1);
    if (found) ++found->length; // the '$'
    return found;
}

// A reference to JOB_<key> that expands to exactly one word where it stands.
std::string reference(std::string_view key, Quote quote) {
    const std::string variable = "${JOB_" + std::string(key) + "}";
    switch (quote) {
    case Quote::none:
        return '"' + variable + '"';
    case Quote::double_:
        return variable;
    case Quote::single:
        return "'\"" + variable + "\"'";
    }
    return variable;
}

// The quoting state after the quote character `c` (unchanged when `c` is not one that counts).
Quote next_quote(Quote quote, char c) {
    if (c == '\'' && quote != Quote::double_)
        return quote == Quote::single ? Quote::none : Quote::single;
    if (c == '"' && quote != Quote::single)
        return quote == Quote::double_ ? Quote::none : Quote::double_;
    return quote;
}

// How many characters at text[i] are copied as they are without a look for placeholders: a
// backslash and the character it escapes, or "$$" (the shell's pid), outside single quotes.
std::size_t literal_pair_at(std::string_view text, std::size_t i, Quote quote) {
    if (quote == Quote::single || i + 1 >= text.size()) return 0;
    if (text[i] == '\\' || (text[i] == '$' && text[i + 1] == '$')) return 2;
    return 0;
}

std::string_view default_arguments(team::Provider provider) {
    switch (provider) {
    case team::Provider::codex:
        return R"( exec --json --skip-git-repo-check --sandbox workspace-write --cd "$JOB_WORKDIR" -- "$JOB_PROMPT")";
    case team::Provider::claude:
        return R"( -p "$JOB_PROMPT" --output-format stream-json --verbose --permission-mode acceptEdits)";
    case team::Provider::gemini:
        return R"( -p "$JOB_PROMPT" --output-format stream-json --yolo --skip-trust)";
    }
    return {};
}

// The variable's value, "" when it is not set.
std::string value_of(const std::map<std::string, std::string>& env, const std::string& name) {
    const auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
}

std::string binary_for(team::Provider provider, const std::map<std::string, std::string>& env) {
    const std::string provider_name(team::to_string(provider));
    for (const std::string& name :
         {"JOB_" + upper(provider_name) + "_CLI_BIN", std::string("JOB_CLI_BIN")})
        if (auto value = value_of(env, name); !value.empty()) return value;
    return provider_name;
}

} // namespace

std::string shell_quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

std::string default_command(team::Provider provider, const std::string& binary) {
    return shell_quote(binary) + std::string(default_arguments(provider));
}

ResolvedCommand resolve_command(team::Provider provider, team::Role role,
                                const std::map<team::Role, std::string>& request_commands,
                                bool allow_request_commands,
                                const std::map<std::string, std::string>& server_env) {
    if (allow_request_commands) {
        const auto it = request_commands.find(role);
        if (it != request_commands.end() && !it->second.empty())
            return {rewrite_placeholders(it->second), "request"};
    }
    const std::string role_name = upper(team::to_string(role));
    const std::string provider_name = upper(team::to_string(provider));
    for (const std::string& name :
         {"JOB_" + provider_name + "_" + role_name + "_CMD", "JOB_" + role_name + "_CMD"})
        if (auto value = value_of(server_env, name); !value.empty())
            return {rewrite_placeholders(value), name};
    return {default_command(provider, binary_for(provider, server_env)), "default"};
}

std::string rewrite_placeholders(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 32);
    Quote quote = Quote::none;
    for (std::size_t i = 0; i < text.size();) {
        if (const std::size_t pair = literal_pair_at(text, i, quote)) {
            out.append(text.substr(i, pair));
            i += pair;
        } else if (auto found = placeholder_at(text, i)) {
            out += reference(found->key, quote);
            i += found->length;
        } else {
            quote = next_quote(quote, text[i]);
            out += text[i++];
        }
    }
    return out;
}

} // namespace omx::process
