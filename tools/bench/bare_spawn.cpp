// bare-spawn: the baseline of the team scenario (performance.md). Starts the
// same agent command omxd starts for a codex task (`sh -c '"AGENT" exec --json
// … "$JOB_PROMPT"'` with the JOB_* environment), reads its stdout and stderr
// to the end and reaps it, N times with up to P at once; reports processes/s.
// Usage: bare-spawn --agent PATH [-n N] [-p P] [--prompt-bytes B]
// Prints a summary and one JSON line; exit 0 when every agent exited 0.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Child {
    pid_t pid = -1;
    int out = -1, err = -1;
};

int usage() {
    std::cerr << "usage: bare-spawn --agent PATH [-n N] [-p P] [--prompt-bytes B]\n";
    return 64;
}

} // namespace

int main(int argc, char** argv) {
    std::string agent;
    int total = 200, parallel = 16;
    std::size_t prompt_bytes = 2000;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--agent" && i + 1 < argc) agent = argv[++i];
        else if ((a == "-n" || a == "--count") && i + 1 < argc) total = std::atoi(argv[++i]);
        else if ((a == "-p" || a == "--parallel") && i + 1 < argc) parallel = std::atoi(argv[++i]);
        else if (a == "--prompt-bytes" && i + 1 < argc) prompt_bytes = static_cast<std::size_t>(std::atol(argv[++i]));
        else return usage();
    }
    if (agent.empty() || total < 1 || parallel < 1) return usage();

    // The command and environment shape of omxd's codex agents (agent_command.cpp, agent_env.cpp).
    std::string command = "\"" + agent +
                          "\" exec --json --skip-git-repo-check --sandbox workspace-write --cd \"$JOB_WORKDIR\" -- "
                          "\"$JOB_PROMPT\"";
    char tmpl[] = "/tmp/bare-spawn-XXXXXX";
    const char* dir = ::mkdtemp(tmpl);
    if (!dir) {
        std::perror("mkdtemp");
        return 1;
    }
    std::string d = dir;
    std::vector<std::string> env_s{
        std::string("PATH=") + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin"),
        std::string("HOME=") + (std::getenv("HOME") ? std::getenv("HOME") : "/tmp"),
        "JOB_ID=00000000-0000-4000-8000-000000000000", "JOB_PROVIDER=codex", "JOB_MODE=team",
        "JOB_REPO=acme/widget", "JOB_REF=main", "JOB_TASK=bench team", "JOB_TASK_ID=team-developer",
        "JOB_TASK_NAME=Implement", "JOB_ROLE=developer", "JOB_ATTEMPT=1", "JOB_PHASE=team-exec",
        "JOB_PROMPT=" + std::string(prompt_bytes, 'p'), "JOB_PROMPT_FILE=" + d + "/prompt.md",
        "JOB_DEPENDENCY_OUTPUTS=" + d + "/deps.json", "JOB_WORKDIR=" + d, "JOB_RUN_DIR=" + d,
        "JOB_INBOX=" + d + "/inbox.jsonl", "OMX_CLAIM_TOKEN=bench-bare-spawn"};
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string sh = "sh", dash_c = "-c";
    char* child_argv[] = {sh.data(), dash_c.data(), command.data(), nullptr};

    std::vector<Child> running;
    int started = 0, finished = 0, failures = 0;
    char buf[65536];
    auto t0 = std::chrono::steady_clock::now();
    while (finished < total) {
        while (started < total && static_cast<int>(running.size()) < parallel) {
            int out[2], err[2];
            if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
                std::perror("pipe2");
                return 1;
            }
            posix_spawn_file_actions_t fa;
            posix_spawn_file_actions_init(&fa);
            posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
            posix_spawn_file_actions_adddup2(&fa, out[1], 1);
            posix_spawn_file_actions_adddup2(&fa, err[1], 2);
            posix_spawn_file_actions_addchdir_np(&fa, dir);
            posix_spawnattr_t attr;
            posix_spawnattr_init(&attr);
            posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
            posix_spawnattr_setpgroup(&attr, 0);
            pid_t pid = -1;
            int rc = ::posix_spawn(&pid, "/bin/sh", &fa, &attr, child_argv, envp.data());
            posix_spawn_file_actions_destroy(&fa);
            posix_spawnattr_destroy(&attr);
            ::close(out[1]);
            ::close(err[1]);
            if (rc != 0) {
                std::cerr << "posix_spawn: " << std::strerror(rc) << "\n";
                return 1;
            }
            running.push_back({pid, out[0], err[0]});
            ++started;
        }
        std::vector<pollfd> fds;
        for (auto& c : running) {
            if (c.out >= 0) fds.push_back({c.out, POLLIN, 0});
            if (c.err >= 0) fds.push_back({c.err, POLLIN, 0});
        }
        if (::poll(fds.data(), fds.size(), 10000) < 0) {
            std::perror("poll");
            return 1;
        }
        for (auto& f : fds) {
            if (!f.revents) continue;
            ssize_t n = ::read(f.fd, buf, sizeof buf);
            if (n > 0) continue;
            for (auto& c : running) {
                if (c.out == f.fd) c.out = -1;
                if (c.err == f.fd) c.err = -1;
            }
            ::close(f.fd);
        }
        for (auto it = running.begin(); it != running.end();) {
            if (it->out < 0 && it->err < 0) {
                int status = 0;
                ::waitpid(it->pid, &status, 0);
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
                ++finished;
                it = running.erase(it);
            } else {
                ++it;
            }
        }
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ::rmdir(dir);
    double rate = total / seconds;
    std::printf("== bare-spawn\n  %d agents (%s), up to %d at once: %.3f s, %.1f processes/s, %d failed\n", total,
                agent.c_str(), parallel, seconds, rate, failures);
    std::printf("{\"scenario\":\"bare-spawn\",\"processes\":%d,\"parallel\":%d,\"seconds\":%.3f,"
                "\"processesPerSec\":%.1f,\"errors\":%d}\n",
                total, parallel, seconds, rate, failures);
    return failures == 0 ? 0 : 1;
}
