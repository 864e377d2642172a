// A job's workspace: `<run dir>/workspace`, a git checkout of the job's repo at
// its ref, cloned once per job and reused as it is by every later run of the
// job (agents.md "Workspaces"). Git runs through ChildProcess: every argument
// shell-quoted, a clean environment, one timeout for the whole preparation.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace omx::process {

struct WorkspaceOptions {
    std::string github_base = "https://github.com/"; // what `owner/name` is relative to
    bool skip_clone = false;                           // JOB_SKIP_GIT_CLONE: an empty directory, no git
    std::chrono::milliseconds git_timeout{600000};    // for all git commands of one preparation together
    int depth = 50;                                    // history depth of the clone; <= 0: full history
    std::chrono::milliseconds kill_grace{10000};      // SIGTERM → SIGKILL when git is stopped on timeout
    std::vector<std::string> base_env;                 // "NAME=value": PATH, HOME etc. for git
};

// `owner/name` → `<github_base>owner/name.git` (no second `.git`); URLs
// (`scheme://…`, `user@host:path`) and local paths are returned unchanged.
std::string clone_url(std::string_view repo, std::string_view github_base);

struct WorkspaceResult {
    bool ok = false;
    std::string error;           // what failed and git's own message, when !ok
    std::string commit;          // `git rev-parse HEAD` (empty for skip_clone)
    std::filesystem::path path;  // <run_dir>/workspace
    bool reused = false;         // an existing workspace was kept as it was
};


// Prepares `<run_dir>/workspace` (creating run_dir when missing):
// - an existing checkout (a directory with `.git`) is reused as it is (reused = true);
// - skip_clone: an empty directory (an existing one is kept, reused = true);
// - a branch or tag: `git clone --no-tags --depth N --branch REF -- URL`;
// - a full 40-hex commit id: `git init`, `git fetch --no-tags --depth N origin SHA`
//   (falling back to fetching all branches and tags, full depth, from servers that
//   refuse a commit id), `git checkout --detach SHA`.
// The clone is made in `<run_dir>/workspace.partial` and renamed into place once
// complete, so a failed, timed-out or interrupted clone never leaves a half
// workspace behind (the partial directory is removed, also by the next attempt).
// Never throws for git or file-system failures: they come back as !ok with `error`.
// Cancelling the calling coroutine (terminal cancellation, e.g. a `||` with a
// timer) stops git's process group, removes the partial clone and completes
// with !ok and "git … canceled"; on every timeout the group is stopped the same way.
// The executor must not run the coroutine on several threads at once (one
// thread or a strand); the SIGCHLD reaper is installed on its io_context.
boost::asio::awaitable<WorkspaceResult> async_prepare_workspace(boost::asio::any_io_executor executor,
                                                                const std::filesystem::path& run_dir,
                                                                std::string_view repo, std::string_view ref,
                                                                const WorkspaceOptions& options);

} // namespace omx::process
