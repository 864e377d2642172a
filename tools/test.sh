#!/usr/bin/env bash
# Installs what is missing, builds omx and runs the whole test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
start=$(date +%s)
tools/build.sh
echo "test.sh: build took $(( $(date +%s) - start )) s"
start=$(date +%s)
ctest --test-dir build --output-on-failure -j 2
echo "test.sh: tests took $(( $(date +%s) - start )) s"
