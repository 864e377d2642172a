#include "process/sandbox.hpp"

#include <algorithm>

namespace omx::process {
namespace fs = std::filesystem;

bool is_within(const fs::path& path, const fs::path& dir) {
    auto p = path.begin();
    for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
        if (d->empty() && std::next(d) == dir.end()) break; // a trailing slash
        if (p == path.end() || *p != *d) return false;
    }
    return true;
}

std::vector<std::string> sandbox_arguments(const SandboxPolicy& policy, const fs::path& workspace,
                                           const fs::path& run_dir, const std::vector<fs::path>& private_dirs) {
    std::vector<std::string> a{policy.bwrap.string(), "--unshare-all", "--share-net", "--die-with-parent"};
    auto add = [&a](std::initializer_list<std::string> items) { a.insert(a.end(), items); };
    for (auto& dir : policy.system_dirs) add({"--ro-bind", dir.string(), dir.string()});
    for (auto& [target, link] : policy.system_links) add({"--symlink", target, link.string()});
    add({"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"});

    std::vector<fs::path> visible = policy.system_dirs;
    visible.insert(visible.end(), policy.read_only.begin(), policy.read_only.end());
    visible.insert(visible.end(), policy.writable.begin(), policy.writable.end());
    auto is_visible = [&visible](const fs::path& p) {
        return std::any_of(visible.begin(), visible.end(), [&p](const fs::path& v) { return is_within(p, v); });
    };
    for (auto& dir : private_dirs)
        if (dir.is_absolute() && dir.has_relative_path() && dir != "/tmp" && !is_visible(dir))
            add({"--tmpfs", dir.string()});
    for (auto& dir : policy.read_only) add({"--ro-bind", dir.string(), dir.string()});
    for (auto& dir : policy.writable) add({"--bind", dir.string(), dir.string()});
    for (auto& file : policy.hidden_files)
        if (is_visible(file)) add({"--ro-bind", "/dev/null", file.string()});
    for (auto& dir : policy.hidden_dirs)
        if (is_visible(dir)) add({"--tmpfs", dir.string()});

    add({"--bind", run_dir.string(), run_dir.string()});
    if (!is_within(workspace, run_dir)) add({"--bind", workspace.string(), workspace.string()});
    add({"--chdir", workspace.string(), "--"});
    return a;
}

} // namespace omx::process
