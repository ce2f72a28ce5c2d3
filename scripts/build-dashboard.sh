#!/usr/bin/env bash
# Builds the dashboard (dashboard/: TypeScript, no framework) with Vite
# into dashboard/dist/app/ (generated, gitignored), which the Worker
# serves under /app/ as static assets (wrangler.toml [assets]). The engine
# in the page is the npm package's browser build: pkg/dist/web.js and its
# wasm, built by scripts/build-pkg.sh when missing; Vite copies the wasm as
# an asset next to the scripts. Called by scripts/build-worker.sh, so
# run.sh and the Worker tests get it. Skips the build when the output is
# newer than every input; FORCE=1 rebuilds.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
out=dashboard/dist/app/index.html
[ -f pkg/dist/web.js ] && [ -f pkg/dist/edgeflags_bg.wasm ] || bash scripts/build-pkg.sh
inputs=(dashboard/index.html dashboard/styles.css dashboard/src dashboard/vite.config.ts dashboard/tsconfig.json
  schema/ruleset.schema.json pkg/dist/web.js pkg/dist/edgeflags_bg.wasm scripts/build-dashboard.sh)
if [ "${FORCE:-0}" != 1 ] && [ -f "$out" ] && [ -z "$(find "${inputs[@]}" -newer "$out" -print -quit)" ]; then
  echo "[build-dashboard] up to date: dashboard/dist/app/"
  exit 0
fi
vite build --config dashboard/vite.config.ts
# No inline script or style may reach the page: the CSP forbids them, so
# the app would silently break.
if grep -Eq '<script>|<script [^>]*>[^<]|<style|style=' "$out"; then
  echo "[build-dashboard] $out has inline code, which the CSP blocks" >&2
  exit 1
fi
touch "$out"
echo "[build-dashboard] dashboard/dist/app/: $(du -sk dashboard/dist/app | cut -f1) KiB"
