// Query strings: splitting and percent-decoding, and typed parameter reads
// that report problems the way body validation does.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omx::api {

// Splits "a=1&b=x%20y" into decoded pairs; nullopt on a malformed escape.
std::optional<std::map<std::string, std::string>> parse_query(std::string_view query);
std::optional<std::string> percent_decode(std::string_view);

// Reads an integer parameter in [lo, hi]; a problem is appended when it is not one.
std::optional<long long> int_param(const std::map<std::string, std::string>& q, const std::string& name,
                                   long long lo, long long hi, std::vector<std::string>& problems);
// Appends "unknown query parameter 'x'" for names not in `allowed`.
void reject_unknown_params(const std::map<std::string, std::string>& q, std::initializer_list<std::string_view> allowed,
                           std::vector<std::string>& problems);

} // namespace omx::api
