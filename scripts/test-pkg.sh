#!/usr/bin/env bash
# The npm package's tests (issue 3), on a fresh clone and when run twice:
# builds pkg/dist/ (scripts/build-pkg.sh) and the native CLI, then runs
# every suite in tests/js/ under node --test:
#   api.test.mjs / api.test.cjs   the API over the ESM and the CJS build
#   seeds-pattern.test.mjs        the seeds' enable/disable test pattern
#   vectors.test.mjs              the shared bucketing vectors in Node
#   eval-vectors.test.mjs         the evaluation vectors, both wasm builds
#   contexts.test.mjs             prepared contexts in a loop: flat memory and speed
#   sync.test.mjs                 syncFlags against a local ETag/304 server
#   events.test.mjs               experiment events (options.events, track, the
#                                 providers' track) against a local /v1/events
#                                 stand-in: dedup, batches, retries, drops
#   cli-compare.test.mjs          10,000 contexts: package == native CLI
#   pack.test.mjs                 npm pack, installed into a fresh folder
#   openfeature.test.mjs          edgeflags/openfeature under @openfeature/server-sdk
#                                 and @openfeature/web-sdk: vectors, events, errors
#   browser.test.mjs              headless Chromium: plain module page + Vite app +
#                                 the web provider under @openfeature/web-sdk
#   react-example.test.mjs        examples/react (Vite + @openfeature/react-sdk) in Chromium
#   events-browser.test.mjs       experiment events from a page in Chromium: the
#                                 beacon on hide, dist/sender.js only when used
#   worker.test.mjs               a JS Worker using the package, in workerd
#   types.test.mjs                tsc --noEmit --strict over index.d.ts and
#                                 openfeature.d.ts usage
# and last the size check (scripts/size.sh: fails above its limit, LIMIT_GZ).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"


# The binding's own checks (src/wasm/, behind the `wasm` feature, which
# the workspace-wide lint and test steps do not enable): natively, the
# batch and the ABI constants (pkg/src/abi.js mirrors src/wasm/abi.rs)...
cargo clippy -q -p edgeflags --lib --tests --features wasm -- -D warnings
cargo test -q -p edgeflags --lib --features wasm wasm::
cargo test -q -p edgeflags --features wasm --test wasm_abi
# ...and edgeflags/openfeature's mirror of the core's OpenFeature rules
# (pkg/src/openfeature-mapping.js), run in Node against edgeflags::openfeature.
EDGEFLAGS_REQUIRE_NODE=1 cargo test -q -p edgeflags --test openfeature_js
# ...and in wasm with real JS values (wasm-bindgen-test, one body in
# tests/wasm/common.rs): in Node, then in headless Chromium.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
CARGO_TARGET_DIR="$ROOT/target/wasm-test" cargo test -p edgeflags --target wasm32-unknown-unknown --no-default-features --features wasm --test wasm_node
CHROMEDRIVER="$CHROMEDRIVER" CARGO_TARGET_DIR="$ROOT/target/wasm-test" \
  cargo test -p edgeflags --target wasm32-unknown-unknown --no-default-features --features wasm --test wasm_browser
bash scripts/build-pkg.sh
# The React example that react-example.test.mjs serves (examples/react/dist/).
bash scripts/build-example-react.sh
# The CLI that cli-compare.test.mjs runs (built here, not inside a test timeout).
cargo build -q --release --bin edgeflags
# tests/js's own dev dependency (typescript, for the type check), installed
# from its lockfile only when missing or changed; npm prunes the link below,
# so it is made afterwards.
if [ ! -f tests/js/node_modules/.package-lock.json ] || [ tests/js/package-lock.json -nt tests/js/node_modules/.package-lock.json ]; then
  (cd tests/js && npm install --no-audit --no-fund)
fi
# The Vite app, the JS Worker and the type check import the package by
# name, as users do.
ln -sfn ../../../pkg tests/js/node_modules/edgeflags

node --test --test-timeout=600000 tests/js/*.test.mjs tests/js/*.test.cjs

echo "== size check (browser download, gzip -9)"
bash scripts/size.sh
