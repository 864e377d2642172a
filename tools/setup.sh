#!/usr/bin/env bash
# Installs what building and testing omx needs on Debian 12, if missing.
# Boost 1.81 comes from libboost1.81-all-dev plus libboost-json1.81-dev
# (never the unversioned libboost-all-dev: it is 1.74 and conflicts).
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache git curl ca-certificates
  libboost1.81-all-dev libboost-json1.81-dev
  libjemalloc-dev libhiredis-dev redis-server strace python3
  tmux chromium python3-prometheus-client
  bubblewrap clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The real agent CLIs the end-to-end tests run (pinned, into ./.tools).
"$(dirname "$0")/install-agents.sh"
# The dashboard's and API docs' npm packages (Swagger UI, Playwright, validators).
"$(dirname "$0")/install-web-tools.sh"
