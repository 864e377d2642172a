#include "team/actor/tmux_view.hpp"

#include "process/agent_command.hpp"
#include "process/run_command.hpp"
#include "runtime/log.hpp"

#include <boost/json/array.hpp>

#include <unistd.h>

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace omx::actor {
namespace {

constexpr std::chrono::seconds tmux_timeout{10};

// tmux gets the server's environment, minus what would make it talk to the
// tmux that omxd itself may run in.
std::vector<std::string> tmux_environment(const Config& config) {
    std::vector<std::string> env;
    for (auto& [name, value] : config.server_env)
        if (name != "TMUX" && name != "TMUX_PANE") env.push_back(name + "=" + value);
    return env;
}

asio::awaitable<process::CommandResult> run_tmux_script(asio::any_io_executor ex, const Config& config,
                                                        std::string label, std::string script) {
    process::Command command;
    command.label = std::move(label);
    command.argv = {"sh", "-c", std::move(script)};
    command.cwd = "/";
    auto deadline = std::chrono::steady_clock::now() + tmux_timeout;
    auto env = tmux_environment(config);
    std::chrono::milliseconds grace = std::chrono::seconds(1);
    // Arguments named, not temporaries inside the co_await (GCC 12, toolchain.md).
    auto result = co_await process::async_run_command(ex, std::move(command), std::move(env), deadline,
                                                      tmux_timeout, grace, false);
    co_return result;
}

// `"$T" -L "$S"`: the script's tmux command on the view's socket.
std::string script_head(const Config& config) {
    return "T=" + process::shell_quote(config.tmux_bin) + "; S=" + process::shell_quote(config.tmux_socket) + "\n";
}

} // namespace

std::string tmux_session_name(const std::string& job_id) {
    std::string hex;
    for (char c : job_id)
        if (c != '-' && hex.size() < 8) hex += c;
    return "omx-" + hex;
}

TmuxView::TmuxView(std::string session, std::string socket, std::vector<Pane> panes, const fs::path& run_dir)
    : session_(std::move(session)), socket_(std::move(socket)), panes_(std::move(panes)) {
    for (auto& p : panes_) logs_[p.role].open(run_dir / p.log, std::ios::app);
}

asio::awaitable<TmuxView::Opened> TmuxView::async_open(asio::any_io_executor ex, const Config& config,
                                                       std::string job_id, std::vector<std::string> roles,
                                                       fs::path run_dir) {
    if (process::find_executable(config.tmux_bin, config.server_env).empty())
        co_return Opened("options.team.tmuxVisualization is on, but tmux was not found ('" + config.tmux_bin +
                         "'): install tmux or turn the option off");
    auto session = tmux_session_name(job_id);
    std::vector<Pane> panes;
    std::error_code ec;
    fs::create_directories(run_dir / "tmux", ec);
    if (ec) co_return Opened("cannot create " + (run_dir / "tmux").string() + ": " + ec.message());
    // One script: the old session of this name goes, then a pane per role,
    // each titled with its role and printing its id.
    auto N = process::shell_quote(session);
    std::string script = "set -e\n" + script_head(config) + "\"$T\" -L \"$S\" kill-session -t " + N +
                         " 2>/dev/null || true\n";
    for (std::size_t i = 0; i < roles.size(); ++i) {
        Pane pane{roles[i], "", fs::path("tmux") / (roles[i] + ".log")};
        auto log = run_dir / pane.log;
        std::ofstream(log, std::ios::app); // exists before tail starts
        auto tail = process::shell_quote("exec tail -n +1 -F " + process::shell_quote(log.string()));
        script += "p=$(\"$T\" -L \"$S\" " +
                  (i == 0 ? "new-session -d -s " + N + " -x 240 -y 60" : "split-window -t " + N) +
                  " -P -F '#{pane_id}' " + tail + ")\n";
        script += "\"$T\" -L \"$S\" select-pane -t \"$p\" -T " + process::shell_quote(roles[i]) + "\n";
        script += "\"$T\" -L \"$S\" select-layout -t " + N + " tiled >/dev/null\n";
        script += "echo \"$p\"\n";
        panes.push_back(std::move(pane));
    }
    script += "\"$T\" -L \"$S\" set-option -t " + N + " pane-border-status top >/dev/null\n";
    std::string label = "tmux";
    auto result = co_await run_tmux_script(ex, config, std::move(label), std::move(script));
    if (!result.ok) co_return Opened("cannot start the tmux view: " + result.error);
    if (result.out.size() != panes.size())
        co_return Opened("cannot start the tmux view: tmux printed " + std::to_string(result.out.size()) +
                         " pane ids for " + std::to_string(panes.size()) + " roles");
    for (std::size_t i = 0; i < panes.size(); ++i) panes[i].id = result.out[i];
    co_return Opened(std::unique_ptr<TmuxView>(new TmuxView(session, config.tmux_socket, std::move(panes), run_dir)));
}

asio::awaitable<void> TmuxView::async_kill(asio::any_io_executor ex, const Config& config, std::string session) {
    auto script = script_head(config) + "\"$T\" -L \"$S\" kill-session -t " + process::shell_quote(session);
    std::string label = "tmux kill-session";
    auto result = co_await run_tmux_script(ex, config, std::move(label), std::move(script));
    if (!result.ok) log::info("tmux session not killed", {{"session", session}, {"error", result.error}});
}

boost::json::object TmuxView::payload() const {
    boost::json::array panes;
    for (auto& p : panes_) panes.push_back({{"role", p.role}, {"paneId", p.id}, {"logPath", p.log.string()}});
    return {{"sessionName", session_},
            {"socket", socket_},
            {"attachCommand", "tmux -L " + socket_ + " attach -t " + session_},
            {"panes", std::move(panes)}};
}

void TmuxView::write(const std::vector<team::RoleLine>& lines) {
    for (auto& line : lines) {
        auto it = logs_.find(line.role);
        if (it == logs_.end()) continue;
        it->second << line.text << '\n';
        it->second.flush();
    }
}

} // namespace omx::actor
