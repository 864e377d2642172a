// prepare_sandbox(): what the sandbox needs to know about this machine, read
// once at start-up, and a first sandboxed process to prove bwrap works here.
#include "process/sandbox.hpp"

#include "process/run_command.hpp"
#include "runtime/config.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>

extern char** environ;

namespace omx::process {
namespace fs = std::filesystem;
namespace {

fs::path real_directory(const fs::path& dir, std::string_view flag) {
    std::error_code ec;
    auto real = fs::canonical(dir, ec);
    if (ec || !fs::is_directory(real)) throw std::runtime_error(std::string(flag) + ": " + dir.string() + " is not a directory");
    return real;
}

// Runs argv to its end; its stderr (and stdout) when it failed, nullopt when it exited 0.
std::optional<std::string> run_probe(const std::vector<std::string>& args) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return "cannot create a pipe";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    int spawn_error = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    std::string output;
    std::array<char, 4096> buffer;
    for (ssize_t n; (n = ::read(pipe_fds[0], buffer.data(), buffer.size())) > 0;)
        if (output.size() < 4096) output.append(buffer.data(), static_cast<std::size_t>(n));
    ::close(pipe_fds[0]);
    if (spawn_error != 0) return "cannot start " + args[0] + ": " + std::strerror(spawn_error);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return std::nullopt;
    while (!output.empty() && output.back() == '\n') output.pop_back();
    return output.empty() ? "it exited with status " + std::to_string(status) : output;
}

} // namespace

SandboxPolicy prepare_sandbox(const Config& config) {
    SandboxPolicy policy;
    policy.bwrap = find_executable("bwrap", config.server_env);
    if (policy.bwrap.empty())
        throw std::runtime_error("--sandbox bwrap: bwrap is not in PATH (Debian: apt-get install bubblewrap)");
    for (const char* dir : {"/usr", "/etc", "/opt"})
        if (fs::is_directory(dir)) policy.system_dirs.emplace_back(dir);
    for (const char* top : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
        std::error_code ec;
        if (fs::is_symlink(top, ec)) policy.system_links.emplace_back(fs::read_symlink(top).string(), top);
        else if (fs::is_directory(top, ec)) policy.system_dirs.emplace_back(top);
    }
    for (auto& dir : config.sandbox_read_only) policy.read_only.push_back(real_directory(dir, "--sandbox-ro"));
    for (auto& dir : config.sandbox_writable) policy.writable.push_back(real_directory(dir, "--sandbox-rw"));

    // What agents must not see, by its real path: a visible directory may hold it.
    for (auto& file : {config.api_token_file, config.read_token_file})
        if (file) policy.hidden_files.push_back(fs::weakly_canonical(*file));
    fs::create_directories(config.work_root);
    policy.hidden_dirs.push_back(fs::canonical(config.work_root));
    if (config.redis_url.empty()) {
        fs::create_directories(config.state_dir);
        policy.hidden_dirs.push_back(fs::canonical(config.state_dir));
    }

    auto probe_dir = config.work_root / ".sandbox-probe";
    fs::create_directories(probe_dir);
    auto args = sandbox_arguments(policy, probe_dir, probe_dir, {});
    args.insert(args.end(), {"/bin/sh", "-c", "exit 0"});
    auto failure = run_probe(args);
    std::error_code ignored;
    fs::remove(probe_dir, ignored);
    if (failure) throw std::runtime_error("--sandbox bwrap: a sandboxed process cannot start here: " + *failure);
    return policy;
}

} // namespace omx::process
