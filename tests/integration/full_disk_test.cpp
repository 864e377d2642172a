// A full disk is an error, not corruption: with the state on a 1 MiB tmpfs
// (in a mount namespace of this test, so the host is untouched), writes that
// cannot be made durable answer 503 naming the cause and change nothing;
// everything acknowledged stays readable; once space returns, writes work
// again, also after a kill -9 and a restart. Needs root (mount); CI runs as root.
#define BOOST_TEST_MODULE full_disk
#include <boost/test/unit_test.hpp>

#include "tests/integration/api_helpers.hpp"
#include "tests/support/temp_dir.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <thread>

using namespace omx::test;
namespace fs = std::filesystem;

namespace {

struct IsRoot {
    boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
        boost::test_tools::assertion_result r(::geteuid() == 0);
        r.message() << "mounting a tmpfs needs root";
        return r;
    }
};

// A 1 MiB tmpfs in a private mount namespace, unmounted at the end.
struct SmallDisk {
    fs::path at;
    explicit SmallDisk(fs::path where) : at(std::move(where)) {
        fs::create_directories(at);
        BOOST_TEST_REQUIRE(::unshare(CLONE_NEWNS) == 0, "unshare: " << std::strerror(errno));
        BOOST_TEST_REQUIRE(::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
        BOOST_TEST_REQUIRE(::mount("tmpfs", at.c_str(), "tmpfs", 0, "size=1m") == 0, std::strerror(errno));
    }
    ~SmallDisk() { ::umount2(at.c_str(), MNT_DETACH); }
};

void write_filler(const fs::path& path, std::size_t bytes) {
    std::ofstream out(path, std::ios::binary);
    std::string block(4096, 'x');
    for (std::size_t n = 0; n < bytes; n += block.size()) out.write(block.data(), block.size());
}

std::vector<std::int64_t> seqs(HttpClient& c, const std::string& id) {
    auto page = c.get("/v1/jobs/" + id + "/events?limit=1000", {{"Accept", "application/json"}}).json();
    std::vector<std::int64_t> out;
    for (auto& e : at(page, "/items").as_array()) out.push_back(e.at("seq").to_number<std::int64_t>());
    return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_full_disk_fails_writes_clearly_and_the_server_recovers_when_space_returns,
                     *boost::unit_test::precondition(IsRoot{})) {
    TempDir dir("omx-full-disk");
    SmallDisk disk(dir / "disk");
    write_filler(disk.at / "filler", 640 * 1024); // removed later: the space that "returns"
    OmxdProcess omxd(disk.at / "state", dir.path());
    omxd.start({"--fsync", "always"});
    HttpClient c(omxd.port());

    std::vector<std::string> acknowledged;
    HttpResponse refused;
    for (int i = 0; i < 2000; ++i) {
        auto r = c.post_json("/v1/jobs", job_body("autopilot"));
        if (r.status != 201) {
            refused = r;
            break;
        }
        acknowledged.push_back(str(r.json(), "/jobId"));
    }
    BOOST_TEST_MESSAGE(acknowledged.size() << " jobs fit");
    BOOST_TEST_REQUIRE(refused.status == 503, refused.body);
    BOOST_TEST(str(refused.json(), "/message").find("No space left on device") != std::string::npos, refused.body);
    BOOST_TEST_REQUIRE(acknowledged.size() > 10u);

    // Mail to a job: refused as well, or stored; never half-stored.
    auto mail = c.post_json("/v1/jobs/" + acknowledged[0] + "/team/mailbox",
                            json::object{{"kind", "notice"}, {"message", std::string(3000, 'm')}});
    BOOST_TEST((mail.status == 201 || mail.status == 503), mail.body);
    bool mail_stored = mail.status == 201;

    // Everything acknowledged is readable while the disk is full.
    for (auto& id : acknowledged) BOOST_TEST(c.get("/v1/jobs/" + id).status == 200, id);
    BOOST_TEST(c.get("/v1/jobs?limit=100").status == 200);

    fs::remove(disk.at / "filler"); // space returns
    auto again = c.post_json("/v1/jobs", job_body("autopilot"));
    BOOST_TEST_REQUIRE(again.status == 201, again.body);
    acknowledged.push_back(str(again.json(), "/jobId"));
    auto later_mail = c.post_json("/v1/jobs/" + acknowledged[1] + "/team/mailbox",
                                  json::object{{"kind", "notice"}, {"message", "space is back"}});
    BOOST_TEST(later_mail.status == 201, later_mail.body);

    // A crash now loses nothing acknowledged, and every log is whole.
    omxd.kill(SIGKILL);
    BOOST_TEST_REQUIRE(omxd.wait_exit(std::chrono::seconds(5)).has_value());
    omxd.set_listen_port(0);
    omxd.start({"--fsync", "always"});
    HttpClient after(omxd.port());
    for (auto& id : acknowledged) {
        auto job = after.get("/v1/jobs/" + id);
        BOOST_TEST_REQUIRE(job.status == 200, id);
        auto s = seqs(after, id);
        for (std::size_t i = 0; i < s.size(); ++i) BOOST_TEST(s[i] == static_cast<std::int64_t>(i + 1));
    }
    auto first = after.get("/v1/jobs/" + acknowledged[0] + "/team/mailbox").json();
    BOOST_TEST(first.as_array().size() == (mail_stored ? 1u : 0u));
    auto second = after.get("/v1/jobs/" + acknowledged[1] + "/team/mailbox").json();
    BOOST_TEST(second.as_array().size() == 1u);
}

// A job that runs while the disk fills up (its record writes fail; appends
// that still find room in the log's last pages succeed) is neither corrupted
// nor stuck: it ends once space returns, with a whole log. (tmpfs keeps room
// in a file's allocated pages, so whether an append fails here is up to the
// kernel; the engine's retry after a failed append is not asserted.)
BOOST_AUTO_TEST_CASE(a_run_goes_on_through_a_full_disk_and_ends_with_a_whole_log,
                     *boost::unit_test::precondition(IsRoot{})) {
    TempDir dir("omx-full-disk-run");
    SmallDisk disk(dir / "disk");
    write_filler(disk.at / "filler", 640 * 1024);
    OmxdProcess omxd(disk.at / "state", dir.path());
    omxd.start({"--role", "all", "--skip-clone", "--fsync", "always", "--work-root", (dir / "runs").string()},
               {{"JOB_CLI_BIN", OMX_SOURCE_DIR "/tests/agents/scripted_agent.py"}});
    HttpClient c(omxd.port());
    auto body = job_body("autopilot");
    body["task"] = R"({"default": {"sleep": 1.5}})";
    auto created = c.post_json("/v1/jobs", body);
    BOOST_TEST_REQUIRE(created.status == 201, created.body);
    auto id = str(created.json(), "/jobId");

    // Fill the disk while the planner runs, with jobs that wait for a person.
    auto waiting = with_options(job_body("autopilot"), json::object{{"requireApproval", true}});
    int filled = 0;
    for (; filled < 2000 && c.post_json("/v1/jobs", waiting).status == 201; ++filled) {}
    BOOST_TEST_MESSAGE(filled << " waiting jobs filled the disk");
    std::this_thread::sleep_for(std::chrono::milliseconds(3000)); // the planner ends meanwhile
    BOOST_TEST(str(c.get("/v1/jobs/" + id).json(), "/status") == "running");
    BOOST_TEST(omxd.stderr_text().find("No space left on device") != std::string::npos);

    fs::remove(disk.at / "filler");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::string status;
    while ((status = str(c.get("/v1/jobs/" + id).json(), "/status")) == "running" &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    BOOST_TEST(status == "succeeded");
    auto s = seqs(c, id);
    for (std::size_t i = 0; i < s.size(); ++i) BOOST_TEST(s[i] == static_cast<std::int64_t>(i + 1));
}
