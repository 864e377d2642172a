// Workspace preparation: git clone / fetch of a commit id as quoted, timed
// subprocesses with a clean environment; partial clones never stay behind.
#include "process/workspace.hpp"

#include "process/agent_command.hpp"
#include "team/core/git_ref.hpp"

#include "process/bounded_text.hpp"
#include "process/child_process.hpp"
#include "process/run_command.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <exception>
#include <memory>
#include <optional>
#include <system_error>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace boost::asio::experimental::awaitable_operators;

namespace omx::process {
namespace {

using Clock = std::chrono::steady_clock;

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// base_env without what would point git at another repository or inject
// configuration, plus the settings that keep git non-interactive and free of
// the system configuration. HOME (and so ~/.gitconfig, e.g. credential helpers)
// comes from base_env.
std::vector<std::string> git_environment(const std::vector<std::string>& base) {
    static constexpr std::array<std::string_view, 13> dropped{
        "GIT_DIR",          "GIT_WORK_TREE",         "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR",
        "GIT_NAMESPACE",    "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
        "GIT_TERMINAL_PROMPT", "GIT_CONFIG_NOSYSTEM", "GIT_ALLOW_PROTOCOL",
        "LC_ALL"};
    std::vector<std::string> env;
    bool has_askpass = false;
    for (const auto& entry : base) {
        const std::string_view name = std::string_view(entry).substr(0, entry.find('='));
        if (std::find(dropped.begin(), dropped.end(), name) != dropped.end()) continue;
        if (name.starts_with("GIT_CONFIG_KEY_") || name.starts_with("GIT_CONFIG_VALUE_")) continue;
        if (name == "GIT_ASKPASS") has_askpass = true;
        env.push_back(entry);
    }
    env.emplace_back("GIT_TERMINAL_PROMPT=0");
    env.emplace_back("GIT_CONFIG_NOSYSTEM=1");
    // Only real transports: never ext:: (runs commands) or other remote helpers.
    env.emplace_back("GIT_ALLOW_PROTOCOL=file:git:http:https:ssh");
    env.emplace_back("LC_ALL=C"); // git's messages (reported as errors) in one language
    // An empty GIT_ASKPASS also stops git from falling back to core.askPass or a
    // desktop's SSH_ASKPASS: a missing credential fails at once with a clear message.
    if (!has_askpass) env.emplace_back("GIT_ASKPASS=");
    return env;
}

// Lines of git's stderr that are no reason for a failure: progress, hints and
// warnings ("--depth is ignored in local clones", "Could not find remote branch"
// before the fatal line saying the same).
bool is_noise(std::string_view line) {
    return line.starts_with("Cloning into ") || line.starts_with("hint:") || line.starts_with("warning:");
}

// Runs commands of one preparation against one deadline.
class Runner {
public:
    Runner(asio::any_io_executor ex, const WorkspaceOptions& o)
        : ex_(ex), env_(git_environment(o.base_env)), base_env_(o.base_env),
          deadline_(Clock::now() + o.git_timeout), timeout_(o.git_timeout), grace_(o.kill_grace) {}

    asio::awaitable<CommandResult> git(std::string label, std::vector<std::string> args, fs::path cwd) {
        Command command;
        command.label = std::move(label);
        command.argv = std::move(args);
        command.argv.insert(command.argv.begin(), "git");
        command.cwd = std::move(cwd);
        command.is_noise = is_noise;
        co_return co_await async_run_command(ex_, std::move(command), env_, deadline_, timeout_, grace_, true);
    }

    // `rm -rf` as a subprocess: a large partial clone is never deleted on the event loop.
    // Not bound by the git deadline (a timed-out clone must still be cleaned up).
    asio::awaitable<CommandResult> remove_tree(fs::path path) {
        std::error_code ec;
        if (!fs::exists(fs::symlink_status(path, ec))) {
            CommandResult nothing;
            nothing.ok = true;
            co_return nothing;
        }
        Command rm;
        rm.label = "removing " + path.string();
        rm.argv = {"rm", "-rf", "--", path.string()};
        rm.cwd = "/";
        co_return co_await async_run_command(ex_, std::move(rm), base_env_, Clock::now() + std::chrono::minutes(10),
                                       std::chrono::minutes(10), grace_, false);
    }

private:
    asio::any_io_executor ex_;
    std::vector<std::string> env_, base_env_;
    Clock::time_point deadline_;
    std::chrono::milliseconds timeout_, grace_;
};

WorkspaceResult failure(fs::path path, std::string error) {
    WorkspaceResult r;
    r.path = std::move(path);
    r.error = std::move(error);
    return r;
}

// Builds an argument list outside the coroutines: g++ 12 cannot compile a braced
// list of strings as an argument inside a co_await expression ("array used as initializer").
template <class... A>
std::vector<std::string> args_of(const A&... a) {
    return {std::string(a)...};
}

std::vector<std::string> depth_args(int depth) {
    if (depth <= 0) return {};
    return {"--depth", std::to_string(depth)};
}

// Fills `partial` with a checkout of `url` at `ref`; the error when it fails.
asio::awaitable<std::optional<std::string>> clone_into(Runner& run, const fs::path& run_dir, const fs::path& partial,
                                                       const std::string& url, const std::string& ref, int depth) {
    if (!team::is_full_commit_id(ref)) {
        auto args = args_of("-c", "advice.detachedHead=false", "clone", "--no-tags");
        for (auto& a : depth_args(depth)) args.push_back(a);
        for (auto& a : args_of("--branch", ref, "--", url, partial.filename().string())) args.push_back(std::move(a));
        auto r = co_await run.git("git clone", std::move(args), run_dir);
        if (!r.ok) co_return r.error;
        co_return std::nullopt;
    }

    // A commit id: --branch cannot name one. Fetch just that commit.
    const auto sha = lowercase(ref);
    auto r = co_await run.git("git init", args_of("init", "-q", "--", partial.filename().string()), run_dir);
    if (!r.ok) co_return r.error;
    r = co_await run.git("git remote add", args_of("remote", "add", "origin", "--", url), partial);
    if (!r.ok) co_return r.error;
    auto fetch = args_of("fetch", "--no-tags");
    for (auto& a : depth_args(depth)) fetch.push_back(a);
    fetch.push_back("origin");
    fetch.push_back(sha);
    auto fetched = co_await run.git("git fetch", std::move(fetch), partial);
    if (fetched.stopped) co_return fetched.error;
    if (!fetched.ok) {
        // Servers speaking protocol v0 without uploadpack.allowReachableSHA1InWant
        // refuse a commit id: take every branch and tag instead, full depth.
        auto all = co_await run.git("git fetch",
                                    args_of("fetch", "--no-tags", "origin", "+refs/heads/*:refs/remotes/origin/*",
                                            "+refs/tags/*:refs/tags/*"),
                                    partial);
        if (all.stopped) co_return all.error;
        if (!all.ok) co_return fetched.error;
    }
    r = co_await run.git("git checkout", args_of("-c", "advice.detachedHead=false", "checkout", "-q", "--detach", sha),
                         partial);
    if (!r.ok) co_return fetched.ok ? r.error : fetched.error; // "not our ref <sha>" names the commit
    co_return std::nullopt;
}

asio::awaitable<WorkspaceResult> prepare(asio::any_io_executor ex, fs::path run_dir, std::string repo,
                                         std::string ref, WorkspaceOptions options) {
    install_reaper(ex);
    const auto workspace = run_dir / "workspace";
    const auto partial = run_dir / "workspace.partial";
    Runner run(ex, options);
    WorkspaceResult result;
    result.path = workspace;

    std::error_code ec;
    fs::create_directories(run_dir, ec);
    if (ec) co_return failure(workspace, "cannot create the run directory " + run_dir.string() + ": " + ec.message());
    const bool exists = fs::is_directory(workspace, ec);

    if (options.skip_clone) {
        if (!exists) {
            fs::create_directory(workspace, ec);
            if (ec) co_return failure(workspace, "cannot create the workspace " + workspace.string() + ": " + ec.message());
        }
        result.ok = true;
        result.reused = exists;
        co_return result;
    }

    if (exists && fs::exists(workspace / ".git", ec)) {
        // Re-runs keep the earlier attempts' edits: nothing is fetched, reset or cleaned.
        auto head = co_await run.git("git rev-parse", args_of("rev-parse", "HEAD"), workspace);
        result.ok = true;
        result.reused = true;
        if (head.ok && !head.out.empty()) result.commit = head.out.front();
        co_return result;
    }
    if (exists && !fs::is_empty(workspace, ec))
        co_return failure(workspace, "the workspace " + workspace.string() +
                                         " exists but is not a git checkout; remove it to clone again");
    if (!exists && fs::exists(fs::symlink_status(workspace, ec)))
        co_return failure(workspace, "the workspace " + workspace.string() + " exists but is not a directory");

    if (repo.empty() || repo.starts_with('-')) co_return failure(workspace, "invalid repo: " + repo);
    if (ref.empty() || ref.starts_with('-')) co_return failure(workspace, "invalid ref: " + ref);

    // A partial clone of an interrupted earlier attempt.
    if (auto r = co_await run.remove_tree(partial); !r.ok) co_return failure(workspace, r.error);

    auto error = co_await clone_into(run, run_dir, partial, clone_url(repo, options.github_base), ref, options.depth);
    std::string commit;
    if (!error) {
        auto head = co_await run.git("git rev-parse", args_of("rev-parse", "HEAD"), partial);
        if (head.ok && !head.out.empty()) commit = head.out.front();
        else error = head.ok ? "git rev-parse failed: no output" : head.error;
    }
    if (!error) {
        fs::rename(partial, workspace, ec); // replaces an empty workspace directory
        if (ec) error = "cannot move the clone to " + workspace.string() + ": " + ec.message();
    }
    if (error) {
        co_await run.remove_tree(partial); // a retry starts clean
        co_return failure(workspace, *error);
    }
    result.ok = true;
    result.commit = std::move(commit);
    co_return result;
}

// A cancellation (e.g. the job is canceled, or a `||` with a timer) stops git
// and removes the partial clone instead of throwing from the middle of it.
// throw_if_cancelled is a property of the whole coroutine thread: restored on return.
asio::awaitable<WorkspaceResult> prepare_cancellable(asio::any_io_executor ex, fs::path run_dir, std::string repo,
                                                     std::string ref, WorkspaceOptions options) {
    const bool throw_before = co_await asio::this_coro::throw_if_cancelled();
    co_await asio::this_coro::throw_if_cancelled(false);
    auto result = co_await prepare(std::move(ex), std::move(run_dir), std::move(repo), std::move(ref),
                                   std::move(options));
    co_await asio::this_coro::throw_if_cancelled(throw_before);
    co_return result;
}

} // namespace

std::string clone_url(std::string_view repo, std::string_view github_base) {
    const bool owner_name = std::count(repo.begin(), repo.end(), '/') == 1 &&
                            repo.find(':') == std::string_view::npos && !repo.starts_with('/') &&
                            !repo.starts_with('.') && !repo.starts_with('~') && !repo.ends_with('/') &&
                            repo.find('@') == std::string_view::npos;
    if (!owner_name) return std::string(repo);
    std::string url(github_base);
    if (!url.empty() && !url.ends_with('/')) url += '/';
    url += repo;
    if (!repo.ends_with(".git")) url += ".git";
    return url;
}

asio::awaitable<WorkspaceResult> async_prepare_workspace(asio::any_io_executor executor, const fs::path& run_dir,
                                                         std::string_view repo, std::string_view ref,
                                                         const WorkspaceOptions& options) {
    // Not a coroutine itself: the arguments are copied into the coroutine frame
    // now, so callers may pass temporaries even to a co_spawn that starts later.
    return prepare_cancellable(std::move(executor), run_dir, std::string(repo), std::string(ref), options);
}

} // namespace omx::process
