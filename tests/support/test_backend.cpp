#include "tests/support/test_backend.hpp"
#include "tests/support/redis_server.hpp"

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>

namespace omx::test {
namespace {

constexpr int databases = 1024;

struct SharedRedis {
    std::mutex mutex;
    std::unique_ptr<RedisServer> server;
    std::map<std::filesystem::path, int> database_of;
};

SharedRedis& shared_redis() {
    static SharedRedis shared; // lives until the test process exits, then SIGKILLs redis-server
    return shared;
}

} // namespace

bool on_redis_backend() {
    const char* backend = std::getenv("OMX_TEST_BACKEND");
    if (backend == nullptr || std::string_view(backend) == "file") return false;
    if (std::string_view(backend) == "redis") return true;
    throw std::runtime_error("OMX_TEST_BACKEND must be \"file\" or \"redis\", not \"" + std::string(backend) + "\"");
}

std::string redis_url_for(const std::filesystem::path& state_dir) {
    auto& shared = shared_redis();
    std::lock_guard lock(shared.mutex);
    if (!shared.server) shared.server = std::make_unique<RedisServer>(databases);
    auto [at, added] = shared.database_of.try_emplace(state_dir, static_cast<int>(shared.database_of.size()));
    if (at->second >= databases)
        throw std::runtime_error("more than " + std::to_string(databases) + " state directories in one test run");
    return shared.server->url() + "/" + std::to_string(at->second);
}

boost::test_tools::assertion_result file_store_only(boost::unit_test::test_unit_id) {
    if (!on_redis_backend()) return true;
    boost::test_tools::assertion_result skip(false);
    skip.message() << "about the file store; this run is on Redis";
    return skip;
}

} // namespace omx::test
