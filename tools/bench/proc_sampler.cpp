// /proc/PID/status (VmRSS) and /proc/PID/stat (utime, stime) sampling.
#include "tools/bench/proc_sampler.hpp"

#include "tools/bench/stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace omx::bench {

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

std::optional<ProcSample> read_proc(int pid) {
    auto base = "/proc/" + std::to_string(pid);
    auto status = slurp(base + "/status");
    auto stat = slurp(base + "/stat");
    if (status.empty() || stat.empty()) return std::nullopt;
    ProcSample s;
    if (auto at = status.find("VmRSS:"); at != std::string::npos)
        s.rss_kib = std::strtoll(status.c_str() + at + 6, nullptr, 10);
    // Fields after the command name (which may hold spaces): state is field 3,
    // utime 14 and stime 15.
    auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream in(stat.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
        if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    s.cpu_seconds = static_cast<double>(utime + stime) / ticks;
    return s;
}

double self_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return sec(u.ru_utime) + sec(u.ru_stime);
}

ProcSampler::ProcSampler(const boost::asio::any_io_executor& ex, int pid, std::chrono::milliseconds period)
    : s_(std::make_shared<State>(ex, pid, period)) {}

ProcSampler::~ProcSampler() {
    s_->running = false;
    s_->timer.cancel();
}

void ProcSampler::State::sample() {
    auto s = read_proc(pid);
    if (!s) return;
    if (samples++ == 0) first = *s;
    last = *s;
    if (s->rss_kib > peak_rss) peak_rss = s->rss_kib;
}

void ProcSampler::sample() { s_->sample(); }

void ProcSampler::start() {
    s_->running = true;
    s_->sample();
    arm(s_);
}

void ProcSampler::arm(const std::shared_ptr<State>& s) {
    if (!s->running) return;
    s->timer.expires_after(s->period);
    s->timer.async_wait([s](const boost::system::error_code& ec) {
        if (ec || !s->running) return;
        s->sample();
        arm(s);
    });
}

void ProcSampler::stop() {
    if (s_->running) s_->sample();
    s_->running = false;
    s_->timer.cancel();
}

boost::json::object ProcSampler::json() const {
    return {{"pid", s_->pid},
            {"rssKiB", {{"start", s_->first.rss_kib}, {"peak", s_->peak_rss}, {"end", s_->last.rss_kib}}},
            {"cpuSeconds", round_to(cpu_used())}};
}

} // namespace omx::bench
