// `--sandbox bwrap` (operations.md, Security): each agent runs under
// bubblewrap, confined to its workspace and run directory (writable), the
// system directories (read-only), its own /tmp, HOME and TMPDIR, and the network.
// The server's secrets — token files, the state directory, the other jobs'
// run directories — are covered over wherever a visible directory holds them.
//
// sandbox_arguments() is pure (tested in tests/unit/sandbox_test.cpp);
// prepare_sandbox() looks at the machine once, at start-up.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace omx {
struct Config;
}

namespace omx::process {

struct SandboxPolicy {
    std::filesystem::path bwrap; // absolute path of the bwrap binary
    // /usr, /etc, /opt as read-only binds; /bin, /lib… as the symlinks they
    // are on a merged-/usr system, or read-only binds where they are directories.
    std::vector<std::filesystem::path> system_dirs;
    std::vector<std::pair<std::string, std::filesystem::path>> system_links; // {target, link}
    std::vector<std::filesystem::path> read_only, writable; // --sandbox-ro, --sandbox-rw
    // Inside a visible directory but not for agents: files become empty, directories empty tmpfs.
    std::vector<std::filesystem::path> hidden_files, hidden_dirs;
};

// The bwrap command line up to and including "--": what follows is the agent's
// own `/bin/sh -c …`. Each of `private_dirs` (the agent's HOME and TMPDIR)
// that no visible directory holds becomes an empty tmpfs of its own.
std::vector<std::string> sandbox_arguments(const SandboxPolicy& policy, const std::filesystem::path& workspace,
                                           const std::filesystem::path& run_dir,
                                           const std::vector<std::filesystem::path>& private_dirs);

// Whether `path` is `dir` or inside it (both lexically normal and absolute).
bool is_within(const std::filesystem::path& path, const std::filesystem::path& dir);

// Finds bwrap (PATH), reads the system directories, creates the work root and
// the state directory so they can be covered, and starts one sandboxed
// `/bin/true` to prove it works here; throws std::runtime_error with the reason.
SandboxPolicy prepare_sandbox(const Config& config);

} // namespace omx::process
