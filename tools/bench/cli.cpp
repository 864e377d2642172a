// omx-bench's command line: SCENARIO --url URL [options].
#include "tools/bench/cli.hpp"

#include <charconv>
#include <cstdlib>
#include <set>

#ifndef OMX_BENCH_AGENT
#define OMX_BENCH_AGENT "instant-agent.sh"
#endif
#ifndef OMX_BENCH_OMXD
#define OMX_BENCH_OMXD "omxd"
#endif

namespace omx::bench {

std::string usage_text() {
    return R"(usage: omx-bench SCENARIO --url URL [options]

Load generator of the omx HTTP API (performance.md). Prints a human summary,
then one JSON line of results. Exit 0 when the scenario ran without errors,
1 when it had errors, 64 on a usage error.

scenarios:
  get        GET /v1/jobs/{id} (or --path) on keep-alive connections for --duration
  create     POST /v1/jobs (team mode, defaults) on --connections for --duration
  sse        --subscribers on one job's events; --events mailbox messages posted
             one after another; time from each POST until the last subscriber has
             its event (--bare: bare-server's /events and /publish instead)
  team       --jobs team jobs (server started with JOB_CLI_BIN=instant-agent.sh);
             jobs/s, tasks/s, job latency, orchestration overhead per task
  recovery   generates a state directory (--jobs finished, --running, --waiting),
             starts --omxd on it: time until /v1/readyz is 200, every job readable,
             RSS, overview latency (no --url: it starts its own server)
  overview   GET /v1/monitor/overview latency (--calls)

options:
  --url URL            server base URL, e.g. http://127.0.0.1:8080
  --job ID             use this job (get, sse) instead of creating one
  --path TARGET        get: request this target instead (e.g. / on bare-server)
  --duration S         measured seconds of get and create (default 1)
  --warmup S           unmeasured seconds before (default 0.2)
  --connections N      client connections of get and create (default 8)
  --subscribers N      sse subscribers (default 20)
  --events N           sse events, at most 200 on omxd (default 10)
  --jobs N             team jobs (default 3); recovery finished jobs (default 100)
  --sequential         team: one job at a time (the uncontended overhead)
  --pid PID            sample this server's RSS and CPU time during the run
  --baseline-url URL   get, sse: run the same measurement against a bare server
  --baseline-pid PID   sample the baseline server's RSS and CPU too
  --bare               the server is bare-server (sse: /events and /publish;
                       get: any path, no job created)
  --frame-bytes N      sse --bare: size of a published frame (default 590, a real one's)
  --timeout S          longest wait for team jobs or a recovery (default 120)
  --omxd PATH          recovery: the omxd binary (default: the one built)
  --omxd-arg ARG       recovery: one more omxd argument (repeatable)
  --server-cpus LIST   recovery: pin the omxd it starts to these CPUs (e.g. 0)
  --scratch DIR        recovery: work directory (default: a new one in $TMPDIR)
  --keep               recovery: keep the work directory
  --agent PATH         recovery: agent script (default: tools/bench/instant-agent.sh)
  --running N          recovery: running jobs among the generated ones (default 2)
  --waiting N          recovery: jobs waiting for approval (default 2)
  --calls N            recovery, overview: overview calls (default 200)
)";
}

namespace {

bool to_int(const std::string& s, int& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

bool to_double(const std::string& s, double& out) {
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    return !s.empty() && end == s.c_str() + s.size();
}

} // namespace

std::optional<Options> parse_options(const std::vector<std::string>& args, std::string& error) {
    static const std::set<std::string> scenarios{"get", "create", "sse", "team", "recovery", "overview"};
    Options o;
    o.omxd = OMX_BENCH_OMXD;
    o.agent = OMX_BENCH_AGENT;
    if (args.empty()) {
        error = "no scenario";
        return std::nullopt;
    }
    o.scenario = args[0];
    if (!scenarios.count(o.scenario)) {
        error = "unknown scenario '" + o.scenario + "'";
        return std::nullopt;
    }
    for (std::size_t i = 1; i < args.size(); ++i) {
        const auto& a = args[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= args.size()) {
                error = a + " needs a value";
                return false;
            }
            out = args[++i];
            return true;
        };
        auto number = [&](int& out, int min) {
            std::string v;
            if (!value(v)) return false;
            if (!to_int(v, out) || out < min) {
                error = a + " must be an integer >= " + std::to_string(min) + ", not '" + v + "'";
                return false;
            }
            return true;
        };
        auto seconds = [&](double& out) {
            std::string v;
            if (!value(v)) return false;
            if (!to_double(v, out) || out < 0) {
                error = a + " must be a number of seconds, not '" + v + "'";
                return false;
            }
            return true;
        };
        std::string text;
        int n = 0;
        bool ok = true;
        if (a == "--url") ok = value(o.url);
        else if (a == "--baseline-url") ok = value(o.baseline_url);
        else if (a == "--job") ok = value(text), o.job = text;
        else if (a == "--path") ok = value(text), o.path = text;
        else if (a == "--duration") ok = seconds(o.duration);
        else if (a == "--warmup") ok = seconds(o.warmup);
        else if (a == "--connections") ok = number(o.connections, 1);
        else if (a == "--subscribers") ok = number(o.subscribers, 1);
        else if (a == "--events") ok = number(o.events, 1);
        else if (a == "--jobs") ok = number(n, 1), o.jobs = n;
        else if (a == "--pid") ok = number(n, 1), o.pid = n;
        else if (a == "--baseline-pid") ok = number(n, 1), o.baseline_pid = n;
        else if (a == "--bare") o.bare = true;
        else if (a == "--frame-bytes") ok = number(o.frame_bytes, 64);
        else if (a == "--sequential") o.sequential = true;
        else if (a == "--timeout") ok = seconds(o.timeout);
        else if (a == "--omxd") ok = value(o.omxd);
        else if (a == "--omxd-arg") ok = value(text), o.omxd_args.push_back(text);
        else if (a == "--scratch") ok = value(o.scratch);
        else if (a == "--server-cpus") ok = value(o.server_cpus);
        else if (a == "--keep") o.keep = true;
        else if (a == "--agent") ok = value(o.agent);
        else if (a == "--running") ok = number(o.running, 0);
        else if (a == "--waiting") ok = number(o.waiting, 0);
        else if (a == "--calls") ok = number(o.overview_calls, 1);
        else {
            error = "unknown option '" + a + "'";
            return std::nullopt;
        }
        if (!ok) return std::nullopt;
    }
    if (o.url.empty() && o.scenario != "recovery") {
        error = "--url is required";
        return std::nullopt;
    }
    if (o.scenario == "sse" && !o.bare && o.events > 200) {
        error = "--events: omxd accepts at most 200 mailbox messages per job";
        return std::nullopt;
    }
    if (o.duration <= 0) {
        error = "--duration must be positive";
        return std::nullopt;
    }
    return o;
}

} // namespace omx::bench
