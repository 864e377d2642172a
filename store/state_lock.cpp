// flock()-based ownership of the state root.
#include "store/state_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/file.h>
#include <unistd.h>

namespace omx::store {

StateLock::~StateLock() {
    if (fd_ >= 0) ::close(fd_);
}

void StateLock::acquire(const std::filesystem::path& root) {
    auto path = root / ".lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = {};
        ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
        std::string owner = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
        while (!owner.empty() && (owner.back() == '\n' || owner.back() == ' ')) owner.pop_back();
        ::close(fd_);
        fd_ = -1;
        throw std::runtime_error("state directory " + root.string() + " is owned by another omxd (pid " + owner + ")");
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
        throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
}

} // namespace omx::store
