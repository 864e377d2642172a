#!/usr/bin/env bash
# Installs the agent CLIs the end-to-end tests run, pinned, into the
# repository's own prefix .tools/ (git-ignored), never system-wide:
#   @openai/codex  ->  .tools/node_modules/.bin/codex
# Idempotent: does nothing when the pinned version is already there.
# Installs nodejs and npm with apt only if npm is missing.
# The npm package carries codex's native binary (optional dependency
# @openai/codex-linux-x64 etc.); nothing is downloaded at first run.
# See docs/CODEX_MOCK.md.
set -euo pipefail

cd "$(dirname "$0")/.."

CODEX_VERSION="${OMX_CODEX_VERSION:-0.169.0}"
prefix="$PWD/.tools"
pkg_json="$prefix/node_modules/@openai/codex/package.json"

if ! command -v npm >/dev/null 2>&1; then
  echo "install-agents: npm not found, installing nodejs and npm with apt"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    nodejs npm >/dev/null
fi

installed_version() {
  [ -f "$pkg_json" ] || return 0
  node -e 'process.stdout.write(String(require(process.argv[1]).version || ""))' "$pkg_json" 2>/dev/null || true
}

# The native binary lives in the platform package, e.g.
# .tools/node_modules/@openai/codex-linux-x64/vendor/<triple>/bin/codex.
native_binary_present() {
  local f
  for f in "$prefix"/node_modules/@openai/codex-*/vendor/*/bin/codex; do
    [ -x "$f" ] && return 0
  done
  return 1
}

if [ "$(installed_version)" = "$CODEX_VERSION" ] && native_binary_present; then
  echo "install-agents: @openai/codex $CODEX_VERSION already installed in .tools"
else
  echo "install-agents: installing @openai/codex@$CODEX_VERSION into .tools"
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --save-exact --no-fund --no-audit --no-update-notifier \
    --loglevel=error "@openai/codex@$CODEX_VERSION"
  if [ "$(installed_version)" != "$CODEX_VERSION" ] || ! native_binary_present; then
    echo "install-agents: @openai/codex $CODEX_VERSION did not install its native binary" >&2
    exit 1
  fi
fi

# Smoke check. Any codex invocation creates files under $CODEX_HOME
# (default ~/.codex), so give it a throw-away one.
codex_bin="$prefix/node_modules/.bin/codex"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
version_line="$(CODEX_HOME="$scratch" "$codex_bin" --version 2>/dev/null </dev/null || true)"
if [ "$version_line" != "codex-cli $CODEX_VERSION" ]; then
  echo "install-agents: $codex_bin --version printed '$version_line'," \
       "expected 'codex-cli $CODEX_VERSION'" >&2
  exit 1
fi
echo "install-agents: $version_line: $codex_bin"
