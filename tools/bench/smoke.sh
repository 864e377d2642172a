#!/usr/bin/env bash
# Smoke test of one omx-bench scenario (ctest: bench_smoke_<scenario>): runs
# it with tiny parameters against its own omxd (and baseline) and checks the
# exit code and the keys of the JSON line. Correctness only, no timing.
# Usage: tools/bench/smoke.sh get|create|sse|team|recovery|baselines
# Environment (set by tools/bench/CMakeLists.txt; defaults: ./build):
#   OMX_BENCH OMXD BARE_SERVER BARE_SPAWN INSTANT_AGENT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${OMX_BUILD_DIR:-$here/../../build}"
OMX_BENCH="${OMX_BENCH:-$build/tools/bench/omx-bench}"
OMXD="${OMXD:-$build/omxd}"
BARE_SERVER="${BARE_SERVER:-$build/tools/bench/bare-server}"
BARE_SPAWN="${BARE_SPAWN:-$build/tools/bench/bare-spawn}"
INSTANT_AGENT="${INSTANT_AGENT:-$here/instant-agent.sh}"
scenario="${1:?usage: smoke.sh get|create|sse|team|recovery|baselines}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/omx-bench-smoke-XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ "${OMX_KEEP_TEST_DIRS:-}" == 1 ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# start_server NAME CMD...: starts CMD (which logs "listening on http://HOST:PORT"
# to stderr), sets URL and PID.
start_server() {
  local name="$1"; shift
  "$@" >"$tmp/$name.log" 2>&1 &
  PID=$!
  pids+=("$PID")
  for _ in $(seq 1 200); do
    URL="$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$tmp/$name.log" | head -1 | sed 's/listening on //')" || true
    [[ -n "$URL" ]] && return 0
    kill -0 "$PID" 2>/dev/null || { cat "$tmp/$name.log" >&2; fail "$name exited before listening"; }
    sleep 0.05
  done
  cat "$tmp/$name.log" >&2
  fail "$name did not log its address"
}

start_omxd() { # extra omxd flags...
  start_server omxd "$OMXD" serve --listen 127.0.0.1:0 --state-dir "$tmp/state" --work-root "$tmp/runs" "$@"
}

# run_bench NAME ARGS...: runs omx-bench, expects exit 0, keeps its JSON line in $tmp/NAME.json.
run_bench() {
  local name="$1"; shift
  echo "+ omx-bench $*"
  local rc=0
  "$OMX_BENCH" "$@" >"$tmp/$name.out" 2>&1 || rc=$?
  cat "$tmp/$name.out"
  [[ $rc == 0 ]] || fail "omx-bench $1 exited $rc"
  grep '^{' "$tmp/$name.out" | tail -1 >"$tmp/$name.json"
  [[ -s "$tmp/$name.json" ]] || fail "no JSON line from omx-bench $1"
}

# check NAME PYTHON-EXPR: the expression holds for the JSON line as `j`.
check() {
  python3 - "$tmp/$1.json" "$2" <<'EOF' || fail "$1: $2"
import json, sys
j = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2], {"j": j})
if not ok:
    print("not true: %s\n  in %s" % (sys.argv[2], json.dumps(j)), file=sys.stderr)
    sys.exit(1)
EOF
}

has_latency='all(k in j["latencyMs"] for k in ("p50","p99","max")) and j["latencyMs"]["count"] > 0'

case "$scenario" in
get)
  start_omxd --role api --fsync off
  omxd_pid=$PID omxd_url=$URL
  start_server bare "$BARE_SERVER" --listen 127.0.0.1:0 --body-bytes 500
  run_bench get get --url "$omxd_url" --duration 0.3 --warmup 0.1 --connections 2 --pid "$omxd_pid" --baseline-url "$URL"
  check get 'j["scenario"] == "get" and j["errors"] == 0 and j["requests"] > 0 and j["reqPerSec"] > 0'
  check get "$has_latency"
  check get 'j["target"].startswith("/v1/jobs/") and j["bodyBytes"] > 100'
  check get 'j["server"]["rssKiB"]["peak"] > 0 and "cpuSeconds" in j["server"]'
  check get 'j["baseline"]["reqPerSec"] > 0 and j["baseline"]["bodyBytes"] == 500 and j["ratio"] > 0'
  run_bench overview overview --url "$omxd_url" --calls 20 --pid "$omxd_pid"
  check overview 'j["scenario"] == "overview" and j["errors"] == 0 and j["totalJobs"] >= 1'
  check overview "$has_latency"
  # usage errors are 64
  rc=0; "$OMX_BENCH" get >/dev/null 2>&1 || rc=$?
  [[ $rc == 64 ]] || fail "omx-bench get without --url exited $rc, not 64"
  ;;
create)
  start_omxd --role api
  # A longer window than the others: a loaded machine (the sanitizer tier) may answer no create within 0.3 s.
  run_bench create create --url "$URL" --duration 2 --warmup 0.1 --connections 2 --pid "$PID"
  check create 'j["scenario"] == "create" and j["errors"] == 0 and j["jobs"] > 0 and j["jobsPerSec"] > 0'
  check create "$has_latency"
  n="$(curl -s "$URL/v1/monitor/overview" | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"]["total"])')"
  python3 -c "import json; j=json.load(open('$tmp/create.json')); assert $n >= j['jobs'], ($n, j['jobs'])" ||
    fail "the server holds $n jobs, fewer than the jobs counted"
  ;;
sse)
  start_omxd --role api --fsync off
  omxd_pid=$PID omxd_url=$URL
  start_server bare "$BARE_SERVER" --listen 127.0.0.1:0
  run_bench sse sse --url "$omxd_url" --subscribers 5 --events 3 --pid "$omxd_pid" --baseline-url "$URL" --baseline-pid "$PID"
  check sse 'j["scenario"] == "sse" and j["errors"] == 0 and j["connected"] == 5 and j["held"] == 5 and j["dropped"] == 0'
  check sse "$has_latency"' and j["latencyMs"]["count"] == 3'
  check sse '"rssPerSubscriberBytes" in j and j["baseline"]["held"] == 5 and j["baseline"]["latencyMs"]["count"] == 3 and j["ratioP99"] > 0'
  # the mailbox of the job holds the three messages
  job="$(python3 -c "import json; print(json.load(open('$tmp/sse.json'))['job'])")"
  n="$(curl -s "$omxd_url/v1/jobs/$job/team/mailbox" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
  [[ "$n" == 3 ]] || fail "the job's mailbox holds $n messages, not 3"
  ;;
team)
  JOB_CLI_BIN="$INSTANT_AGENT" start_omxd --role all --skip-clone --max-agents 16 --fsync off
  run_bench team team --url "$URL" --jobs 2 --pid "$PID" --timeout 60
  check team 'j["scenario"] == "team" and j["errors"] == 0 and j["statuses"] == {"succeeded": 2}'
  check team 'j["tasks"] == 12 and j["succeededTasks"] == 12 and j["tasksPerSec"] > 0 and j["jobsPerSec"] > 0'
  check team 'all(k in j["overheadPerTaskMs"] for k in ("p50","p99","mean")) and j["jobLatencyMs"]["count"] == 2'
  run_bench team1 team --url "$URL" --jobs 1 --timeout 60
  check team1 'j["uncontended"] and j["statuses"] == {"succeeded": 1} and j["tasks"] == 6'
  ;;
recovery)
  run_bench recovery recovery --omxd "$OMXD" --agent "$INSTANT_AGENT" --scratch "$tmp/recovery" \
    --jobs 20 --running 1 --waiting 1 --calls 20 --timeout 60
  check recovery 'j["scenario"] == "recovery" and j["errors"] == 0 and j["jobs"] == 22'
  check recovery 'j["listed"] == 22 and j["readable"] == 22 and j["readySeconds"] > 0'
  check recovery 'j["idleRssKiB"] > 0 and j["readyRssKiB"] > 0 and "rssPerJobBytes" in j'
  check recovery 'j["overviewMs"]["count"] == 20'
  if [[ "$(find "$tmp/recovery/state" -mindepth 1 -maxdepth 1 -type d -name '*-*' | wc -l)" != 22 ]]; then
    fail "not 22 generated job directories"
  fi
  ;;
baselines)
  "$BARE_SPAWN" --agent "$INSTANT_AGENT" -n 20 -p 4 >"$tmp/spawn.out" || fail "bare-spawn exited $?"
  cat "$tmp/spawn.out"
  grep '^{' "$tmp/spawn.out" >"$tmp/spawn.json"
  check spawn 'j["scenario"] == "bare-spawn" and j["processes"] == 20 and j["errors"] == 0 and j["processesPerSec"] > 0'
  start_server bare "$BARE_SERVER" --listen 127.0.0.1:0 --body-bytes 300
  run_bench bareget get --url "$URL" --path /anything --duration 0.3 --warmup 0.1 --connections 2 --pid "$PID"
  check bareget 'j["errors"] == 0 and j["bodyBytes"] == 300 and j["requests"] > 0'
  run_bench baresse sse --url "$URL" --bare --subscribers 4 --events 2 --frame-bytes 200
  check baresse 'j["errors"] == 0 and j["held"] == 4 and j["latencyMs"]["count"] == 2'
  # a subscriber that leaves is noticed by bare-server (the next run's publish does not reach it)
  run_bench baresse2 sse --url "$URL" --bare --subscribers 3 --events 2
  check baresse2 'j["errors"] == 0 and j["held"] == 3'
  ;;
*)
  fail "unknown scenario $scenario"
  ;;
esac
echo "smoke $scenario: ok"
