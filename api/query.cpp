// Query string parsing.
#include "api/query.hpp"

#include <algorithm>
#include <charconv>

namespace omx::api {
namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
} // namespace

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') out.push_back(' ');
        else if (s[i] != '%') out.push_back(s[i]);
        else {
            if (i + 2 >= s.size()) return std::nullopt;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        }
    }
    return out;
}

std::optional<std::map<std::string, std::string>> parse_query(std::string_view query) {
    std::map<std::string, std::string> out;
    while (!query.empty()) {
        auto amp = query.find('&');
        auto part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (part.empty()) continue;
        auto eq = part.find('=');
        auto key = percent_decode(part.substr(0, eq));
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
        if (!key || !value) return std::nullopt;
        out[*key] = *value;
    }
    return out;
}

std::optional<long long> int_param(const std::map<std::string, std::string>& q, const std::string& name,
                                   long long lo, long long hi, std::vector<std::string>& problems) {
    auto it = q.find(name);
    if (it == q.end()) return std::nullopt;
    long long v = 0;
    auto& s = it->second;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
        problems.push_back(name + " must be an integer number");
        return std::nullopt;
    }
    if (v < lo) problems.push_back(name + " must not be less than " + std::to_string(lo));
    else if (v > hi) problems.push_back(name + " must not be greater than " + std::to_string(hi));
    else return v;
    return std::nullopt;
}

void reject_unknown_params(const std::map<std::string, std::string>& q, std::initializer_list<std::string_view> allowed,
                           std::vector<std::string>& problems) {
    for (auto& [k, _] : q)
        if (k != "access_token" && std::find(allowed.begin(), allowed.end(), k) == allowed.end())
            problems.push_back("unknown query parameter '" + k + "'");
}

} // namespace omx::api
