#include "store/redis/endpoint.hpp"

#include <charconv>
#include <string_view>

namespace omx::redis {
namespace {

// %XX escapes in the credentials (a password may hold '@' or ':').
std::optional<std::string> percent_decoded(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        unsigned value = 0;
        if (i + 2 >= s.size()) return std::nullopt;
        auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
        if (ec != std::errc() || end != s.data() + i + 3) return std::nullopt;
        out += static_cast<char>(value);
        i += 2;
    }
    return out;
}

template <class T>
bool parse_number(std::string_view s, T& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

} // namespace

std::string Endpoint::display() const {
    return "redis://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port) +
           "/" + std::to_string(db);
}

std::variant<Endpoint, std::string> parse_url(const std::string& url) {
    constexpr std::string_view scheme = "redis://";
    std::string_view rest(url);
    if (!rest.starts_with(scheme)) return "a Redis URL starts with redis:// (got \"" + url + "\")";
    rest.remove_prefix(scheme.size());
    Endpoint e;
    if (auto at = rest.rfind('@'); at != std::string_view::npos) {
        auto credentials = rest.substr(0, at);
        rest.remove_prefix(at + 1);
        auto colon = credentials.find(':');
        auto user = percent_decoded(credentials.substr(0, colon));
        auto password = colon == std::string_view::npos ? std::optional<std::string>(std::string())
                                                        : percent_decoded(credentials.substr(colon + 1));
        if (!user || !password) return std::string("a bad %-escape in the Redis URL's credentials");
        if (colon == std::string_view::npos) { // redis://password@host
            e.password = *user;
        } else {
            if (!user->empty()) e.user = *user;
            e.password = *password;
        }
    }
    std::string_view authority = rest.substr(0, rest.find('/'));
    std::string_view path = authority.size() < rest.size() ? rest.substr(authority.size() + 1) : std::string_view();
    std::string_view port_text;
    if (authority.starts_with('[')) { // [::1]:6379
        auto close = authority.find(']');
        if (close == std::string_view::npos) return std::string("an unclosed [ in the Redis URL's host");
        e.host = std::string(authority.substr(1, close - 1));
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return std::string("unexpected text after the Redis URL's host");
            port_text = after.substr(1);
        }
    } else {
        auto colon = authority.find(':');
        e.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (e.host.empty()) return "the Redis URL names no host (got \"" + url + "\")";
    if (!port_text.empty() && (!parse_number(port_text, e.port) || e.port == 0))
        return "the Redis URL's port is not a port number: \"" + std::string(port_text) + "\"";
    if (!path.empty() && (!parse_number(path, e.db) || e.db < 0))
        return "the Redis URL's database is not a number: \"" + std::string(path) + "\"";
    return e;
}

} // namespace omx::redis
