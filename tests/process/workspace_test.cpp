// Workspace preparation with real git against real local repositories made in
// a temp dir: a branch, a tag, a commit id that is not a tip, a missing ref,
// shell metacharacters in repo and ref, reuse of an edited workspace,
// skip_clone, and a server that never answers (timeout, nothing left running).
#define BOOST_TEST_MODULE workspace
#include "process/workspace.hpp"
#include "process/agent_command.hpp"
#include "team/core/git_ref.hpp"
#include "tests/support/shell.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <unistd.h>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace omx::process;
using omx::team::is_full_commit_id;
using namespace std::chrono_literals;

namespace {

// Runs a setup command of the test itself (blocking is fine here); its stdout, trimmed.
std::string sh(const std::string& command) {
    auto [rc, out] = omx::test::run_shell(command);
    BOOST_REQUIRE_MESSAGE(rc == 0, "setup command failed: " + command);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A temp dir with a source repository:
//   main:    c1 (tag v1, annotated) - c2 - c3
//   feature: c2 - f1
struct Repo {
    fs::path root, src;
    std::string c1, c2, c3, f1;
    std::string git; // git for the setup, independent of the user's configuration

    Repo() {
        static int counter = 0;
        root = fs::temp_directory_path() /
               ("omx-workspace-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(root);
        fs::create_directories(root / "home");
        src = root / "src";
        git = "HOME='" + (root / "home").string() +
              "' GIT_CONFIG_NOSYSTEM=1 git -c user.name=t -c user.email=t@t -c commit.gpgsign=false -C '" +
              src.string() + "' ";
        sh("git init -q -b main '" + src.string() + "'");
        c1 = commit("f", "one");
        sh(git + "tag -a v1 -m v1");
        c2 = commit("f", "two");
        c3 = commit("f", "three");
        sh(git + "checkout -q -b feature " + c2);
        f1 = commit("g", "feature");
        sh(git + "checkout -q main");
    }
    ~Repo() { fs::remove_all(root); }

    std::string commit(const std::string& file, const std::string& text) {
        std::ofstream(src / file) << text << "\n";
        sh(git + "add " + file);
        sh(git + "commit -q -m " + text);
        return sh(git + "rev-parse HEAD");
    }

    WorkspaceOptions options() const {
        WorkspaceOptions o;
        o.base_env = {"PATH=/usr/bin:/bin", "HOME=" + (root / "home").string()};
        o.kill_grace = 500ms;
        return o;
    }

    fs::path run_dir(const std::string& name) const { return root / "runs" / name; }
};

WorkspaceResult prepare(const fs::path& run_dir, std::string_view repo, std::string_view ref,
                        const WorkspaceOptions& options, std::chrono::seconds limit = 60s) {
    asio::io_context io;
    WorkspaceResult result;
    bool done = false;
    asio::co_spawn(io, async_prepare_workspace(io.get_executor(), run_dir, repo, ref, options),
                   [&](std::exception_ptr e, WorkspaceResult r) {
                       done = true;
                       io.stop(); // the SIGCHLD reaper keeps the context busy
                       if (e) std::rethrow_exception(e);
                       result = std::move(r);
                   });
    io.run_for(limit);
    BOOST_REQUIRE_MESSAGE(done, "prepare did not finish");
    return result;
}

std::string in_workspace(const Repo& repo, const fs::path& ws, const std::string& args) {
    return sh("HOME='" + (repo.root / "home").string() + "' GIT_CONFIG_NOSYSTEM=1 git -C '" + ws.string() + "' " +
              args);
}

bool no_partial_left(const fs::path& run_dir) { return !fs::exists(run_dir / "workspace.partial"); }

// A git server that accepts connections (in the kernel's backlog) and never says a word.
struct SilentServer {
    omx::test::LoopbackListener listener;
    std::string port = std::to_string(listener.port);
    std::string url() const { return "http://127.0.0.1:" + port + "/x.git"; }

    // No process still talks to it (git clone, git-remote-http).
    void check_nobody_left() const {
        for (const auto& entry : fs::directory_iterator("/proc")) {
            const auto name = entry.path().filename().string();
            if (name.find_first_not_of("0123456789") != std::string::npos) continue;
            auto cmdline = read_file(entry.path() / "cmdline");
            BOOST_TEST(cmdline.find("127.0.0.1:" + port) == std::string::npos, "still running: pid " << name);
        }
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(clone_url_table) {
    const std::string gh = "https://github.com/";
    BOOST_TEST(clone_url("owner/name", gh) == "https://github.com/owner/name.git");
    BOOST_TEST(clone_url("owner/name.git", gh) == "https://github.com/owner/name.git");
    BOOST_TEST(clone_url("o.w-n_er/na.me", gh) == "https://github.com/o.w-n_er/na.me.git");
    BOOST_TEST(clone_url("owner/name", "http://mirror.local/git") == "http://mirror.local/git/owner/name.git");
    BOOST_TEST(clone_url("https://gitlab.com/a/b.git", gh) == "https://gitlab.com/a/b.git");
    BOOST_TEST(clone_url("https://host/x", gh) == "https://host/x");
    BOOST_TEST(clone_url("ssh://git@host/a/b", gh) == "ssh://git@host/a/b");
    BOOST_TEST(clone_url("git@github.com:owner/name.git", gh) == "git@github.com:owner/name.git");
    BOOST_TEST(clone_url("/srv/repos/a", gh) == "/srv/repos/a");
    BOOST_TEST(clone_url("/srv/a", gh) == "/srv/a");
    BOOST_TEST(clone_url("file:///srv/repos/a", gh) == "file:///srv/repos/a");
    BOOST_TEST(clone_url("./a/b", gh) == "./a/b");
}

BOOST_AUTO_TEST_CASE(quoting_and_commit_ids) {
    BOOST_TEST(shell_quote("plain") == "'plain'");
    BOOST_TEST(shell_quote("it's") == "'it'\\''s'");
    BOOST_TEST(shell_quote("") == "''");
    BOOST_TEST(is_full_commit_id("0123456789abcdef0123456789ABCDEF01234567"));
    BOOST_TEST(!is_full_commit_id("0123456789abcdef0123456789abcdef0123456"));
    BOOST_TEST(!is_full_commit_id("0123456789abcdef0123456789abcdef0123456g"));
    BOOST_TEST(!is_full_commit_id("main"));
}

BOOST_AUTO_TEST_CASE(clones_a_branch) {
    Repo repo;
    auto dir = repo.run_dir("branch");
    auto r = prepare(dir, repo.src.string(), "feature", repo.options());
    BOOST_TEST_REQUIRE(r.ok, r.error);
    BOOST_TEST(r.path == dir / "workspace");
    BOOST_TEST(!r.reused);
    BOOST_TEST(r.commit == repo.f1);
    BOOST_TEST(read_file(r.path / "g") == "feature\n");
    BOOST_TEST(in_workspace(repo, r.path, "rev-parse --abbrev-ref HEAD") == "feature");
    BOOST_TEST(no_partial_left(dir));

    // Through file:// the depth applies: a shallow clone.
    auto opts = repo.options();
    opts.depth = 1;
    auto shallow = prepare(repo.run_dir("shallow"), "file://" + repo.src.string(), "main", opts);
    BOOST_TEST_REQUIRE(shallow.ok, shallow.error);
    BOOST_TEST(shallow.commit == repo.c3);
    BOOST_TEST(in_workspace(repo, shallow.path, "rev-list --count HEAD") == "1");
}

BOOST_AUTO_TEST_CASE(clones_a_tag) {
    Repo repo;
    auto r = prepare(repo.run_dir("tag"), repo.src.string(), "v1", repo.options());
    BOOST_TEST_REQUIRE(r.ok, r.error);
    BOOST_TEST(r.commit == repo.c1);
    BOOST_TEST(read_file(r.path / "f") == "one\n");
}

BOOST_AUTO_TEST_CASE(checks_out_a_commit_id_that_is_not_a_tip_detached) {
    Repo repo;
    for (const auto& url : {repo.src.string(), "file://" + repo.src.string()}) {
        BOOST_TEST_CONTEXT(url) {
            auto dir = repo.run_dir(url.starts_with("file") ? "sha-file-url" : "sha-path");
            auto r = prepare(dir, url, repo.c2, repo.options());
            BOOST_TEST_REQUIRE(r.ok, r.error);
            BOOST_TEST(r.commit == repo.c2);
            BOOST_TEST(read_file(r.path / "f") == "two\n");
            BOOST_TEST(in_workspace(repo, r.path, "rev-parse --abbrev-ref HEAD") == "HEAD"); // detached
            BOOST_TEST(!fs::exists(r.path / "g"));
            BOOST_TEST(no_partial_left(dir));
        }
    }

    // A server that refuses commit ids (protocol v0 without allowReachableSHA1InWant):
    // every branch and tag is fetched instead.
    auto opts = repo.options();
    const auto v0_home = repo.root / "home-v0";
    fs::create_directories(v0_home);
    std::ofstream(v0_home / ".gitconfig") << "[protocol]\n\tversion = 0\n";
    opts.base_env = {"PATH=/usr/bin:/bin", "HOME=" + v0_home.string()};
    auto dir = repo.run_dir("sha-v0");
    auto r = prepare(dir, "file://" + repo.src.string(), repo.c2, opts);
    BOOST_TEST_REQUIRE(r.ok, r.error);
    BOOST_TEST(r.commit == repo.c2);
    BOOST_TEST(read_file(r.path / "f") == "two\n");
    BOOST_TEST(in_workspace(repo, r.path, "rev-parse origin/feature") == repo.f1); // the fallback ran
    BOOST_TEST(no_partial_left(dir));
}

BOOST_AUTO_TEST_CASE(a_missing_ref_fails_with_gits_message_and_leaves_nothing) {
    Repo repo;
    auto dir = repo.run_dir("missing");
    auto r = prepare(dir, repo.src.string(), "nope", repo.options());
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.error == "git clone failed: fatal: Remote branch nope not found in upstream origin");
    BOOST_TEST(!fs::exists(dir / "workspace"));
    BOOST_TEST(no_partial_left(dir));

    const std::string unknown(40, 'a');
    auto sha = prepare(dir, repo.src.string(), unknown, repo.options());
    BOOST_TEST_MESSAGE(r.error << "\n" << sha.error);
    BOOST_TEST(!sha.ok);
    BOOST_TEST(sha.error.starts_with("git fetch failed: "), sha.error);
    BOOST_TEST(sha.error.find(unknown) != std::string::npos, sha.error);
    BOOST_TEST(!fs::exists(dir / "workspace"));
    BOOST_TEST(no_partial_left(dir));

    auto missing_repo = prepare(dir, (repo.root / "no-such-repo").string(), "main", repo.options());
    BOOST_TEST(!missing_repo.ok);
    BOOST_TEST(missing_repo.error.find("no-such-repo") != std::string::npos, missing_repo.error);

    // A retry in the same run directory starts clean.
    auto retry = prepare(dir, repo.src.string(), "main", repo.options());
    BOOST_TEST_REQUIRE(retry.ok, retry.error);
    BOOST_TEST(!retry.reused);
    BOOST_TEST(retry.commit == repo.c3);
}

BOOST_AUTO_TEST_CASE(shell_metacharacters_in_repo_or_ref_run_nothing) {
    Repo repo;
    const std::string src = repo.src.string();
    const std::vector<std::pair<std::string, std::string>> cases{
        {src, "$(touch PWNED)"},
        {src, "`touch PWNED`"},
        {src, "main; touch PWNED"},
        {src, "main && touch PWNED"},
        {src, "x'; touch PWNED; echo '"},
        {src, "main\ntouch PWNED"},
        {src + "; touch PWNED", "main"},
        {src + "$(touch PWNED)", "main"},
        {src + "'; touch PWNED; '", "main"},
        {"ext::sh -c touch% PWNED", "main"}, // a transport that runs commands: refused
    };
    int i = 0;
    for (const auto& [url, ref] : cases) {
        BOOST_TEST_CONTEXT(url << " @ " << ref) {
            auto dir = repo.run_dir("meta" + std::to_string(i++));
            auto r = prepare(dir, url, ref, repo.options());
            BOOST_TEST_MESSAGE(r.error);
            BOOST_TEST(!r.ok);
            BOOST_TEST(!r.error.empty());
            BOOST_TEST(!fs::exists(dir / "PWNED"));
            BOOST_TEST(!fs::exists(dir / "workspace"));
            BOOST_TEST(no_partial_left(dir));
        }
    }
    for (auto it = fs::recursive_directory_iterator(repo.root); it != fs::recursive_directory_iterator(); ++it)
        BOOST_TEST(it->path().filename() != "PWNED", it->path());
    BOOST_TEST(!fs::exists("PWNED"));
    BOOST_TEST(!fs::exists("/PWNED"));
}

// A repo or ref beginning with '-' would be read by git as an option
// (--upload-pack runs a command): refused before git runs at all.
BOOST_AUTO_TEST_CASE(a_repo_or_ref_beginning_with_a_dash_is_never_an_option) {
    Repo repo;
    const std::vector<std::pair<std::string, std::string>> cases{
        {"--upload-pack=touch PWNED", "main"},
        {"-uPWNED", "main"},
        {repo.src.string(), "--upload-pack=touch PWNED"},
        {repo.src.string(), "-b"},
    };
    int i = 0;
    for (const auto& [url, ref] : cases) {
        BOOST_TEST_CONTEXT(url << " @ " << ref) {
            auto dir = repo.run_dir("dash" + std::to_string(i++));
            auto r = prepare(dir, url, ref, repo.options());
            BOOST_TEST(!r.ok);
            BOOST_TEST((r.error.starts_with("invalid repo: ") || r.error.starts_with("invalid ref: ")), r.error);
            BOOST_TEST(!fs::exists(dir / "PWNED"));
            BOOST_TEST(!fs::exists(dir / "workspace"));
        }
    }
    BOOST_TEST(!fs::exists("PWNED"));
}

BOOST_AUTO_TEST_CASE(an_existing_workspace_is_reused_as_it_is) {
    Repo repo;
    auto dir = repo.run_dir("reuse");
    auto first = prepare(dir, repo.src.string(), "main", repo.options());
    BOOST_TEST_REQUIRE(first.ok, first.error);
    std::ofstream(first.path / "notes.txt") << "uncommitted\n";
    std::ofstream(first.path / "f") << "edited\n";

    repo.commit("f", "four"); // upstream moved on: the workspace must not follow
    auto again = prepare(dir, repo.src.string(), "main", repo.options());
    BOOST_TEST_REQUIRE(again.ok, again.error);
    BOOST_TEST(again.reused);
    BOOST_TEST(again.path == first.path);
    BOOST_TEST(again.commit == first.commit);
    BOOST_TEST(read_file(again.path / "notes.txt") == "uncommitted\n");
    BOOST_TEST(read_file(again.path / "f") == "edited\n");
}

BOOST_AUTO_TEST_CASE(skip_clone_is_an_empty_directory) {
    Repo repo;
    auto opts = repo.options();
    opts.skip_clone = true;
    auto dir = repo.run_dir("skip");
    auto r = prepare(dir, "owner/does-not-matter", "main", opts);
    BOOST_TEST_REQUIRE(r.ok, r.error);
    BOOST_TEST(!r.reused);
    BOOST_TEST(r.commit.empty());
    BOOST_TEST(fs::is_directory(r.path));
    BOOST_TEST(fs::is_empty(r.path));

    std::ofstream(r.path / "made-by-an-agent") << "x\n";
    auto again = prepare(dir, "owner/does-not-matter", "main", opts);
    BOOST_TEST_REQUIRE(again.ok, again.error);
    BOOST_TEST(again.reused);
    BOOST_TEST(fs::exists(again.path / "made-by-an-agent"));
}

BOOST_AUTO_TEST_CASE(a_non_empty_directory_that_is_no_checkout_is_not_overwritten) {
    Repo repo;
    auto dir = repo.run_dir("foreign");
    fs::create_directories(dir / "workspace");
    std::ofstream(dir / "workspace" / "keep") << "x\n";
    auto r = prepare(dir, repo.src.string(), "main", repo.options());
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.error.find("not a git checkout") != std::string::npos, r.error);
    BOOST_TEST(fs::exists(dir / "workspace" / "keep"));

    // An empty one is simply cloned into.
    fs::remove(dir / "workspace" / "keep");
    auto ok = prepare(dir, repo.src.string(), "main", repo.options());
    BOOST_TEST_REQUIRE(ok.ok, ok.error);
    BOOST_TEST(ok.commit == repo.c3);
}

BOOST_AUTO_TEST_CASE(a_server_that_never_answers_times_out_and_leaves_no_git_behind) {
    Repo repo;
    SilentServer server;
    auto opts = repo.options();
    opts.git_timeout = 1s;
    auto dir = repo.run_dir("timeout");
    const auto start = std::chrono::steady_clock::now();
    auto r = prepare(dir, server.url(), "main", opts, 30s);
    const auto elapsed = std::chrono::steady_clock::now() - start;

    BOOST_TEST(!r.ok);
    BOOST_TEST(r.error == "git clone timed out after 1s");
    BOOST_TEST(elapsed < 8s);
    BOOST_TEST(!fs::exists(dir / "workspace"));
    BOOST_TEST(no_partial_left(dir));
    server.check_nobody_left();
}

BOOST_AUTO_TEST_CASE(cancellation_stops_git_and_cleans_up) {
    Repo repo;
    SilentServer server;
    auto opts = repo.options();
    opts.git_timeout = 60s;
    auto dir = repo.run_dir("cancel");

    asio::io_context io;
    asio::cancellation_signal cancel;
    asio::steady_timer soon(io, 300ms);
    soon.async_wait([&](boost::system::error_code) { cancel.emit(asio::cancellation_type::terminal); });
    std::optional<WorkspaceResult> result;
    const auto start = std::chrono::steady_clock::now();
    asio::co_spawn(io, async_prepare_workspace(io.get_executor(), dir, server.url(), "main", opts),
                   asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, WorkspaceResult r) {
                       io.stop();
                       if (e) std::rethrow_exception(e); // a cancellation is a result, not an exception
                       result = std::move(r);
                   }));
    io.run_for(30s);
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST(!result->ok);
    BOOST_TEST(result->error == "git clone canceled");
    const auto elapsed = std::chrono::steady_clock::now() - start;
    BOOST_TEST(elapsed < 8s);
    BOOST_TEST(no_partial_left(dir));
    server.check_nobody_left();
}

// A git whose descendant leaves the group (a new session) and keeps the pipes
// open: git itself exits 0, so the preparation succeeds; the pipes are closed
// 2 s after git's exit instead of holding the preparation until the deadline
// (where it was reported as "timed out").
BOOST_AUTO_TEST_CASE(a_descendant_holding_gits_pipes_does_not_hold_the_preparation) {
    Repo repo;
    const auto real_git = sh("command -v git");
    const auto bin = repo.root / "bin";
    const auto pids = repo.root / "escaped.pids";
    fs::create_directories(bin);
    std::ofstream(bin / "git") << "#!/bin/sh\nsetsid sleep 30 &\necho $! >> '" << pids.string() << "'\nexec '"
                               << real_git << "' \"$@\"\n";
    fs::permissions(bin / "git", fs::perms::owner_all);
    auto opts = repo.options();
    opts.base_env = {"PATH=" + bin.string() + ":/usr/bin:/bin", "HOME=" + (repo.root / "home").string()};
    opts.git_timeout = 10s;
    auto dir = repo.run_dir("escaped");
    const auto start = std::chrono::steady_clock::now();
    auto r = prepare(dir, repo.src.string(), "main", opts, 30s);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    std::ifstream in(pids);
    int escaped = 0;
    for (pid_t pid; in >> pid; ++escaped) ::kill(pid, SIGKILL);

    BOOST_TEST(escaped == 2); // git clone, git rev-parse
    BOOST_TEST_REQUIRE(r.ok, r.error);
    BOOST_TEST(r.commit == repo.c3);
    BOOST_TEST(elapsed < 9s);
    BOOST_TEST(no_partial_left(dir));
}
