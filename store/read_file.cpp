#include "store/read_file.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace omx::store {

std::optional<std::string> read_file(const std::filesystem::path& path, std::uint64_t from) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string text;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) > from) {
        text.resize(static_cast<std::size_t>(static_cast<std::uint64_t>(st.st_size) - from));
        std::size_t done = 0;
        while (done < text.size()) {
            ssize_t n = ::pread(fd, text.data() + done, text.size() - done, static_cast<off_t>(from + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        text.resize(done);
    }
    ::close(fd);
    return text;
}

} // namespace omx::store
