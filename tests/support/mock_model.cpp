// The mock model server as a test's child process, and codex's config for it.
#include "tests/support/mock_model.hpp"

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace omx::test {

MockModel::MockModel(const TempDir& dir, const std::string& scenario) : log_(dir / ("mock-" + scenario + ".log")) {
    auto read_text = [](const fs::path& p) {
        std::ifstream in(p);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    };
    auto port_file = dir / ("mock-" + scenario + ".port");
    int log = ::open((dir / ("mock-" + scenario + ".out")).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = spawn_child({"/usr/bin/python3", OMX_MOCK_MODEL_SERVER, "--port", "0", "--port-file",
                                   port_file.string(), "--script", scenario, "--log",
                                   log_.string()},
                                  {}, log);
    ::close(log);
    for (int i = 0; i < 200 && !fs::exists(port_file); ++i) std::this_thread::sleep_for(25ms);
    BOOST_REQUIRE_MESSAGE(fs::exists(port_file), "the mock model server did not start");
    port_ = std::stoi(read_text(port_file));
}

MockModel::~MockModel() { kill_and_reap(pid_); }

void write_codex_config(const fs::path& codex_home, int port) {
    fs::create_directories(codex_home);
    std::ofstream(codex_home / "config.toml") << "model_provider = \"mock\"\n"
                                                 "check_for_update_on_startup = false\n\n"
                                                 "[model_providers.mock]\n"
                                                 "name = \"mock\"\n"
                                                 "base_url = \"http://127.0.0.1:"
                                              << port
                                              << "/v1\"\n"
                                                 "wire_api = \"responses\"\n"
                                                 "env_key = \"OPENAI_API_KEY\"\n"
                                                 "request_max_retries = 0\n"
                                                 "stream_max_retries = 0\n\n"
                                                 "[analytics]\nenabled = false\n\n"
                                                 "[feedback]\nenabled = false\n\n"
                                                 "[otel]\nexporter = \"none\"\ntrace_exporter = \"none\"\n"
                                                 "metrics_exporter = \"none\"\n\n"
                                                 "[features]\nplugins = false\nunbounded_connection_retries = false\n";
}


} // namespace omx::test
