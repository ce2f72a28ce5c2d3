#!/usr/bin/env bash
# Builds the Worker into worker/build/ (index.js + index_bg.wasm) with
# worker-build in release mode: the root Cargo.toml's release profile
# (opt-level 3, LTO, one codegen unit, panic=abort), then wasm-opt. The
# tools come from scripts/env.sh (WASM_BINDGEN_BIN, ESBUILD_BIN,
# WASM_OPT_BIN), so nothing is downloaded. The JS entry is worker-build's
# own (a WorkerEntrypoint with panic recovery, and a method for every
# `#[event(...)]` handler the crate exports); its `worker/build/worker/shim.mjs`
# re-export, kept by worker-build for old configurations, is removed:
# wrangler.toml, the tests and the bench load index.js. Skips the build
# when the output is newer than every input; FORCE=1 rebuilds.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
# The dashboard's static files (wrangler.toml [assets]); a no-op when up to date.
bash scripts/build-dashboard.sh
out=worker/build/index_bg.wasm
inputs=(src worker/src worker/Cargo.toml Cargo.toml Cargo.lock scripts/build-worker.sh)
if [ "${FORCE:-0}" != 1 ] && [ -f "$out" ] && [ -f worker/build/index.js ] \
   && [ -z "$(find "${inputs[@]}" -newer "$out" -print -quit)" ]; then
  echo "[build-worker] up to date: $out"
  exit 0
fi
echo "[build-worker] worker-build --release (a few minutes on a cold cache)"
# An inherited CUSTOM_SHIM would make worker-build use the old bundler layout.
(cd worker && env -u CUSTOM_SHIM worker-build --release)
rm -rf worker/build/worker
for f in worker/build/index.js "$out"; do
  [ -f "$f" ] || { echo "[build-worker] worker-build did not write $f" >&2; exit 1; }
done
grep -q '"./index_bg.wasm"' worker/build/index.js || { echo "[build-worker] the entry does not import index_bg.wasm" >&2; exit 1; }
touch "$out"
raw=$(wc -c <"$out")
gz=$(gzip -9 -c "$out" | wc -c)
echo "[build-worker] $out: $raw bytes, $gz gzipped; worker/build/index.js: $(wc -c <worker/build/index.js) bytes"
