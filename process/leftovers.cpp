// Finding and killing leftover agents by claim token.
#include "process/leftovers.hpp"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

namespace omx::process {
namespace {

constexpr std::string_view token_variable = "OMX_CLAIM_TOKEN=";

// The claim token in a process's environment, or "" (none, gone, or not ours to read).
std::string claim_token_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
    if (!in) return {};
    std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::size_t at = 0; at < env.size();) {
        std::size_t end = env.find('\0', at);
        if (end == std::string::npos) end = env.size();
        std::string_view entry(env.data() + at, end - at);
        if (entry.starts_with(token_variable)) return std::string(entry.substr(token_variable.size()));
        at = end + 1;
    }
    return {};
}

} // namespace

std::vector<pid_t> find_claimed_processes(const std::set<std::string>& tokens) {
    std::vector<pid_t> found;
    if (tokens.empty()) return found;
    std::error_code ec;
    for (auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const auto name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        pid_t pid = static_cast<pid_t>(std::stol(name));
        if (pid == ::getpid()) continue;
        if (tokens.count(claim_token_of(pid))) found.push_back(pid);
    }
    return found;
}

int kill_claimed_processes(const std::set<std::string>& tokens, std::chrono::milliseconds wait) {
    int killed = 0;
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        auto pids = find_claimed_processes(tokens); // again each round: re-checked by token, never by pid alone
        if (pids.empty() || std::chrono::steady_clock::now() > deadline) return killed;
        for (pid_t pid : pids)
            if (::kill(pid, SIGKILL) == 0) ++killed;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

} // namespace omx::process
