// Which shell command runs an agent task, and the rewriting of legacy placeholders in it.
#pragma once

#include "team/core/types.hpp"

#include <map>
#include <string>
#include <string_view>

namespace omx::process {

// `text` as one shell word: single-quoted, each ' written as '\''.
std::string shell_quote(std::string_view text);

// The provider's default command (agents.md) with `binary` inserted shell-quoted. The job's
// data is referenced only through "$JOB_WORKDIR" and "$JOB_PROMPT".
std::string default_command(team::Provider provider, const std::string& binary);

struct ResolvedCommand {
    std::string text; // the template, placeholders already rewritten
    std::string
        source; // "request" | "JOB_<P>_<R>_CMD" (the variable's name) | "JOB_<R>_CMD" | "default"
};

// The first that is set (non-empty) wins: the request's command for the role (only when
// allow_request_commands), JOB_<P>_<R>_CMD, JOB_<R>_CMD, the provider's default with the
// binary from JOB_<P>_CLI_BIN, else JOB_CLI_BIN, else the provider's name. Templates from the
// request or the environment go through rewrite_placeholders; the default needs none.
ResolvedCommand resolve_command(team::Provider provider, team::Role role,
                                const std::map<team::Role, std::string>& request_commands,
                                bool allow_request_commands,
                                const std::map<std::string, std::string>& server_env);

// Rewrites the {KEY}, ${KEY} and $KEY placeholders of the JOB_* keys (ID PROVIDER MODE REPO REF
// TASK TASK_ID TASK_NAME ROLE ATTEMPT PHASE PROMPT PROMPT_FILE DEPENDENCY_OUTPUTS WORKDIR RUN_DIR
// INBOX) into a reference to the variable JOB_KEY, quoted for where it stands: "${JOB_KEY}"
// outside quotes, ${JOB_KEY} inside double quotes, '"${JOB_KEY}"' inside single quotes. Braced
// keys match in any case, a bare $KEY only in upper case and only when no identifier character
// follows (the longest key wins: $TASK_ID, never $TASK + "_ID"). A backslash-escaped character
// (outside single quotes) is never the start of a placeholder. Everything else is kept verbatim.
std::string rewrite_placeholders(std::string_view template_text);

} // namespace omx::process
