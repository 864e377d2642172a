#!/usr/bin/env bash
# Installs the npm packages the dashboard, API docs and their tests use,
# pinned, into the repository's own prefix .tools/ (git-ignored):
#   swagger-ui-dist               served by omxd at /docs
#   playwright-core               drives Debian's chromium in the dashboard test
#   @apidevtools/swagger-parser,  validate /openapi.json and real responses
#   ajv, ajv-formats
# Idempotent: does nothing when every pinned version is already there.
set -euo pipefail

cd "$(dirname "$0")/.."
prefix="$PWD/.tools"

packages=(
  swagger-ui-dist@5.35.0
  playwright-core@1.65.1
  @apidevtools/swagger-parser@13.1.0
  ajv@8.20.0
  ajv-formats@3.0.1
)

installed_version() { # package name
  local pkg_json="$prefix/node_modules/$1/package.json"
  [ -f "$pkg_json" ] || return 0
  node -e 'process.stdout.write(String(require(process.argv[1]).version || ""))' "$pkg_json" 2>/dev/null || true
}

missing=()
for spec in "${packages[@]}"; do
  name="${spec%@*}" version="${spec##*@}"
  [ "$(installed_version "$name")" = "$version" ] || missing+=("$spec")
done

if ((${#missing[@]})); then
  echo "install-web-tools: installing ${missing[*]} into .tools"
  mkdir -p "$prefix"
  SCARF_ANALYTICS=false npm install --prefix "$prefix" --save-exact --no-fund --no-audit --no-update-notifier \
    --loglevel=error "${missing[@]}"
else
  echo "install-web-tools: ${#packages[@]} pinned packages already installed in .tools"
fi
