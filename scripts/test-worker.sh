#!/usr/bin/env bash
# The Worker's tests: builds what they need (the Worker, scripts/build-worker.sh,
# release profile; the native CLI release binary and the npm package, which
# differential.test.mjs and package.test.mjs compare the Worker with), then
# runs tests/worker/*.test.mjs under `node --test`: the built Worker in the
# real Workers runtime (workerd via Miniflare's programmatic API), KV seeded
# by each test, real upstream servers on 127.0.0.1 for the routing tests,
# the bucketing vectors (tests/vectors/bucketing.json, vendored from
# ../shared) and the evaluation vectors from tests/vectors/, OFREP with the
# official Node and Python OpenFeature SDKs (ofrep*.test.mjs; the Python
# packages come from scripts/setup.sh) and the OFREP conformance runner.
#
# differential.test.mjs prints its seed; EDGEFLAGS_DIFF_SEED=<seed> reruns it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
# The wasm-only runtime module is invisible to the workspace's native
# clippy run: lint it for its real target.
cargo clippy -q -p edgeflags-worker --target wasm32-unknown-unknown -- -D warnings
bash scripts/build-worker.sh
# The CLI side of differential.test.mjs (cargo skips it when up to date).
cargo build -q --release --bin edgeflags
# The package side of package.test.mjs and differential.test.mjs.
[ -f pkg/dist/node.mjs ] || bash scripts/build-pkg.sh
# Each test file starts its own workerd; a hung runtime must not hang CI.
node --test --test-reporter=spec --test-timeout=120000 tests/worker/*.test.mjs
