// Whole-file reads of the store (records and log tails at start-up, creation
// journal segments).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace omx::store {

// The file from `from` to its end, nullopt when it cannot be opened: one open,
// one fstat, reads straight into the string (recovery reads every record so).
std::optional<std::string> read_file(const std::filesystem::path& path, std::uint64_t from = 0);

} // namespace omx::store
