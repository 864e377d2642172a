// Samples a process's resident memory (VmRSS) and CPU time (utime + stime)
// from /proc while a scenario runs.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace omx::bench {

struct ProcSample {
    std::int64_t rss_kib = 0;
    double cpu_seconds = 0; // user + system since the process started
};

// nullopt when the process does not exist (or /proc cannot be read).
std::optional<ProcSample> read_proc(int pid);

// The calling process's own CPU time (user + system), for the generator's share.
double self_cpu_seconds();

class ProcSampler {
public:
    ProcSampler(const boost::asio::any_io_executor& ex, int pid,
                std::chrono::milliseconds period = std::chrono::milliseconds(50));
    ~ProcSampler();
    void start();         // a first sample now, then one per period
    void stop();          // a last sample; stops the timer
    void sample();        // one sample now (also between start and stop)
    bool valid() const { return s_->samples > 0; }
    std::int64_t start_rss() const { return s_->first.rss_kib; }
    std::int64_t peak_rss() const { return s_->peak_rss; }
    std::int64_t last_rss() const { return s_->last.rss_kib; }
    double cpu_used() const { return s_->last.cpu_seconds - s_->first.cpu_seconds; }
    // {"pid", "rssKiB": {start, peak, end}, "cpuSeconds"}
    boost::json::object json() const;

private:
    // Shared with the pending timer handler, which may run after the sampler is gone.
    struct State {
        State(const boost::asio::any_io_executor& ex, int pid, std::chrono::milliseconds period)
            : pid(pid), period(period), timer(ex) {}
        int pid;
        std::chrono::milliseconds period;
        boost::asio::steady_timer timer;
        ProcSample first, last;
        std::int64_t peak_rss = 0;
        int samples = 0;
        bool running = false;
        void sample();
    };
    static void arm(const std::shared_ptr<State>& s);
    std::shared_ptr<State> s_;
};

} // namespace omx::bench
