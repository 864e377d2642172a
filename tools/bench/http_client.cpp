// The load generator's HTTP/1.1 client: raw request bytes, a small response reader.
#include "tools/bench/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace omx::bench {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_head = 64 * 1024;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// A chunked body in [p, p+n): 1 complete (consumed = its length), 0 more
// bytes needed, -1 malformed. Appends the data to `body` when given.
int parse_chunked(const char* p, std::size_t n, std::string* body, std::size_t& consumed) {
    std::size_t at = 0;
    if (body) body->clear();
    for (;;) {
        const void* nl = std::memchr(p + at, '\n', n - at);
        if (!nl) return 0;
        std::size_t line_end = static_cast<const char*>(nl) - p;
        std::size_t size = 0;
        auto [q, ec] = std::from_chars(p + at, p + line_end, size, 16);
        if (ec != std::errc() || q == p + at) return -1;
        at = line_end + 1;
        if (size == 0) { // trailers until an empty line
            for (;;) {
                const void* t = std::memchr(p + at, '\n', n - at);
                if (!t) return 0;
                std::size_t e = static_cast<const char*>(t) - p;
                bool empty = e == at || (e == at + 1 && p[at] == '\r');
                at = e + 1;
                if (empty) {
                    consumed = at;
                    return 1;
                }
            }
        }
        if (n - at < size + 2) return 0;
        if (body) body->append(p + at, size);
        at += size;
        if (p[at] == '\r') ++at;
        if (at >= n) return 0;
        if (p[at] != '\n') return -1;
        ++at;
    }
}

} // namespace

std::optional<Url> parse_url(std::string_view text, std::string& error) {
    Url url;
    constexpr std::string_view scheme = "http://";
    if (!text.starts_with(scheme)) {
        error = "only http:// URLs are supported: " + std::string(text);
        return std::nullopt;
    }
    auto rest = text.substr(scheme.size());
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        url.prefix = std::string(rest.substr(slash));
        while (!url.prefix.empty() && url.prefix.back() == '/') url.prefix.pop_back();
    }
    std::string_view host = authority, port;
    if (authority.starts_with('[')) {
        auto close = authority.find(']');
        if (close == std::string_view::npos) {
            error = "bad IPv6 host in " + std::string(text);
            return std::nullopt;
        }
        host = authority.substr(1, close - 1);
        if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
    } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) {
        error = "no host in " + std::string(text);
        return std::nullopt;
    }
    url.host = std::string(host);
    if (!port.empty()) {
        unsigned p = 0;
        auto [q, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
        if (ec != std::errc() || q != port.data() + port.size() || p == 0 || p > 65535) {
            error = "bad port in " + std::string(text);
            return std::nullopt;
        }
        url.port = static_cast<std::uint16_t>(p);
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(url.host, ec);
    if (ec) {
        asio::io_context io;
        tcp::resolver resolver(io);
        auto results = resolver.resolve(url.host, std::to_string(url.port), ec);
        if (ec || results.empty()) {
            error = "cannot resolve " + url.host + ": " + ec.message();
            return std::nullopt;
        }
        url.endpoint = results.begin()->endpoint();
    } else {
        url.endpoint = tcp::endpoint(address, url.port);
    }
    return url;
}

std::string raw_request(const Url& url, std::string_view method, std::string_view target,
                        std::string_view body, std::string_view extra_headers) {
    std::string r;
    r.reserve(128 + target.size() + body.size() + extra_headers.size());
    r.append(method).append(" ").append(url.prefix).append(target).append(" HTTP/1.1\r\nHost: ");
    r.append(url.host_header()).append("\r\n");
    r.append(extra_headers);
    if (!body.empty() || method == "POST" || method == "PUT") {
        r.append("Content-Type: application/json\r\nContent-Length: ").append(std::to_string(body.size()));
        r.append("\r\n");
    }
    r.append("\r\n").append(body);
    return r;
}

Connection::Connection(const asio::any_io_executor& ex, std::size_t buffer_bytes)
    : socket_(ex), buf_(std::max<std::size_t>(buffer_bytes, 512)) {}

bool Connection::fail(std::string what) {
    error_ = std::move(what);
    close();
    return false;
}

void Connection::close() {
    boost::system::error_code ec;
    socket_.close(ec);
}

asio::awaitable<bool> Connection::connect(const tcp::endpoint& endpoint) {
    if (socket_.is_open()) close();
    begin_ = end_ = 0;
    auto [ec] = co_await socket_.async_connect(endpoint, use_tuple);
    if (ec) co_return fail("connect: " + ec.message());
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    socket_.non_blocking(true, ignored);
    co_return true;
}

asio::awaitable<bool> Connection::fill() {
    if (begin_ == end_) begin_ = end_ = 0;
    if (end_ == buf_.size()) {
        if (begin_ > 0) {
            std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        } else {
            buf_.resize(buf_.size() * 2);
        }
    }
    // Wait for readiness, then read. A plain async_read_some would first try
    // a read that fails right after a request (its answer is never there yet);
    // the wait re-arms epoll instead: the same syscall count, no failed read.
    for (;;) {
        auto [wait_ec] = co_await socket_.async_wait(tcp::socket::wait_read, use_tuple);
        if (wait_ec) co_return fail("read: " + wait_ec.message());
        auto space = asio::buffer(buf_.data() + end_, buf_.size() - end_);
        boost::system::error_code ec;
        std::size_t n = socket_.read_some(space, ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
        if (ec) co_return fail(ec == asio::error::eof ? "connection closed by the server" : "read: " + ec.message());
        end_ += n;
        co_return true;
    }
}

asio::awaitable<bool> Connection::write(std::string_view raw) {
    auto data = asio::buffer(raw.data(), raw.size());
    auto [ec, n] = co_await asio::async_write(socket_, data, use_tuple);
    if (ec) co_return fail("write: " + ec.message());
    co_return true;
}

int Connection::parse_head(Response& out, std::size_t& head_len, std::optional<std::size_t>& content_length,
                           bool& chunked) {
    std::string_view data(buf_.data() + begin_, end_ - begin_);
    auto end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) return data.size() > max_head ? -1 : 1;
    head_len = end + 4;
    auto head = data.substr(0, end);
    auto eol = head.find("\r\n");
    auto status_line = head.substr(0, eol);
    // "HTTP/1.1 200 OK"
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) return -1;
    int status = 0;
    auto [q, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
    if (ec != std::errc()) return -1;
    out.status = status;
    out.close = status_line[7] == '0';
    content_length.reset();
    chunked = false;
    while (eol != std::string_view::npos) {
        auto start = eol + 2;
        eol = head.find("\r\n", start);
        auto line = head.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
        auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        auto name = line.substr(0, colon);
        auto value = trim(line.substr(colon + 1));
        if (iequals(name, "content-length")) {
            std::size_t n = 0;
            auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (e != std::errc()) return -1;
            content_length = n;
        } else if (iequals(name, "transfer-encoding")) {
            chunked = value.find("chunked") != std::string_view::npos;
        } else if (iequals(name, "connection")) {
            if (iequals(value, "close")) out.close = true;
            else if (iequals(value, "keep-alive")) out.close = false;
        }
    }
    return 0;
}

asio::awaitable<bool> Connection::fill_head(Response& out, std::size_t& head_len,
                                            std::optional<std::size_t>& content_length, bool& chunked) {
    for (;;) {
        int r = parse_head(out, head_len, content_length, chunked);
        if (r < 0) co_return fail("malformed response head");
        if (r == 0) co_return true;
        if (!co_await fill()) co_return false;
    }
}

asio::awaitable<bool> Connection::read_head(Response& out) {
    std::size_t head_len = 0;
    std::optional<std::size_t> content_length;
    bool chunked = false;
    if (!co_await fill_head(out, head_len, content_length, chunked)) co_return false;
    begin_ += head_len;
    co_return true;
}

asio::awaitable<bool> Connection::read_some(std::string& into) {
    if (begin_ == end_) { // GCC 12: no co_await inside && or ||
        bool filled = co_await fill();
        if (!filled) co_return false;
    }
    into.append(buf_.data() + begin_, end_ - begin_);
    begin_ = end_ = 0;
    co_return true;
}

asio::awaitable<bool> Connection::roundtrip(std::string_view raw, Response& out, bool keep_body) {
    if (!co_await write(raw)) co_return false;
    std::size_t head_len = 0;
    std::optional<std::size_t> content_length;
    bool chunked = false;
    if (!co_await fill_head(out, head_len, content_length, chunked)) co_return false;
    if (chunked) {
        for (;;) {
            std::size_t consumed = 0;
            int r = parse_chunked(buf_.data() + begin_ + head_len, end_ - begin_ - head_len,
                                  keep_body ? &out.body : nullptr, consumed);
            if (r < 0) co_return fail("malformed chunked body");
            if (r > 0) {
                out.body_bytes = keep_body ? out.body.size() : consumed;
                begin_ += head_len + consumed;
                break;
            }
            if (!co_await fill()) co_return false;
        }
    } else if (content_length || out.status == 204 || out.status == 304 || out.status / 100 == 1) {
        std::size_t n = content_length.value_or(0);
        while (end_ - begin_ < head_len + n)
            if (!co_await fill()) co_return false;
        if (keep_body) out.body.assign(buf_.data() + begin_ + head_len, n);
        out.body_bytes = n;
        begin_ += head_len + n;
    } else { // until the server closes
        begin_ += head_len;
        std::string body(buf_.data() + begin_, end_ - begin_);
        begin_ = end_ = 0;
        for (;;) {
            auto space = asio::buffer(buf_.data(), buf_.size());
            auto [ec, n] = co_await socket_.async_read_some(space, use_tuple);
            if (ec) break;
            body.append(buf_.data(), n);
        }
        out.body_bytes = body.size();
        if (keep_body) out.body = std::move(body);
        out.close = true;
    }
    if (begin_ == end_) begin_ = end_ = 0;
    if (out.close) close();
    co_return true;
}

} // namespace omx::bench
