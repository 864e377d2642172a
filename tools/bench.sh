#!/usr/bin/env bash
# Measures omx against the targets of performance.md and prints one table:
#   figure | omx | baseline | ratio | target | met
# Every figure is the median of 3 runs (--runs N); each run starts a fresh
# omxd on a temporary state directory, pinned to one core (SERVER_CPU, default
# 0) while omx-bench runs on another (CLIENT_CPU, default 1). The baselines
# (bare-server, bare-spawn) run on the server's core in the same run.
#
# Usage: tools/bench.sh [--quick] [--runs N] [--no-build] [GROUP...]
#   GROUP: get create sse team recovery (default: all)
#   --quick     one run, shorter durations (same sizes)
#   --no-build  use the binaries already built
# Environment: OMX_BUILD_DIR (default ./build), SERVER_CPU, CLIENT_CPU,
#   OMX_BENCH_OUT (directory for the raw JSON lines and the table; default
#   $OMX_BUILD_DIR/bench/<date>).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

runs=3 quick=0 build=1 groups=()
while [[ $# -gt 0 ]]; do
  case "$1" in
  --quick) quick=1; runs=1 ;;
  --runs) runs="$2"; shift ;;
  --no-build) build=0 ;;
  get|create|sse|team|recovery) groups+=("$1") ;;
  -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "bench.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
  esac
  shift
done
[[ ${#groups[@]} -gt 0 ]] || groups=(get create sse team recovery)
want() { local g; for g in "${groups[@]}"; do [[ "$g" == "$1" ]] && return 0; done; return 1; }

build_dir="$(realpath -m "${OMX_BUILD_DIR:-build}")"
if [[ $build == 1 ]]; then
  if [[ -n "${OMX_BUILD_DIR:-}" ]]; then
    cmake --build "$build_dir" --target omxd omx-bench bare-server bare-spawn
  else
    tools/build.sh omxd omx-bench bare-server bare-spawn
  fi
fi
OMXD="$build_dir/omxd"
BENCH="$build_dir/tools/bench/omx-bench"
BARE_SERVER="$build_dir/tools/bench/bare-server"
BARE_SPAWN="$build_dir/tools/bench/bare-spawn"
AGENT="$root/tools/bench/instant-agent.sh"
for f in "$OMXD" "$BENCH" "$BARE_SERVER" "$BARE_SPAWN"; do
  [[ -x "$f" ]] || { echo "bench.sh: $f is missing (build first, or drop --no-build)" >&2; exit 1; }
done

ncpu="$(nproc)"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
# Prefixes, not functions: a background server's $! must be its own pid
# (taskset execs the command).
on_server=() on_client=()
if [[ $ncpu -ge 2 ]]; then
  on_server=(taskset -c "$SERVER_CPU")
  on_client=(taskset -c "$CLIENT_CPU")
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="${OMX_BENCH_OUT:-$build_dir/bench/$stamp}"
mkdir -p "$out"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/omx-bench-XXXXXX")"
server_pids=()
cleanup() {
  for p in "${server_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${server_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n "${OMX_BENCH_KEEP:-}" ]] && { echo "kept $tmp"; return; }
  # Not in the background: deleting ~100 000 job files loads the disk (and on a
  # journal-less ext4 slows inode allocation for minutes after), which would
  # skew a bench started right after this one.
  echo "removing $tmp"
  rm -rf "$tmp"
}
trap cleanup EXIT

# Durations (seconds) and sizes.
if [[ $quick == 1 ]]; then
  get_s=2 create_s=2 sse_events_1k=30 sse_events_10k=10 team_jobs=100 overhead_jobs=3
else
  get_s=5 create_s=5 sse_events_1k=100 sse_events_10k=30 team_jobs=100 overhead_jobs=5
fi

# Microseconds to create one empty file in the scratch directory (the probe's
# files stay until the end). On an ext4 without a journal, inodes freed in the
# last 60-300 s are skipped one by one at each allocation: after mass deletions
# this rises from ~15 us to ~400 us, and the team figures with it.
file_create_us() {
  python3 - "$tmp/fs-probe" <<'PY'
import os, sys, time
d = sys.argv[1]; os.makedirs(d)
t = time.perf_counter()
for i in range(256):
    os.close(os.open(os.path.join(d, str(i)), os.O_CREAT | os.O_WRONLY, 0o644))
print("%.0f" % ((time.perf_counter() - t) / 256 * 1e6))
PY
}

machine() {
  echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "machine: $ncpu CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo)"
  echo "kernel:  $(uname -sr)"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
  echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
  echo "disk:    $(file_create_us) us to create a file in $tmp (see docs/PERFORMANCE.md, measuring)"
  echo "pinning: omxd and baselines on CPU $SERVER_CPU, omx-bench on CPU $CLIENT_CPU; $runs run(s) per figure"
}
machine | tee "$out/machine.txt"
echo

# start NAME CMD...: starts CMD on the server core (it logs "listening on
# http://HOST:PORT"); sets URL and PID.
start() {
  local name="$1"; shift
  local log="$tmp/$name.log"
  "${on_server[@]}" "$@" >"$log" 2>&1 &
  PID=$!
  server_pids+=("$PID")
  for _ in $(seq 1 600); do
    URL="$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$log" | head -1 | sed 's/listening on //')" || true
    [[ -n "$URL" ]] && return 0
    kill -0 "$PID" 2>/dev/null || { tail -5 "$log" >&2; echo "bench.sh: $name exited" >&2; exit 1; }
    sleep 0.05
  done
  echo "bench.sh: $name did not start" >&2
  exit 1
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# omxd NAME FLAGS...: a fresh omxd on a new state directory; sets URL, PID.
# State directories are removed at the end only: deleting thousands of job
# directories takes long and would load the disk during later figures.
omxd() {
  local name="$1-$run"; shift
  sync # what the figure before wrote is on disk: its write-back does not load this one
  start "$name" "$OMXD" serve --listen 127.0.0.1:0 --state-dir "$tmp/$name/state" --work-root "$tmp/$name/runs" "$@"
}

# bench FIGURE RUN ARGS...: omx-bench on the client core; its JSON line goes
# to $out/FIGURE-RUN.json, its output to the terminal (indented).
bench() {
  local figure="$1" run="$2"; shift 2
  local rc=0
  "${on_client[@]}" "$BENCH" "$@" >"$out/$figure-$run.out" 2>&1 || rc=$?
  sed 's/^/    /' "$out/$figure-$run.out" | grep -v '^    {' || true
  grep '^{' "$out/$figure-$run.out" | tail -1 >"$out/$figure-$run.json" || true
  [[ $rc == 0 ]] || echo "    (omx-bench exited $rc: its figure counts as not met)"
}

create_waiting_job() { # URL -> job id (a job that waits for approval: it never changes)
  curl -sf -X POST "$1/v1/jobs" -H 'Content-Type: application/json' \
    -d '{"provider":"codex","mode":"team","repo":"acme/widget","ref":"main","task":"bench","options":{"requireApproval":true}}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["jobId"])'
}

for run in $(seq 1 "$runs"); do
  echo "== run $run of $runs"
  if want get; then
    echo "-- get: GET /v1/jobs/{id}, 64 connections, ${get_s} s, vs bare-server with the same body size"
    omxd get --role api
    omxd_pid=$PID omxd_url=$URL
    job="$(create_waiting_job "$omxd_url")"
    size="$(curl -sf "$omxd_url/v1/jobs/$job" | wc -c)"
    start "bare-get-$run" "$BARE_SERVER" --listen 127.0.0.1:0 --body-bytes "$size"
    bench get "$run" get --url "$omxd_url" --job "$job" --connections 64 --duration "$get_s" --warmup 1 \
      --pid "$omxd_pid" --baseline-url "$URL" --baseline-pid "$PID"
    stop "$PID"; stop "$omxd_pid"
  fi
  if want create; then
    for fsync in always interval; do
      echo "-- create: POST /v1/jobs, 64 connections, ${create_s} s, --fsync $fsync (--role api)"
      omxd "create-$fsync" --role api --fsync "$fsync"
      bench "create-$fsync" "$run" create --url "$URL" --connections 64 --duration "$create_s" --warmup 1 --pid "$PID"
      stop "$PID"
    done
  fi
  if want sse; then
    for subs in 1000 10000; do
      events=$([[ $subs == 1000 ]] && echo "$sse_events_1k" || echo "$sse_events_10k")
      echo "-- sse: $subs subscribers on one job, $events mailbox events, vs bare-server fan-out"
      omxd "sse-$subs" --role api
      omxd_pid=$PID omxd_url=$URL
      start "bare-sse-$run" "$BARE_SERVER" --listen 127.0.0.1:0
      bench "sse-$subs" "$run" sse --url "$omxd_url" --subscribers "$subs" --events "$events" \
        --pid "$omxd_pid" --baseline-url "$URL" --baseline-pid "$PID"
      stop "$PID"; stop "$omxd_pid"
    done
  fi
  if want team; then
    echo "-- team: $team_jobs team jobs x 6 instant tasks, --max-agents 16, vs bare-spawn of the same command"
    JOB_CLI_BIN="$AGENT" omxd team --role all --skip-clone --max-agents 16
    bench team "$run" team --url "$URL" --jobs "$team_jobs" --connections 16 --pid "$PID" --timeout 300
    stop "$PID"
    "${on_server[@]}" "$BARE_SPAWN" --agent "$AGENT" -n $((team_jobs * 6)) -p 16 >"$out/spawn-$run.out" 2>&1 || true
    sed 's/^/    /' "$out/spawn-$run.out" | grep -v '^    {' || true
    grep '^{' "$out/spawn-$run.out" >"$out/spawn-$run.json" || true
    echo "-- overhead: $overhead_jobs team jobs one at a time (uncontended)"
    JOB_CLI_BIN="$AGENT" omxd overhead --role all --skip-clone --max-agents 16
    bench overhead "$run" team --url "$URL" --jobs "$overhead_jobs" --sequential --pid "$PID" --timeout 300
    stop "$PID"
  fi
  if want recovery; then
    echo "-- recovery: 10 000 finished jobs on disk; idle RSS, RSS per job, overview"
    bench recovery "$run" recovery --omxd "$OMXD" --agent "$AGENT" --jobs 10000 --running 0 --waiting 0 \
      --server-cpus "$SERVER_CPU" --scratch "$tmp/recovery-$run" --keep --timeout 120
  fi
done
wait 2>/dev/null || true

echo
python3 - "$out" "$runs" <<'EOF' | tee "$out/table.md"
import json, os, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])

def load(figure):
    rows = []
    for r in range(1, runs + 1):
        p = os.path.join(out, "%s-%d.json" % (figure, r))
        try:
            rows.append(json.load(open(p)))
        except (OSError, ValueError):
            rows.append(None)
    return rows

def get(j, path):
    for k in path.split("."):
        if not isinstance(j, dict) or k not in j:
            return None
        j = j[k]
    return j

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

def fmt(v, unit=""):
    if v is None:
        return "–"
    if abs(v) >= 1000:
        s = "{:,.0f}".format(v).replace(",", " ")
    elif abs(v) >= 100:
        s = "%.0f" % v
    elif abs(v) >= 10:
        s = "%.1f" % v
    else:
        s = "%.3g" % v
    return s + unit

table = []
def row(figure, omx, base, ratio, target, met, unit="", ok_runs=True):
    if not ok_runs:
        met = False
    table.append((figure, fmt(omx, unit), fmt(base, unit), "–" if ratio is None else "%.2f" % ratio, target,
                  "–" if met is None else ("yes" if met else "NO")))

def clean(rows):  # every run present and without errors
    return all(r is not None and r.get("errors", 1) == 0 for r in rows)

get_rows = load("get")
if any(get_rows):
    o = median([get(r, "reqPerSec") for r in get_rows])
    b = median([get(r, "baseline.reqPerSec") for r in get_rows])
    ratio = median([get(r, "ratio") for r in get_rows])
    row("GET job, req/s (64 conn.)", o, b, ratio, "≥ 0.60 × bare", ratio is not None and ratio >= 0.60, ok_runs=clean(get_rows))
for fsync, target in (("always", 3000), ("interval", 10000)):
    rows = load("create-" + fsync)
    if any(rows):
        o = median([get(r, "jobsPerSec") for r in rows])
        row("POST job, jobs/s, --fsync " + fsync, o, None, None, "≥ " + format(target, ",").replace(",", " "), o is not None and o >= target, ok_runs=clean(rows))
for subs in (1000, 10000):
    rows = load("sse-%d" % subs)
    if any(rows):
        o = median([get(r, "latencyMs.p99") for r in rows])
        b = median([get(r, "baseline.latencyMs.p99") for r in rows])
        ratio = median([get(r, "ratioP99") for r in rows])
        dropped = sum((get(r, "dropped") or 0) + (get(r, "failedToConnect") or 0) for r in rows if r)
        row("SSE p99 delivery, %s subscribers" % format(subs, ",").replace(",", " "), o, b, ratio, "≤ 1.3 × bare",
            ratio is not None and ratio <= 1.3 and dropped == 0, unit=" ms", ok_runs=clean(rows))
        per = median([get(r, "rssPerSubscriberBytes") for r in rows])
        row("RSS per idle subscriber (%s)" % format(subs, ",").replace(",", " "), None if per is None else per / 1024, None, None,
            "≤ 8 KiB", per is not None and per <= 8 * 1024, unit=" KiB", ok_runs=clean(rows))
team_rows, spawn_rows = load("team"), load("spawn")
if any(team_rows):
    o = median([get(r, "tasksPerSec") for r in team_rows])
    b = median([get(r, "processesPerSec") for r in spawn_rows])
    ratios = [get(t, "tasksPerSec") / get(s, "processesPerSec") for t, s in zip(team_rows, spawn_rows)
              if get(t, "tasksPerSec") and get(s, "processesPerSec")]
    ratio = median(ratios)
    row("team, tasks/s (100 jobs, 16 agents)", o, b, ratio, "≥ 0.70 × bare spawn", ratio is not None and ratio >= 0.70, ok_runs=clean(team_rows))
over_rows = load("overhead")
if any(over_rows):
    o = median([get(r, "overheadPerTaskMs.p50") for r in over_rows])
    row("overhead per task, uncontended", o, None, None, "≤ 2 ms", o is not None and o <= 2, unit=" ms", ok_runs=clean(over_rows))
rec_rows = load("recovery")
if any(rec_rows):
    o = median([get(r, "readySeconds") for r in rec_rows])
    row("recovery, 10 000 jobs on disk", o, None, None, "≤ 1 s", o is not None and o <= 1, unit=" s", ok_runs=clean(rec_rows))
    idle = median([get(r, "idleRssKiB") for r in rec_rows])
    row("idle RSS", None if idle is None else idle / 1024, None, None, "≤ 10 MiB", idle is not None and idle <= 10 * 1024, unit=" MiB")
    per = median([get(r, "rssPerJobBytes") for r in rec_rows])
    row("RSS per finished job", None if per is None else per / 1024, None, None, "≤ 4 KiB", per is not None and per <= 4096, unit=" KiB", ok_runs=clean(rec_rows))
    ov = median([get(r, "overviewMs.p50") for r in rec_rows])
    ov99 = median([get(r, "overviewMs.p99") for r in rec_rows])
    row("overview at 10 000 jobs, p50 (p99 %s)" % fmt(ov99, " ms"), ov, None, None, "≤ 2 ms", ov is not None and ov <= 2, unit=" ms", ok_runs=clean(rec_rows))

head = ("figure", "omx", "baseline", "ratio", "target", "met")
widths = [max(len(str(r[i])) for r in table + [head]) for i in range(len(head))]
line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
print(line(head))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in table:
    print(line(r))
print("\nmedian of %d run(s) each; raw JSON lines in %s" % (runs, out))
EOF
