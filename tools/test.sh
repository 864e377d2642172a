#!/usr/bin/env bash
# Installs what is missing, builds omx and runs the whole test suite with ctest,
# in tiers, each only when the one before passed: the core tier (./build,
# RelWithDebInfo); the same suite built with AddressSanitizer and
# UndefinedBehaviorSanitizer (./build-sanitize); the libFuzzer targets, each
# for 60 s (tools/fuzz.sh, ./build-fuzz).
#   tools/test.sh --core        the core tier only
#   tools/test.sh --sanitizers  the sanitizer tier only
#   tools/test.sh --fuzz        the fuzzing tier only
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh

tier() { # name, build dir, ctest exclusion regex (or ""), cmake args...
  local name=$1 dir=$2 exclude=$3; shift 3
  local start=$(date +%s)
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
  echo "test.sh: $name build took $(( $(date +%s) - start )) s"
  start=$(date +%s)
  ctest --test-dir "$dir" --output-on-failure -j 2 --timeout 600 ${exclude:+-E "$exclude"}
  echo "test.sh: $name tests took $(( $(date +%s) - start )) s"
}

only=${1:-}
case $only in ""|--core|--sanitizers|--fuzz) ;; *) echo "usage: tools/test.sh [--core|--sanitizers|--fuzz]" >&2; exit 64 ;; esac
started=$(date +%s)
if [ -z "$only" ] || [ "$only" = --core ]; then
  tier core build "" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
if [ -z "$only" ] || [ "$only" = --sanitizers ]; then
  # Leak checking is off: a stopped io_context leaves coroutine frames behind by design.
  # The `<suite>_redis` repeats of the API and engine suites run in the core tier
  # only: under ASan on 2 cores they take 3-5 times as long and miss their
  # deadlines; the Redis code itself runs here in tests/redis/ and tests/cluster/.
  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    tier sanitizers build-sanitize '_redis$' -DCMAKE_BUILD_TYPE=Debug -DOMX_SANITIZE=ON -DCMAKE_CXX_FLAGS_DEBUG="-g -O1"
fi
if [ -z "$only" ] || [ "$only" = --fuzz ]; then
  tools/fuzz.sh
fi
echo "test.sh: all tiers took $(( $(date +%s) - started )) s"
