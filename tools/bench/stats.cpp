// Latency samples and their percentiles.
#include "tools/bench/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace omx::bench {

double round_to(double v, int digits) {
    double f = std::pow(10.0, digits);
    return std::round(v * f) / f;
}

boost::json::object LatencySummary::json() const {
    return {{"count", count},        {"p50", round_to(p50_ms)}, {"p90", round_to(p90_ms)},
            {"p99", round_to(p99_ms)}, {"max", round_to(max_ms)}, {"mean", round_to(mean_ms)}};
}

std::string LatencySummary::text() const {
    char buf[200];
    std::snprintf(buf, sizeof buf, "p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms (%zu samples)", p50_ms,
                  p90_ms, p99_ms, max_ms, count);
    return buf;
}

void Latencies::add(std::chrono::nanoseconds d) {
    auto n = d.count();
    ns_.push_back(n < 0 ? 0 : static_cast<std::uint64_t>(n));
}

void Latencies::add_ms(double ms) { add(std::chrono::nanoseconds(static_cast<std::int64_t>(ms * 1e6))); }

void Latencies::merge(const Latencies& other) { ns_.insert(ns_.end(), other.ns_.begin(), other.ns_.end()); }

LatencySummary Latencies::summary() const {
    LatencySummary s;
    s.count = ns_.size();
    if (ns_.empty()) return s;
    auto v = ns_;
    std::sort(v.begin(), v.end());
    auto at = [&](double p) {
        // nearest rank
        auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
        return static_cast<double>(v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)]) / 1e6;
    };
    s.p50_ms = at(0.50);
    s.p90_ms = at(0.90);
    s.p99_ms = at(0.99);
    s.max_ms = static_cast<double>(v.back()) / 1e6;
    s.mean_ms = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()) / 1e6;
    return s;
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
    return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

} // namespace omx::bench
