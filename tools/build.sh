#!/usr/bin/env bash
# Configures and builds omx into ./build (RelWithDebInfo, Ninja, ccache when present).
# Usage: tools/build.sh [ninja targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" ${1:+--target "$@"}
