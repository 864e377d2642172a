// The tmux view of a job (operations.md): a session `omx-<first 8 hex of the
// id>` on its own socket (`tmux -L <socket>`), one pane per role tailing that
// role's human-readable log in `<run dir>/tmux/<role>.log`. The panes only
// watch: the engine owns the agents and writes the logs.
#pragma once

#include "runtime/config.hpp"
#include "team/core/role_log.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace omx::actor {

class TmuxView {
public:
    struct Pane {
        std::string role;
        std::string id;            // tmux's pane id: "%3"
        std::filesystem::path log; // relative to the run dir: "tmux/developer.log"
    };
    using Opened = std::variant<std::unique_ptr<TmuxView>, std::string /* why not */>;

    // Starts the session (replacing one of the same name). Fails with a
    // sentence when tmux is missing or does not start.
    static boost::asio::awaitable<Opened> async_open(boost::asio::any_io_executor ex, const Config& config,
                                                     std::string job_id, std::vector<std::string> roles,
                                                     std::filesystem::path run_dir);
    // Kills a session by name (a retained one pushed out by newer ones, say).
    static boost::asio::awaitable<void> async_kill(boost::asio::any_io_executor ex, const Config& config,
                                                   std::string session);

    // The payload of tmux_session_started / _retained / _closed.
    boost::json::object payload() const;
    const std::string& session() const { return session_; }
    // Appends lines to their role's log; lines of roles without a pane are dropped.
    void write(const std::vector<team::RoleLine>& lines);

private:
    TmuxView(std::string session, std::string socket, std::vector<Pane> panes, const std::filesystem::path& run_dir);
    std::string session_, socket_;
    std::vector<Pane> panes_;
    std::map<std::string, std::ofstream> logs_; // by role
};

// The session name of a job: "omx-" + the first 8 hex digits of its id.
std::string tmux_session_name(const std::string& job_id);

} // namespace omx::actor
