// Starts the real omxd binary for an integration test and learns its port from its log.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omx::test {

class TempDir;

// Output of a run of omxd that is expected to exit by itself.
struct CapturedRun {
    int exit_code;      // WEXITSTATUS, or 128 + signal number if it was killed
    std::string output; // stdout and stderr interleaved
};

// One omxd server, started (and restarted) as
//   OMXD_PATH serve --listen 127.0.0.1:<port> --state-dir <state_dir> <extra_args...>
// with stdout and stderr in <log_dir>/omxd-N.log (N = 1, 2, ... per start, so a
// restart keeps the earlier logs). The destructor SIGKILLs and reaps it.
class OmxdProcess {
  public:
    using Env = std::map<std::string, std::string>;

    // Owns a fresh TempDir: state dir <tmp>/state, logs in <tmp>.
    OmxdProcess();
    // State in state_dir (not created here), logs in log_dir (must exist).
    OmxdProcess(std::filesystem::path state_dir, std::filesystem::path log_dir);
    ~OmxdProcess();
    OmxdProcess(const OmxdProcess&) = delete;
    OmxdProcess& operator=(const OmxdProcess&) = delete;

    // Starts omxd and returns once it logged "listening on http://HOST:PORT"
    // (with `--role worker`, which serves no HTTP: "worker started").
    // Throws std::runtime_error, with the log, if it exits first or does not
    // listen within start_timeout (it is then killed). Throws std::logic_error
    // if this process is still running.
    void start(std::vector<std::string> extra_args = {}, Env extra_env = {});

    // Port for the next start; 0 (the default) lets the kernel pick one.
    // Set it to port() before a restart to keep the same address.
    void set_listen_port(std::uint16_t port) { listen_port_ = port; }
    void set_start_timeout(std::chrono::milliseconds t) { start_timeout_ = t; }

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }
    std::string base_url() const; // "http://127.0.0.1:<port>"
    const std::filesystem::path& state_dir() const { return state_dir_; }
    const std::filesystem::path& log_dir() const { return log_dir_; }
    std::filesystem::path log_path() const; // log of the latest start
    std::string stderr_text() const;        // its contents so far (stdout + stderr)

    // Sends sig to omxd itself (not its process group); no-op once reaped.
    void kill(int sig);
    // Raw wait status (see <sys/wait.h>) once it exited, nullopt on timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    // SIGTERM, wait up to grace, then SIGKILL; returns the raw wait status.
    int stop(std::chrono::milliseconds grace = std::chrono::seconds(15));
    bool running();
    std::optional<int> exit_status() const { return status_; } // raw, once reaped
    std::optional<int> exit_code() const; // only if it exited normally (not by a signal)

    // Runs OMXD_PATH <args...> (no "serve" added) to completion, capturing
    // its output. Kills it and throws std::runtime_error after timeout.
    static CapturedRun run_and_capture(std::vector<std::string> args,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(20),
                                       Env extra_env = {});
    static std::string binary_path();

  private:
    std::vector<std::string> command_line(const std::vector<std::string>& extra_args) const;
    void await_listening();
    void await_log_line(std::string_view line);
    [[noreturn]] void fail_start(const std::string& why);

    std::unique_ptr<TempDir> own_dir_;
    std::filesystem::path state_dir_;
    std::filesystem::path log_dir_;
    std::chrono::milliseconds start_timeout_{std::chrono::seconds(20)};
    std::uint16_t listen_port_ = 0;
    int starts_ = 0;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::optional<int> status_;
};

} // namespace omx::test
