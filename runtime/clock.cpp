// Wall-clock milliseconds and their RFC 3339 UTC form, without locale or time zone state.
#include "runtime/clock.hpp"

#include <chrono>
#include <cstdio>

namespace omx {
namespace {

using namespace std::chrono;

// Parses exactly `width` decimal digits at s[pos...]; nullopt if any is not a digit.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t width) {
    if (pos + width > s.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        value = value * 10 + (s[i] - '0');
    }
    return value;
}

bool has_char(std::string_view s, std::size_t pos, char c) {
    return pos < s.size() && s[pos] == c;
}

// Milliseconds of "HH:MM:SS" at s[11...], or nullopt when malformed or out of range.
std::optional<std::int64_t> time_of_day_ms(std::string_view s) {
    auto h = digits(s, 11, 2), m = digits(s, 14, 2), sec = digits(s, 17, 2);
    if (!h || !m || !sec || !has_char(s, 13, ':') || !has_char(s, 16, ':')) return std::nullopt;
    if (*h > 23 || *m > 59 || *sec > 59) return std::nullopt;
    return ((*h * 60 + *m) * 60 + *sec) * std::int64_t{1000};
}

// Days since the epoch of "YYYY-MM-DD" at s[0...], or nullopt when not a real date.
std::optional<std::int64_t> date_days(std::string_view s) {
    auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
    if (!y || !mo || !d || !has_char(s, 4, '-') || !has_char(s, 7, '-')) return std::nullopt;
    year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) return std::nullopt;
    return sys_days{ymd}.time_since_epoch().count();
}

// Milliseconds of the fraction after the seconds: "" + "Z" or ".mmm" + "Z".
std::optional<std::int64_t> fraction_ms(std::string_view s) {
    constexpr std::size_t at = 19;
    if (s.size() == at + 1 && s[at] == 'Z') return 0;
    if (s.size() != at + 5 || s[at] != '.' || s[at + 4] != 'Z') return std::nullopt;
    auto ms = digits(s, at + 1, 3);
    if (!ms) return std::nullopt;
    return *ms;
}

} // namespace

std::int64_t now_ms() {
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {
// Writes v as `width` decimal digits (zero-padded) and advances p.
void put_digits(char*& p, unsigned v, int width) {
    for (int i = width - 1; i >= 0; --i) {
        p[i] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    p += width;
}
} // namespace

// By hand rather than snprintf: it runs for every log line and every timestamp of a view.
std::string format_rfc3339(std::int64_t ms) {
    sys_time<milliseconds> tp{milliseconds{ms}};
    auto day_start = floor<days>(tp);
    year_month_day ymd{day_start};
    hh_mm_ss<milliseconds> tod{tp - day_start};
    char buf[24];
    char* p = buf;
    put_digits(p, static_cast<unsigned>(int(ymd.year())), 4);
    *p++ = '-';
    put_digits(p, unsigned(ymd.month()), 2);
    *p++ = '-';
    put_digits(p, unsigned(ymd.day()), 2);
    *p++ = 'T';
    put_digits(p, static_cast<unsigned>(tod.hours().count()), 2);
    *p++ = ':';
    put_digits(p, static_cast<unsigned>(tod.minutes().count()), 2);
    *p++ = ':';
    put_digits(p, static_cast<unsigned>(tod.seconds().count()), 2);
    *p++ = '.';
    put_digits(p, static_cast<unsigned>(tod.subseconds().count()), 3);
    *p++ = 'Z';
    return std::string(buf, p);
}

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
    if (!has_char(s, 10, 'T')) return std::nullopt;
    auto days = date_days(s);
    auto tod = time_of_day_ms(s);
    auto frac = fraction_ms(s);
    if (!days || !tod || !frac) return std::nullopt;
    return *days * 86'400'000 + *tod + *frac;
}

} // namespace omx
