#!/usr/bin/env bash
# Installs what is missing, builds omx and runs the whole test suite with ctest,
# in two tiers: the core tier (./build, RelWithDebInfo), then — only when it
# passed — the same suite built with AddressSanitizer and UndefinedBehaviorSanitizer
# (./build-sanitize). `tools/test.sh --core` runs the core tier only.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh

tier() { # name, build dir, cmake args...
  local name=$1 dir=$2; shift 2
  local start=$(date +%s)
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
  echo "test.sh: $name build took $(( $(date +%s) - start )) s"
  start=$(date +%s)
  ctest --test-dir "$dir" --output-on-failure -j 2 --timeout 600
  echo "test.sh: $name tests took $(( $(date +%s) - start )) s"
}

tier core build -DCMAKE_BUILD_TYPE=RelWithDebInfo
[ "${1:-}" = "--core" ] && exit 0
# Leak checking is off: a stopped io_context leaves coroutine frames behind by design.
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  tier sanitizers build-sanitize -DCMAKE_BUILD_TYPE=Debug -DOMX_SANITIZE=ON -DCMAKE_CXX_FLAGS_DEBUG="-g -O1"
