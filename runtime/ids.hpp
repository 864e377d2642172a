// Random identifiers: job/event/message ids (UUID v4) and claim tokens.
#pragma once

#include <string>
#include <string_view>

namespace omx {

std::string new_uuid();                    // lowercase canonical UUID v4
bool is_canonical_uuid(std::string_view);  // lowercase, 8-4-4-4-12, version 4, RFC 4122 variant
std::string random_hex(std::size_t bytes); // 2*bytes hex chars

} // namespace omx
