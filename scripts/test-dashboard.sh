#!/usr/bin/env bash
# The dashboard's tests: type-checks dashboard/ (tsc --noEmit, strict),
# builds what they need (the npm package when missing, the dashboard and
# the Worker: scripts/build-worker.sh, which builds the dashboard first;
# each a no-op when up to date), then drives Debian's headless Chromium
# (playwright-core) against the Worker in workerd (Miniflare, on a port of
# 127.0.0.1): tests/dashboard/*.test.mjs. Screenshots of every page go to
# target/dashboard-screens/ (not committed).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
tsc --noEmit -p dashboard
[ -f pkg/dist/web.js ] || bash scripts/build-pkg.sh
bash scripts/build-worker.sh
node --test --test-reporter=spec --test-timeout=120000 tests/dashboard/*.test.mjs
