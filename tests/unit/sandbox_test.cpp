// The bwrap command line of one agent: what it binds, what it covers, in which order.
#include "process/sandbox.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace omx::process;
namespace fs = std::filesystem;

namespace {

SandboxPolicy policy() {
    SandboxPolicy p;
    p.bwrap = "/usr/bin/bwrap";
    p.system_dirs = {"/usr", "/etc"};
    p.system_links = {{"usr/bin", "/bin"}, {"usr/lib", "/lib"}};
    p.read_only = {"/srv/tools"};
    p.writable = {"/srv/cache"};
    p.hidden_files = {"/etc/omx/api-tokens", "/var/secret/tokens"};
    p.hidden_dirs = {"/srv/tools/omx/runs", "/var/lib/omx/state"};
    return p;
}

// Where the option sequence `items` starts in `args`, or npos.
std::size_t find(const std::vector<std::string>& args, std::vector<std::string> items) {
    auto it = std::search(args.begin(), args.end(), items.begin(), items.end());
    return it == args.end() ? std::string::npos : static_cast<std::size_t>(it - args.begin());
}

} // namespace

BOOST_AUTO_TEST_CASE(an_agent_sees_the_system_read_only_and_writes_its_workspace_and_run_directory) {
    auto a = sandbox_arguments(policy(), "/srv/tools/omx/runs/J/workspace", "/srv/tools/omx/runs/J", {"/root"});
    BOOST_TEST(a.front() == "/usr/bin/bwrap");
    BOOST_TEST(a.back() == "--");
    for (std::vector<std::string> expected :
         {std::vector<std::string>{"--unshare-all", "--share-net", "--die-with-parent"},
          {"--ro-bind", "/usr", "/usr"},
          {"--ro-bind", "/etc", "/etc"},
          {"--symlink", "usr/bin", "/bin"},
          {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"},
          {"--tmpfs", "/root"},
          {"--ro-bind", "/srv/tools", "/srv/tools"},
          {"--bind", "/srv/cache", "/srv/cache"},
          {"--bind", "/srv/tools/omx/runs/J", "/srv/tools/omx/runs/J"},
          {"--chdir", "/srv/tools/omx/runs/J/workspace", "--"}})
        BOOST_TEST(find(a, expected) != std::string::npos, expected.front() << " " << expected.back());
    // The workspace lies in the run directory: one bind covers both.
    BOOST_TEST(find(a, {"--bind", "/srv/tools/omx/runs/J/workspace"}) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(secrets_inside_visible_directories_are_covered_before_the_job_is_bound_back) {
    auto a = sandbox_arguments(policy(), "/srv/tools/omx/runs/J/workspace", "/srv/tools/omx/runs/J", {"/root"});
    auto token_file = find(a, {"--ro-bind", "/dev/null", "/etc/omx/api-tokens"});
    auto work_root = find(a, {"--tmpfs", "/srv/tools/omx/runs"});
    auto own_run = find(a, {"--bind", "/srv/tools/omx/runs/J"});
    BOOST_TEST(token_file != std::string::npos);
    BOOST_TEST(work_root != std::string::npos);
    BOOST_TEST(work_root < own_run); // later mounts win: the job's own directory comes back on top
    BOOST_TEST(find(a, {"--ro-bind", "/srv/tools", "/srv/tools"}) < work_root);
    // Not under anything visible: nothing to cover (and nothing bwrap could mount on).
    BOOST_TEST(find(a, {"--ro-bind", "/dev/null", "/var/secret/tokens"}) == std::string::npos);
    BOOST_TEST(find(a, {"--tmpfs", "/var/lib/omx/state"}) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(home_and_tmpdir_get_a_tmpfs_only_when_nothing_visible_holds_them) {
    auto hidden = sandbox_arguments(policy(), "/w/J/workspace", "/w/J", {"/home/omx", "/var/tmp/omx"});
    BOOST_TEST(find(hidden, {"--tmpfs", "/home/omx"}) < find(hidden, {"--ro-bind", "/srv/tools"}));
    BOOST_TEST(find(hidden, {"--tmpfs", "/var/tmp/omx"}) < find(hidden, {"--ro-bind", "/srv/tools"}));
    auto visible = sandbox_arguments(policy(), "/w/J/workspace", "/w/J", {"/srv/cache/home"});
    BOOST_TEST(find(visible, {"--tmpfs", "/srv/cache/home"}) == std::string::npos);
    // /tmp is the sandbox's own already; "/" or a relative path is never mounted over.
    for (auto dir : {"/", "relative/home"})
        BOOST_TEST(find(sandbox_arguments(policy(), "/w/J/workspace", "/w/J", {dir}), {"--tmpfs", dir}) ==
                       std::string::npos,
                   dir);
    auto tmp = sandbox_arguments(policy(), "/w/J/workspace", "/w/J", {"/tmp"});
    BOOST_TEST(std::count(tmp.begin(), tmp.end(), "/tmp") == 1);
}

BOOST_AUTO_TEST_CASE(a_workspace_outside_the_run_directory_is_bound_too) {
    auto a = sandbox_arguments(policy(), "/elsewhere/ws", "/w/J", {});
    BOOST_TEST(find(a, {"--bind", "/elsewhere/ws", "/elsewhere/ws"}) != std::string::npos);
    BOOST_TEST(find(a, {"--chdir", "/elsewhere/ws", "--"}) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(within_compares_whole_path_components) {
    BOOST_TEST(is_within("/srv/tools/x", "/srv/tools"));
    BOOST_TEST(is_within("/srv/tools", "/srv/tools"));
    BOOST_TEST(is_within("/srv/tools/x", "/srv/tools/"));
    BOOST_TEST(!is_within("/srv/toolsbox", "/srv/tools"));
    BOOST_TEST(!is_within("/srv", "/srv/tools"));
    BOOST_TEST(is_within("/anything", "/"));
}
