// Command-line and environment parsing for `omxd serve`.
#include "runtime/config.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <functional>
#include <sstream>
#include <stdexcept>

namespace omx {
namespace {

struct Option {
    std::string flag;    // --listen
    std::string env;     // OMX_LISTEN
    std::string value;   // shown in help: ADDR, or "" for a switch
    std::string help;
    std::function<void(Config&, const std::string&)> set;
};

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument(what); }

long long parse_int(const std::string& flag, const std::string& s, long long lo, long long hi) {
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) bad(flag + ": '" + s + "' is not an integer");
    if (v < lo || v > hi)
        bad(flag + ": " + s + " is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
    return v;
}

double parse_positive(const std::string& flag, const std::string& s) {
    try {
        std::size_t used = 0;
        double v = std::stod(s, &used);
        if (used != s.size() || !(v > 0)) throw std::invalid_argument("");
        return v;
    } catch (const std::exception&) {
        bad(flag + ": '" + s + "' is not a positive number");
    }
}

std::chrono::milliseconds parse_seconds(const std::string& flag, const std::string& s) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(parse_positive(flag, s) * 1000));
}

bool parse_bool(const std::string& flag, const std::string& s) {
    if (s == "1" || s == "true" || s == "yes" || s == "on" || s.empty()) return true;
    if (s == "0" || s == "false" || s == "no" || s == "off") return false;
    bad(flag + ": '" + s + "' is not a boolean");
}

// The non-empty items of a separated list ("a,b" from the environment, or one flag's value).
std::vector<std::string> split_list(const std::string& s, char separator) {
    std::vector<std::string> items;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, separator);)
        if (!item.empty()) items.push_back(item);
    return items;
}

// Paths that agents and reloads use must not depend on the server's cwd.
std::filesystem::path absolute_path(const std::string& s) {
    if (s.empty()) bad("an empty path is not allowed");
    return std::filesystem::absolute(s).lexically_normal();
}

// `scheme://host[:port]`, scheme http or https, nothing after it: what a
// browser sends in Origin, compared as text.
std::optional<std::string> origin_problem(std::string_view origin) {
    std::string_view rest;
    if (origin.starts_with("http://")) rest = origin.substr(7);
    else if (origin.starts_with("https://")) rest = origin.substr(8);
    else return "must start with http:// or https://";
    if (rest.empty()) return "has no host";
    for (char c : rest)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
            return "must be scheme://host[:port] and nothing else (no path, no trailing slash)";
    return std::nullopt;
}

bool is_ip_address(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// HOST must be an IP address (the server binds it as is), checked here so that
// a bad one is a configuration error before anything starts.
void set_listen(Config& c, const std::string& s) {
    auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0) bad("--listen: '" + s + "' is not HOST:PORT");
    c.host = s.substr(0, colon);
    if (c.host.size() > 2 && c.host.front() == '[' && c.host.back() == ']') c.host = c.host.substr(1, c.host.size() - 2);
    if (!is_ip_address(c.host)) bad("--listen: '" + c.host + "' is not an IP address");
    c.port = static_cast<std::uint16_t>(parse_int("--listen", s.substr(colon + 1), 0, 65535));
}

const std::vector<Option>& options() {
    static const std::vector<Option> table{
        {"--listen", "OMX_LISTEN", "HOST:PORT", "address to serve on (default 127.0.0.1:8080; PORT alone sets the port)",
         set_listen},
        {"--state-dir", "OMX_STATE_ROOT", "DIR", "state root of the file store (default ./.omx/state/jobs)",
         [](Config& c, const std::string& s) { c.state_dir = s; }},
        {"--work-root", "WORK_ROOT", "DIR", "run directories and workspaces of jobs (default ./.omx/runs)",
         [](Config& c, const std::string& s) { c.work_root = s; }},
        {"--fsync", "OMX_FSYNC", "always|interval|off", "durability of event appends (default always)",
         [](Config& c, const std::string& s) {
             if (s == "always") c.fsync = FsyncPolicy::always;
             else if (s == "interval") c.fsync = FsyncPolicy::interval;
             else if (s == "off") c.fsync = FsyncPolicy::off;
             else bad("--fsync: '" + s + "' is not one of always, interval, off");
         }},
        {"--threads", "OMX_THREADS", "N", "threads running the io_context (default 1)",
         [](Config& c, const std::string& s) { c.threads = static_cast<int>(parse_int("--threads", s, 1, 64)); }},
        {"--log-format", "OMX_LOG_FORMAT", "text|json", "log line format (default text)",
         [](Config& c, const std::string& s) {
             if (s != "text" && s != "json") bad("--log-format: '" + s + "' is not one of text, json");
             c.log_json = s == "json";
         }},
        {"--log-level", "OMX_LOG_LEVEL", "debug|info|warn|error", "least severe level logged (default info)",
         [](Config& c, const std::string& s) {
             if (s == "debug") c.log_level = LogLevel::debug;
             else if (s == "info") c.log_level = LogLevel::info;
             else if (s == "warn") c.log_level = LogLevel::warn;
             else if (s == "error") c.log_level = LogLevel::error;
             else bad("--log-level: '" + s + "' is not one of debug, info, warn, error");
         }},
        {"--max-body", "OMX_MAX_BODY", "BYTES", "largest request body accepted (default 1048576)",
         [](Config& c, const std::string& s) {
             c.max_body = static_cast<std::size_t>(parse_int("--max-body", s, 1024, 1ll << 30));
         }},
        {"--max-connections", "OMX_MAX_CONNECTIONS", "N", "open connections before new ones get 503 (default 20000)",
         [](Config& c, const std::string& s) {
             c.max_connections = static_cast<int>(parse_int("--max-connections", s, 1, 1'000'000));
         }},
        {"--header-timeout", "OMX_HEADER_TIMEOUT", "SECONDS",
         "time a client has to send a request's headers (default 10)",
         [](Config& c, const std::string& s) { c.header_timeout = parse_seconds("--header-timeout", s); }},
        {"--sse-keepalive", "OMX_SSE_KEEPALIVE", "SECONDS", "keepalive comment interval on idle SSE streams (default 15)",
         [](Config& c, const std::string& s) { c.sse_keepalive = parse_seconds("--sse-keepalive", s); }},
        {"--sse-buffer", "OMX_SSE_BUFFER", "BYTES", "bytes queued for one SSE client before it is cut off (default 4194304)",
         [](Config& c, const std::string& s) {
             c.sse_buffer = static_cast<std::size_t>(parse_int("--sse-buffer", s, 1024, 1ll << 32));
         }},
        {"--time-scale", "OMX_TIME_SCALE", "F", "multiply every duration the server uses (default 1)",
         [](Config& c, const std::string& s) { c.time_scale = parse_positive("--time-scale", s); }},
        {"--role", "OMX_ROLE", "api|worker|all",
         "all: serve the API and run jobs (default); api: serve the API only; worker: run jobs only (needs --redis)",
         [](Config& c, const std::string& s) {
             if (s != "api" && s != "all" && s != "worker") bad("--role: '" + s + "' is not one of api, worker, all");
             c.serve_api = s != "worker";
             c.run_jobs = s != "api";
         }},
        {"--redis", "REDIS_URL", "URL",
         "keep jobs in Redis (redis://[user:password@]host[:port][/db]) instead of the state directory",
         [](Config& c, const std::string& s) { c.redis_url = s; }},
        {"--job-lease", "OMX_JOB_LEASE", "SECONDS",
         "Redis backend: how long a worker's hold on a job lasts unless renewed (default 15)",
         [](Config& c, const std::string& s) { c.job_lease = parse_seconds("--job-lease", s); }},
        {"--max-agents", "OMX_MAX_AGENTS", "N", "agent processes running at once on this server (default 8; 0: a Redis worker that only applies actions)",
         [](Config& c, const std::string& s) { c.max_agents = static_cast<int>(parse_int("--max-agents", s, 0, 4096)); }},
        {"--idle-timeout", "OMX_IDLE_TIMEOUT", "SECONDS", "an agent silent on stdout and stderr this long hangs (default 600)",
         [](Config& c, const std::string& s) { c.idle_timeout = parse_seconds("--idle-timeout", s); }},
        {"--kill-grace", "OMX_KILL_GRACE", "SECONDS", "time between SIGTERM and SIGKILL when agents stop (default 10)",
         [](Config& c, const std::string& s) { c.kill_grace = parse_seconds("--kill-grace", s); }},
        {"--backoff-base", "OMX_BACKOFF_BASE", "SECONDS", "first retry delay, doubled per failure, jittered (default 1)",
         [](Config& c, const std::string& s) { c.backoff_base = parse_seconds("--backoff-base", s); }},
        {"--backoff-cap", "OMX_BACKOFF_CAP", "SECONDS", "longest retry delay (default 60)",
         [](Config& c, const std::string& s) { c.backoff_cap = parse_seconds("--backoff-cap", s); }},
        {"--agent-env", "OMX_AGENT_ENV", "NAME", "pass this server variable to agents (repeatable; env: comma list)",
         [](Config& c, const std::string& s) {
             for (auto& name : split_list(s, ',')) c.agent_env.push_back(name);
         }},
        {"--skip-clone", "JOB_SKIP_GIT_CLONE", "", "give jobs an empty workspace instead of a clone",
         [](Config& c, const std::string& s) { c.skip_clone = parse_bool("--skip-clone", s); }},
        {"--github-base", "OMX_GITHUB_BASE", "URL", "base URL of owner/name repos (default https://github.com/)",
         [](Config& c, const std::string& s) { c.github_base = s; }},
        {"--api-token-file", "OMX_API_TOKEN_FILE", "PATH",
         "tokens with full access, one per line; every endpoint but /v1/healthz then needs one (SIGHUP reloads)",
         [](Config& c, const std::string& s) { c.api_token_file = absolute_path(s); }},
        {"--read-token-file", "OMX_READ_TOKEN_FILE", "PATH", "tokens that may only read (GET and event streams), one per line",
         [](Config& c, const std::string& s) { c.read_token_file = absolute_path(s); }},
        {"--cors-origin", "OMX_CORS_ORIGINS", "ORIGIN",
         "a browser origin (scheme://host[:port]) allowed to call the API (repeatable; env: comma list)",
         [](Config& c, const std::string& s) {
             for (auto& origin : split_list(s, ',')) {
                 if (auto problem = origin_problem(origin)) bad("--cors-origin '" + origin + "' " + *problem);
                 c.cors_origins.push_back(origin);
             }
         }},
        {"--sandbox", "OMX_SANDBOX", "none|bwrap",
         "bwrap: run each agent under bubblewrap, confined to its workspace and run directory (default none)",
         [](Config& c, const std::string& s) {
             if (s != "none" && s != "bwrap") bad("--sandbox: '" + s + "' is not one of none, bwrap");
             c.sandbox = s == "bwrap" ? Sandbox::bwrap : Sandbox::none;
         }},
        {"--sandbox-ro", "OMX_SANDBOX_RO", "DIR",
         "with --sandbox bwrap: also let agents read DIR, e.g. where agent CLIs are installed (repeatable; env: colon list)",
         [](Config& c, const std::string& s) {
             for (auto& dir : split_list(s, ':')) c.sandbox_read_only.push_back(absolute_path(dir));
         }},
        {"--sandbox-rw", "OMX_SANDBOX_RW", "DIR",
         "with --sandbox bwrap: also let agents write DIR, e.g. a shared cache (repeatable; env: colon list)",
         [](Config& c, const std::string& s) {
             for (auto& dir : split_list(s, ':')) c.sandbox_writable.push_back(absolute_path(dir));
         }},
        {"--allow-request-commands", "OMX_ALLOW_REQUEST_COMMANDS", "", "accept options.agentCommands in requests",
         [](Config& c, const std::string& s) { c.allow_request_commands = parse_bool("--allow-request-commands", s); }},
        {"--allow-local-repos", "OMX_ALLOW_LOCAL_REPOS", "", "accept file:// URLs and local paths as repo",
         [](Config& c, const std::string& s) { c.allow_local_repos = parse_bool("--allow-local-repos", s); }},
        {"--tmux", "OMX_TMUX", "PATH", "tmux binary of the tmux view (default tmux, from PATH)",
         [](Config& c, const std::string& s) { c.tmux_bin = s; }},
        {"--tmux-socket", "OMX_TMUX_SOCKET", "NAME", "tmux socket name of the tmux view: tmux -L NAME (default omx)",
         [](Config& c, const std::string& s) { c.tmux_socket = s; }},
        {"--swagger-ui-dir", "OMX_SWAGGER_UI_DIR", "DIR", "swagger-ui-dist files served at /docs (default: .tools/ of the sources)",
         [](Config& c, const std::string& s) { c.swagger_ui_dir = s; }},
        {"", "TMUX_KEEP_SESSION_ON_FINISH", "", "default of options.keepTmuxSession (default true)",
         [](Config& c, const std::string& s) { c.keep_tmux_default = parse_bool("TMUX_KEEP_SESSION_ON_FINISH", s); }},
        {"", "TEAM_TMUX_VISUALIZATION", "", "default of options.team.tmuxVisualization (default false)",
         [](Config& c, const std::string& s) {
             c.tmux_visualization_default = parse_bool("TEAM_TMUX_VISUALIZATION", s);
         }},
    };
    return table;
}

const Option* find_flag(const std::string& flag) {
    for (auto& o : options())
        if (!o.flag.empty() && o.flag == flag) return &o;
    return nullptr;
}

} // namespace

std::string_view to_string(FsyncPolicy p) {
    switch (p) {
    case FsyncPolicy::always: return "always";
    case FsyncPolicy::interval: return "interval";
    case FsyncPolicy::off: return "off";
    }
    return "?";
}

std::filesystem::path default_swagger_ui_dir() {
    return std::filesystem::path(OMX_SOURCE_DIR) / ".tools/node_modules/swagger-ui-dist";
}

std::string help_text() {
    std::ostringstream out;
    out << "usage: omxd serve [options]\n"
           "       omxd routes          print the HTTP route table\n\n"
           "Runs the omx server: the job API, live event streams and the file store.\n"
           "Every option can also be set by the environment variable shown; flags win.\n\n"
           "options:\n";
    for (auto& o : options()) {
        std::string left = o.flag.empty() ? "" : o.flag + (o.value.empty() ? "" : " " + o.value);
        out << "  " << left;
        if (left.size() < 34) out << std::string(34 - left.size(), ' ');
        else out << "\n  " << std::string(34, ' ');
        out << o.help << "  [" << o.env << "]\n";
    }
    out << "  --help                            show this help\n";
    return out.str();
}

ConfigOutcome parse_config(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
    ConfigOutcome outcome;
    for (auto& a : args)
        if (a == "--help" || a == "-h") {
            outcome.help = true;
            return outcome;
        }
    try {
        if (args.empty()) bad("missing command: use `omxd serve` (see omxd --help)");
        if (args[0] == "routes" && args.size() == 1) {
            outcome.routes = true;
            return outcome;
        }
        if (args[0] != "serve") bad("unknown command '" + args[0] + "': use `omxd serve` (see omxd --help)");
        Config config;
        config.server_env = env;
        if (auto it = env.find("PORT"); it != env.end() && !it->second.empty())
            config.port = static_cast<std::uint16_t>(parse_int("PORT", it->second, 0, 65535));
        for (auto& o : options())
            if (auto it = env.find(o.env); it != env.end() && !it->second.empty()) {
                try {
                    o.set(config, it->second);
                } catch (const std::invalid_argument& e) {
                    bad("environment " + o.env + ": " + e.what()); // say where the bad value came from
                }
            }
        for (std::size_t i = 1; i < args.size(); ++i) {
            std::string flag = args[i], value;
            if (auto eq = flag.find('='); eq != std::string::npos) {
                value = flag.substr(eq + 1);
                flag = flag.substr(0, eq);
            }
            const Option* o = find_flag(flag);
            if (!o) bad("unknown option '" + flag + "' (see omxd --help)");
            if (!o->value.empty() && value.empty()) {
                if (i + 1 >= args.size()) bad(flag + " needs a value: " + o->value);
                value = args[++i];
            }
            o->set(config, value);
        }
        if (!config.serve_api && config.redis_url.empty())
            bad("--role worker needs a shared store: give --redis URL (or REDIS_URL)");
        if (config.max_agents == 0 && config.redis_url.empty())
            bad("--max-agents 0 (a worker that runs no agents, only applies actions) needs --redis URL");
        // Agents run in their workspace: every path they are given must not depend on the cwd.
        config.work_root = absolute_path(config.work_root.string());
        outcome.config = std::move(config);
    } catch (const std::invalid_argument& e) {
        outcome.error = e.what();
    }
    return outcome;
}

} // namespace omx
