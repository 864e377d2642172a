// The metrics registry: one map per family from rendered label set to value.
#include "runtime/metrics.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <cstdio>
#include <map>
#include <mutex>
#include <stdexcept>

namespace omx::metrics {
namespace {

enum class Kind { counter, gauge, histogram };

struct Family {
    std::string_view name;
    Kind kind;
    std::string_view help;
    std::vector<double> buckets; // histograms: upper bounds in seconds
};

const std::vector<double> latency_buckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                          0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};

const std::array families{
    Family{family::jobs, Kind::gauge, "Jobs by status.", {}},
    Family{family::jobs_created, Kind::counter, "Jobs created, by mode and provider.", {}},
    Family{family::jobs_finished, Kind::counter, "Runs that ended, by mode, provider and outcome.", {}},
    Family{family::tasks_started, Kind::counter, "Task attempts started, by role.", {}},
    Family{family::tasks_retried, Kind::counter, "Task attempts that ended in a retry, by role.", {}},
    Family{family::tasks_failed, Kind::counter, "Tasks that failed for good, by role.", {}},
    Family{family::agents_running, Kind::gauge, "Agent processes running.", {}},
    Family{family::agent_tokens, Kind::counter, "Agent tokens by provider and kind.", {}},
    Family{family::http_requests, Kind::counter, "HTTP requests by route and status.", {}},
    Family{family::http_duration, Kind::histogram, "HTTP request latency by route.", latency_buckets},
    Family{family::sse_clients, Kind::gauge, "Connected Server-Sent Events clients.", {}},
    Family{family::event_appends, Kind::counter, "Events appended to job logs.", {}},
    Family{family::fsync_duration, Kind::histogram, "Latency of syncing job logs to disk.", latency_buckets},
    Family{family::process_spawns, Kind::counter, "Processes spawned.", {}},
    Family{family::spawn_failures, Kind::counter, "Process spawns that failed.", {}},
};

const Family& find_family(std::string_view name) {
    for (auto& f : families)
        if (f.name == name) return f;
    throw std::logic_error("unknown metric family " + std::string(name));
}

std::string escape(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

// `a="1",b="2"`: the key of a series, and its text in the exposition.
std::string render(const Labels& labels) {
    std::string out;
    for (auto& [name, value] : labels) {
        if (!out.empty()) out += ',';
        out += name;
        out += "=\"";
        out += escape(value);
        out += '"';
    }
    return out;
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.12g", v);
    return buf;
}

} // namespace

class Counter {
public:
    std::atomic<double> value{0};
};

class Histogram {
public:
    explicit Histogram(const std::vector<double>& b) : bounds(b), counts(b.size()) {}
    const std::vector<double>& bounds;                // upper bounds, the family's
    std::vector<std::atomic<std::uint64_t>> counts; // per bucket, not cumulative
    std::atomic<std::uint64_t> count{0};
    std::atomic<double> sum{0};
};

namespace {

// Series are created under the mutex and never removed (std::map nodes do not
// move), so a handle stays valid and is updated with atomics alone.
struct Registry {
    std::mutex mutex;
    std::map<std::string_view, std::map<std::string, Counter>> values;
    std::map<std::string_view, std::map<std::string, std::unique_ptr<Histogram>>> histograms;
};

Registry& registry() {
    static Registry r;
    return r;
}

std::string series(std::string_view name, std::string_view suffix, const std::string& labels) {
    std::string out(name);
    out += suffix;
    if (!labels.empty()) out += "{" + labels + "}";
    return out;
}

} // namespace

Counter& counter(std::string_view name, const Labels& labels) {
    auto& f = find_family(name);
    auto key = render(labels);
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    return r.values[f.name][key];
}

Histogram& histogram(std::string_view name, const Labels& labels) {
    auto& f = find_family(name);
    auto key = render(labels);
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto& h = r.histograms[f.name][key];
    if (!h) h = std::make_unique<Histogram>(f.buckets);
    return *h;
}

void add(Counter& c, double by) { c.value.fetch_add(by, std::memory_order_relaxed); }

void observe(Histogram& h, double value) {
    auto bucket =
        static_cast<std::size_t>(std::lower_bound(h.bounds.begin(), h.bounds.end(), value) - h.bounds.begin());
    if (bucket < h.counts.size()) h.counts[bucket].fetch_add(1, std::memory_order_relaxed);
    h.count.fetch_add(1, std::memory_order_relaxed);
    h.sum.fetch_add(value, std::memory_order_relaxed);
}

void count(std::string_view name, const Labels& labels, double by) { add(counter(name, labels), by); }

void adjust(std::string_view name, double delta, const Labels& labels) { count(name, labels, delta); }

void observe(std::string_view name, const Labels& labels, double value) { observe(histogram(name, labels), value); }

std::string exposition(const std::vector<GaugeSample>& gauges) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    std::string out;
    for (auto& f : families) {
        out += "# HELP " + std::string(f.name) + " " + std::string(f.help) + "\n";
        out += "# TYPE " + std::string(f.name) + " " +
               (f.kind == Kind::counter ? "counter" : f.kind == Kind::gauge ? "gauge" : "histogram") + "\n";
        auto before = out.size();
        if (f.kind == Kind::gauge) {
            for (auto& g : gauges)
                if (g.family == f.name) out += series(f.name, "", render(g.labels)) + " " + number(g.value) + "\n";
        }
        if (f.kind != Kind::histogram) {
            for (auto& [labels, c] : r.values[f.name])
                out += series(f.name, "", labels) + " " + number(c.value.load(std::memory_order_relaxed)) + "\n";
            if (f.kind == Kind::gauge && out.size() == before) out += std::string(f.name) + " 0\n"; // nothing yet
        } else {
            for (auto& [labels, hp] : r.histograms[f.name]) {
                auto& h = *hp;
                std::uint64_t cumulative = 0;
                auto with_le = [&](const std::string& le) { return labels.empty() ? le : labels + "," + le; };
                for (std::size_t i = 0; i < f.buckets.size(); ++i) {
                    cumulative += h.counts[i].load(std::memory_order_relaxed);
                    out += series(f.name, "_bucket", with_le("le=\"" + number(f.buckets[i]) + "\"")) + " " +
                           std::to_string(cumulative) + "\n";
                }
                // Read once: updates racing this scrape must not make +Inf smaller than a bucket.
                auto count = std::max(cumulative, h.count.load(std::memory_order_relaxed));
                out += series(f.name, "_bucket", with_le("le=\"+Inf\"")) + " " + std::to_string(count) + "\n";
                out += series(f.name, "_sum", labels) + " " + number(h.sum.load(std::memory_order_relaxed)) + "\n";
                out += series(f.name, "_count", labels) + " " + std::to_string(count) + "\n";
            }
        }
    }
    return out;
}

} // namespace omx::metrics
