// The mock Responses API server (tests/support/mock_model_server.py) as a
// child process of a test, and a codex home that uses it as its only model
// provider (docs/CODEX_MOCK.md).
#pragma once

#include <filesystem>
#include <string>

namespace omx::test {

class TempDir;

class MockModel {
public:
    // Starts the mock with one scenario (hi, tool, error500); its request log is
    // <dir>/mock-<scenario>.log, one JSON object per request.
    MockModel(const TempDir& dir, const std::string& scenario);
    ~MockModel();
    MockModel(const MockModel&) = delete;
    MockModel& operator=(const MockModel&) = delete;
    int port() const { return port_; }
    std::filesystem::path request_log() const { return log_; }

private:
    pid_t pid_ = -1;
    int port_ = 0;
    std::filesystem::path log_;
};

// codex's own home: the mock as its only model provider, no retries, and
// nothing that phones home (analytics, plugins, update checks, telemetry).
void write_codex_config(const std::filesystem::path& codex_home, int port);

} // namespace omx::test
