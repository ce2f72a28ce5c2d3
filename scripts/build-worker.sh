#!/usr/bin/env bash
# Builds the Worker into worker/build/ (index.js + index_bg.wasm) with
# worker-build in release mode: the root Cargo.toml's release profile
# (opt-level 3, LTO, one codegen unit, panic=abort), then wasm-opt. The
# tools come from scripts/env.sh (WASM_BINDGEN_BIN, ESBUILD_BIN,
# WASM_OPT_BIN), so nothing is downloaded. The JS entry is our own
# worker/shim.js (worker-build's CUSTOM_SHIM; why in that file), flattened
# to worker/build/index.js + index_bg.wasm. Skips the build when the output
# is newer than every input; FORCE=1 rebuilds.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
out=worker/build/index_bg.wasm
inputs=(src worker/src worker/shim.js worker/Cargo.toml Cargo.toml Cargo.lock)
if [ "${FORCE:-0}" != 1 ] && [ -f "$out" ] && [ -f worker/build/index.js ] \
   && [ -z "$(find "${inputs[@]}" -newer "$out" -print -quit)" ]; then
  echo "[build-worker] up to date: $out"
  exit 0
fi
echo "[build-worker] worker-build --release (a few minutes on a cold cache)"
(cd worker && CUSTOM_SHIM="$ROOT/worker/shim.js" worker-build --release)
# The custom-shim layout is index.js re-exporting worker/shim.mjs, which
# imports worker/index.wasm: make it the two files wrangler.toml, the tests
# and the bench load.
mv worker/build/worker/shim.mjs worker/build/index.js
mv worker/build/worker/index.wasm "$out"
rmdir worker/build/worker
sed -i 's#"./index.wasm"#"./index_bg.wasm"#' worker/build/index.js
grep -q '"./index_bg.wasm"' worker/build/index.js || { echo "[build-worker] the entry does not import index_bg.wasm" >&2; exit 1; }
touch "$out"
raw=$(wc -c <"$out")
gz=$(gzip -9 -c "$out" | wc -c)
echo "[build-worker] $out: $raw bytes, $gz gzipped; worker/build/index.js: $(wc -c <worker/build/index.js) bytes"
