// The server address of the client: `http://host[:port][/prefix]`, parsed and checked.
#include "tools/omx/server_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace omx::client {
namespace {

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool is_unreserved(unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

} // namespace

std::string ServerUrl::host_header() const {
    auto name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return name + ":" + std::to_string(port);
}

std::string ServerUrl::text() const {
    return "http://" + host_header() + base_path;
}

std::variant<ServerUrl, std::string> parse_server_url(std::string_view url) {
    const std::string shown(url);
    auto scheme_end = url.find("://");
    if (scheme_end != std::string_view::npos) {
        auto scheme = lowercase(url.substr(0, scheme_end));
        if (scheme == "https")
            return "server URL '" + shown +
                   "': https is not supported, omx speaks plain http (use http://, e.g. through "
                   "a TLS-terminating proxy on this host)";
        if (scheme != "http")
            return "server URL '" + shown + "': unsupported scheme '" + scheme + "' (use http://)";
        url.remove_prefix(scheme_end + 3);
    }
    if (url.find_first_of("?#") != std::string_view::npos)
        return "server URL '" + shown + "': a query or fragment is not allowed";
    auto slash = url.find('/');
    auto authority = url.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? "" : url.substr(slash);
    if (authority.find('@') != std::string_view::npos)
        return "server URL '" + shown + "': user information is not allowed (use --token)";

    ServerUrl out;
    std::string_view port_text;
    if (authority.starts_with('[')) {
        auto close = authority.find(']');
        if (close == std::string_view::npos)
            return "server URL '" + shown + "': unterminated IPv6 address";
        out.host = authority.substr(1, close - 1);
        auto rest = authority.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':'))
            return "server URL '" + shown + "': unexpected text after the IPv6 address";
        if (!rest.empty()) port_text = rest.substr(1);
    } else {
        auto colon = authority.rfind(':');
        out.host = authority.substr(0, colon);
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
        if (colon != std::string_view::npos && port_text.empty())
            return "server URL '" + shown + "': empty port";
    }
    if (out.host.empty()) return "server URL '" + shown + "': no host";
    if (!port_text.empty()) {
        unsigned value = 0;
        auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
            value > 65535)
            return "server URL '" + shown + "': invalid port '" + std::string(port_text) + "'";
        out.port = static_cast<std::uint16_t>(value);
    }
    while (path.ends_with('/'))
        path.remove_suffix(1);
    out.base_path = path;
    return out;
}

std::string url_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (is_unreserved(c)) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

} // namespace omx::client
