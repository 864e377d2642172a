// Server configuration: one struct of settings with defaults, parsed from the
// command line and the environment (flags win). See `omxd --help`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace omx {
namespace process {
struct SandboxPolicy;
}

enum class FsyncPolicy { always, interval, off };
enum class LogLevel { debug, info, warn, error };
enum class Sandbox { none, bwrap };

// swagger-ui-dist as tools/install-web-tools.sh installs it next to the sources.
std::filesystem::path default_swagger_ui_dir();

struct Config {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::filesystem::path state_dir = "./.omx/state/jobs";
    std::filesystem::path work_root = "./.omx/runs";
    FsyncPolicy fsync = FsyncPolicy::always;
    int threads = 1;
    bool log_json = false;
    LogLevel log_level = LogLevel::info;
    std::size_t max_body = 1024 * 1024;
    std::size_t max_header = 16 * 1024;
    int max_connections = 20000;
    double time_scale = 1.0;
    // Base durations; the server uses them multiplied by time_scale (scaled()).
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds sse_keepalive{15'000};
    std::chrono::milliseconds shutdown_grace{5'000};
    std::size_t sse_buffer = 4 * 1024 * 1024; // bytes queued for one SSE client before it is cut off
    // The team engine.
    bool serve_api = true; // --role all or api
    bool run_jobs = true;  // --role all or worker; --role api serves the API and runs no jobs
    std::string redis_url; // --redis / REDIS_URL: the Redis backend instead of the state directory
    std::chrono::milliseconds job_lease{15'000}; // Redis backend: a job's lease, renewed every third of it
    int max_agents = 8;                                // agent processes at once on this server
    std::chrono::milliseconds idle_timeout{600'000};   // no output for this long: a hang
    std::chrono::milliseconds kill_grace{10'000};      // SIGTERM, then SIGKILL after this
    std::chrono::milliseconds backoff_base{1'000};     // retry backoff: base * 2^(failures-1), jittered,
    std::chrono::milliseconds backoff_cap{60'000};     // and at most this
    std::chrono::milliseconds heartbeat{10'000};       // lease renewal of running tasks
    std::vector<std::string> agent_env;                // --agent-env: server variables passed to agents
    bool skip_clone = false;                           // JOB_SKIP_GIT_CLONE: empty workspaces
    std::string github_base = "https://github.com/";   // what `owner/name` repos are relative to
    std::map<std::string, std::string> server_env;     // the server's environment (set by main)
    // Security (operations.md): API tokens, allowed browser origins, the agent sandbox.
    std::optional<std::filesystem::path> api_token_file;  // full access
    std::optional<std::filesystem::path> read_token_file; // GET and SSE only
    std::vector<std::string> cors_origins;                // scheme://host[:port]
    Sandbox sandbox = Sandbox::none;
    std::vector<std::filesystem::path> sandbox_read_only; // --sandbox-ro: more directories agents may read
    std::vector<std::filesystem::path> sandbox_writable;  // --sandbox-rw: more directories agents may write
    std::shared_ptr<const process::SandboxPolicy> sandbox_policy; // set at start-up with --sandbox bwrap
    bool allow_request_commands = false;
    bool allow_local_repos = false;
    bool keep_tmux_default = true;          // TMUX_KEEP_SESSION_ON_FINISH
    bool tmux_visualization_default = false; // TEAM_TMUX_VISUALIZATION
    std::string tmux_bin = "tmux";          // the tmux view's binary (looked up in PATH)
    std::string tmux_socket = "omx";        // tmux -L <socket>
    std::filesystem::path swagger_ui_dir = default_swagger_ui_dir(); // served at /docs

    std::chrono::milliseconds scaled(std::chrono::milliseconds d) const {
        return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(d.count()) * time_scale));
    }
};

struct ConfigOutcome {
    std::optional<Config> config; // set when the server should start
    bool help = false;            // print help_text() and exit 0
    bool routes = false;          // `omxd routes`: print the route table and exit 0
    std::string error;            // one line; exit 2
};

// argv[1] is the subcommand ("serve"); `--help` anywhere prints the help.
ConfigOutcome parse_config(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env);
std::string help_text();
std::string_view to_string(FsyncPolicy);

} // namespace omx
