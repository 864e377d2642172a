// Syntax checks for git refs and commit ids given by clients (no git involved).
#pragma once

#include <string_view>

namespace omx::team {

// True when `git check-ref-format --branch <name>` would accept the name.
bool is_valid_branch_ref(std::string_view name);

// True for exactly 40 hexadecimal digits (a full SHA-1 commit id).
bool is_full_commit_id(std::string_view id);

// [A-Za-z0-9._-]: the POSIX portable filename characters (task ids, owner/name parts).
bool is_portable_filename_char(char c);

} // namespace omx::team
