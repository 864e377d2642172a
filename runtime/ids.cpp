// UUID v4 and random tokens from a per-thread generator seeded by the OS.
#include "runtime/ids.hpp"

#include <array>
#include <cstdint>
#include <random>

namespace omx {
namespace {

std::mt19937_64& generator() {
    thread_local std::mt19937_64 gen = [] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }();
    return gen;
}

constexpr char hex_digits[] = "0123456789abcdef";

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

} // namespace

std::string random_hex(std::size_t bytes) {
    std::string out;
    out.reserve(bytes * 2);
    std::uint64_t word = 0;
    for (std::size_t i = 0; i < bytes; ++i) {
        if (i % 8 == 0) word = generator()();
        auto b = static_cast<unsigned>(word & 0xff);
        word >>= 8;
        out.push_back(hex_digits[b >> 4]);
        out.push_back(hex_digits[b & 0xf]);
    }
    return out;
}

std::string new_uuid() {
    std::string h = random_hex(16);
    h[12] = '4';
    h[16] = hex_digits[8 + (h[16] - (h[16] <= '9' ? '0' : 'a' - 10)) % 4];
    return h.substr(0, 8) + '-' + h.substr(8, 4) + '-' + h.substr(12, 4) + '-' + h.substr(16, 4) + '-' +
           h.substr(20, 12);
}

bool is_canonical_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_lower_hex(s[i])) return false;
    }
    return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

} // namespace omx
