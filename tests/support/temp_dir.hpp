// RAII temporary directory under /tmp for one test, removed on destruction.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace omx::test {

// Creates a fresh directory /tmp/<prefix>-XXXXXX. The destructor removes it
// recursively unless the environment variable OMX_KEEP_TEST_DIRS is set (then
// its path is printed to stderr so a failing test can be inspected).
class TempDir {
  public:
    explicit TempDir(std::string_view prefix = "omx-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::string str() const { return path_.string(); }
    std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

// Whole contents of a file, or "" if it cannot be read.
std::string read_file(const std::filesystem::path& file);

} // namespace omx::test
