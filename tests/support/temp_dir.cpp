// RAII temporary directory under /tmp for one test, removed on destruction.
#include "tests/support/temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace omx::test {

TempDir::TempDir(std::string_view prefix) {
    std::string pattern = "/tmp/" + std::string(prefix) + "-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr)
        throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    path_ = buf.data();
}

TempDir::~TempDir() {
    if (std::getenv("OMX_KEEP_TEST_DIRS") != nullptr) {
        std::cerr << "omx test: keeping " << path_.string() << "\n";
        return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec); // best effort: never throw from a destructor
    if (ec)
        std::cerr << "omx test: cannot remove " << path_.string() << ": " << ec.message() << "\n";
}

std::string read_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

} // namespace omx::test
