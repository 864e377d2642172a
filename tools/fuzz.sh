#!/usr/bin/env bash
# The fuzzing tier: builds the libFuzzer targets of tests/fuzz/ with clang
# (./build-fuzz, -DOMX_FUZZ=ON: the pure core with ASan and UBSan) and runs
# each for OMX_FUZZ_SECONDS (default 60), two at a time. Any crash, leak,
# sanitizer report or timeout fails the run; the input that caused it is kept
# in build-fuzz/artifacts/ and printed.
# Usage: tools/fuzz.sh [target...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${OMX_FUZZ_SECONDS:-60}
dir=build-fuzz
formats=$(cd .. && pwd)/shared/spec/formats

start=$(date +%s)
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOMX_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$dir" -j "$(nproc)" --target fuzz
echo "fuzz.sh: build took $(( $(date +%s) - start )) s"

targets=("$@")
((${#targets[@]})) || targets=(http_request_fuzz job_request_fuzz codex_output_fuzz claude_output_fuzz gemini_output_fuzz)

seeds_of() { # the read-only seed directories of a target
  case $1 in
    http_request_fuzz) echo tests/fuzz/seeds/http_request ;;
    job_request_fuzz) echo tests/fuzz/seeds/job_request ;;
    *_output_fuzz) echo "$formats tests/fuzz/seeds/agent_output" ;;
  esac
}

run() { # target: its own corpus (grown across runs) first, then the seeds
  local t=$1 corpus=$dir/corpus/$1
  mkdir -p "$corpus" "$dir/artifacts"
  # shellcheck disable=SC2046 # several seed directories, none with spaces
  "$dir/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/$t-" "$corpus" $(seeds_of "$t") >"$dir/$t.log" 2>&1
}

start=$(date +%s)
failed=()
pids=()
names=()
for t in "${targets[@]}"; do
  run "$t" &
  pids+=($!)
  names+=("$t")
  if ((${#pids[@]} == 2)); then
    wait "${pids[0]}" || failed+=("${names[0]}")
    pids=("${pids[@]:1}")
    names=("${names[@]:1}")
  fi
done
for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed+=("${names[$i]}"); done

for t in "${targets[@]}"; do
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/$t.log" | grep -o '[0-9]*$' || echo "?")
  echo "fuzz.sh: $t: $execs inputs in ${seconds} s"
done
echo "fuzz.sh: fuzzing took $(( $(date +%s) - start )) s"
if ((${#failed[@]})); then
  for t in "${failed[@]}"; do
    echo "fuzz.sh: $t FAILED; the end of its log ($dir/$t.log):"
    tail -n 60 "$dir/$t.log"
  done
  ls -l "$dir/artifacts/"
  exit 1
fi
