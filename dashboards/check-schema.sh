#!/usr/bin/env bash
# Checks every dashboard (bmcquiet.json, bmcquiet-fleet.json) against Grafana's dashboard schema (@grafana/schema
# types, tsc) in a scratch copy under WORKDIR, so the source tree stays clean
# and two build trees can check at once. Installs exactly package-lock.json.
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: check-schema.sh WORKDIR}
if ! command -v npm >/dev/null 2>&1; then
  echo "check-schema.sh: npm not found; run scripts/setup-test (it installs node and npm)" >&2
  exit 77
fi
mkdir -p "$work/schema-check"
cp "$src/package.json" "$src/package-lock.json" "$work/"
cp "$src/schema-check/types.ts" "$src/schema-check/generate.mjs" "$src/schema-check/tsconfig.json" \
  "$work/schema-check/"
cd "$work"
npm ci --no-audit --no-fund --loglevel=error
for dashboard in "$src"/*.json; do
  case $dashboard in */package*.json) continue ;; esac
  node schema-check/generate.mjs "$dashboard"
  npx --no-install tsc -p schema-check
  echo "check-schema.sh: $dashboard matches @grafana/schema"
done
