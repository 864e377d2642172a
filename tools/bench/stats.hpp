// Latency samples and their percentiles.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace omx::bench {

struct LatencySummary {
    std::size_t count = 0;
    double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
    boost::json::object json() const; // {count, p50, p90, p99, max, mean} in ms
    std::string text() const;         // "p50 1.234 ms, p99 …"
};

// Nanosecond samples.
class Latencies {
public:
    void reserve(std::size_t n) { ns_.reserve(n); }
    void add(std::chrono::nanoseconds d);
    void add_ms(double ms);
    void merge(const Latencies& other);
    std::size_t count() const { return ns_.size(); }
    LatencySummary summary() const; // copies and sorts
private:
    std::vector<std::uint64_t> ns_;
};

// The median of a few values (bench.sh-style), for per-job figures.
double percentile(std::vector<double> values, double p);

// A number rounded to `digits` decimals, for compact JSON.
double round_to(double v, int digits = 3);

} // namespace omx::bench
