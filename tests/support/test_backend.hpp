// Which store the integration suites run omxd on: the file store (the
// default) or Redis (OMX_TEST_BACKEND=redis; ctest registers each suite that
// is not about the files a second time as <name>_redis). On Redis, every
// state directory a test names gets its own database of one redis-server
// that the test process starts when it first needs it, so a restarted omxd
// finds its jobs again and two tests never see each other's.
#pragma once

#include <boost/test/tree/decorator.hpp>
#include <boost/test/tools/assertion_result.hpp>
#include <boost/test/tree/test_unit.hpp>

#include <filesystem>
#include <string>

namespace omx::test {

bool on_redis_backend();

// The Redis URL (with its database) that stands for state_dir on this run.
std::string redis_url_for(const std::filesystem::path& state_dir);

// Precondition of a test case about the file store itself (its journal and
// record files, fsync order, a full disk, several io threads): skipped, with
// that reason, when the suite runs on Redis.
boost::test_tools::assertion_result file_store_only(boost::unit_test::test_unit_id);

} // namespace omx::test
