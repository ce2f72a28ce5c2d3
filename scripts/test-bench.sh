#!/usr/bin/env bash
# Tests of the benchmark harness (no timings): every peer's translation of
# the 50-flag ruleset passes the equivalence check, the check rejects a
# wrong translation, edgeflags' translation gives the logical results in
# the native core and in the npm package (built here when missing), and
# the committed bench/ruleset/ files are current. Installs bench/
# dependencies (its own package.json) when missing.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
if [ ! -f bench/node_modules/.package-lock.json ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  (cd bench && npm install --no-audit --no-fund --loglevel=error)
fi
# The npm package through its exports map, as scripts/bench.sh links it;
# built first when missing, so its check always runs (EDGEFLAGS_REQUIRE_PKG).
[ -f pkg/dist/node.mjs ] || bash scripts/build-pkg.sh
ln -sfn ../../pkg bench/node_modules/edgeflags
export EDGEFLAGS_REQUIRE_PKG=1
cd bench
NODE_ENV=production node --test test/*.test.mjs
