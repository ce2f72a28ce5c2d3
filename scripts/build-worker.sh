#!/usr/bin/env bash
# Builds the Worker into worker/build/ (index.js + index_bg.wasm) with
# worker-build in release mode: the root Cargo.toml's release profile
# (opt-level 3, LTO, one codegen unit, panic=abort), then wasm-opt. The
# tools come from scripts/env.sh (WASM_BINDGEN_BIN, ESBUILD_BIN,
# WASM_OPT_BIN), so nothing is downloaded. Skips the build when the output
# is newer than every input; FORCE=1 rebuilds.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
out=worker/build/index_bg.wasm
inputs=(src worker/src worker/Cargo.toml Cargo.toml Cargo.lock)
if [ "${FORCE:-0}" != 1 ] && [ -f "$out" ] && [ -f worker/build/index.js ] \
   && [ -z "$(find "${inputs[@]}" -newer "$out" -print -quit)" ]; then
  echo "[build-worker] up to date: $out"
  exit 0
fi
echo "[build-worker] worker-build --release (a few minutes on a cold cache)"
(cd worker && worker-build --release)
touch "$out"
raw=$(wc -c <"$out")
gz=$(gzip -9 -c "$out" | wc -c)
echo "[build-worker] $out: $raw bytes, $gz gzipped; worker/build/index.js: $(wc -c <worker/build/index.js) bytes"
