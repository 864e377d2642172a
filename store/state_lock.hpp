// Exclusive ownership of a state root: flock() on <root>/.lock, released by the
// kernel when the process dies (no stale lock files).
#pragma once

#include <filesystem>
#include <string>

namespace omx::store {

class StateLock {
public:
    StateLock() = default;
    StateLock(const StateLock&) = delete;
    StateLock& operator=(const StateLock&) = delete;
    ~StateLock();

    // Throws std::runtime_error naming the owner's pid when another process holds it.
    void acquire(const std::filesystem::path& root);

private:
    int fd_ = -1;
};

} // namespace omx::store
