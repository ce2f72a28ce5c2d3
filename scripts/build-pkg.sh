#!/usr/bin/env bash
# Builds the npm package into pkg/dist/ (generated, gitignored): the core
# compiled to wasm with the `wasm` feature, wasm-bindgen's web glue, the
# wasm shrunk by wasm-opt -Oz (npm binaryen, never Debian's), and one
# bundle per environment made by esbuild from the hand-written pkg/src/:
#   dist/web.js      browsers and bundlers (minified; top-level await init)
#   dist/node.mjs    Node import        dist/node.cjs  Node require
#   dist/workerd.js  Cloudflare Workers (imports the .wasm as a module)
# Then prints the browser download size (scripts/size.sh).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

DIST=pkg/dist

# Two wasm builds of the same code, each for where it runs:
# - dist/edgeflags_bg.wasm, for browsers (web.js): size is its first
#   constraint (issue 3: goal 30 KB gzipped for everything a browser
#   downloads, CI limit 60 KB), so opt-level "z" and wasm-opt -Oz.
# - dist/edgeflags_server.wasm, for Node (node.mjs, node.cjs) and Cloudflare
#   Workers (workerd.js), where nothing is downloaded per page view and the
#   speed of every evaluation counts: opt-level 3 and wasm-opt -O3. Measured
#   in Node (bench/decompose.mjs): a rule flag with a fresh object about
#   350 -> 230 ns, the core's own work 2x faster, for 70 vs 55 KB gzipped.
# Both rebuild std with the `immediate-abort` panic strategy (-Zbuild-std,
# allowed on the stable toolchain by RUSTC_BOOTSTRAP=1, with the rust-src
# component that scripts/setup.sh installs): panics, which are bugs here
# anyway, trap at once instead of formatting a message, which drops the
# panic machinery and much of core::fmt (87 -> 72 KB gzipped for the
# browser wasm alone). Each has its own target dir, so its std never
# invalidates the Worker's wasm32 build or the native one.
# EDGEFLAGS_WASM_OPT_LEVEL=z|s|3 overrides the browser build's opt-level.
WASM_OPT=("$WASM_OPT_BIN" --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --strip-debug --strip-producers)
mkdir -p "$DIST"
rm -rf "$DIST/glue" "$DIST/glue-server"

# build <opt-level> <target dir> <glue dir>: the core's wasm and its glue.
build() {
  local level="$1" target="$2" glue="$3"
  case "$level" in s | z) level="\"$level\"" ;; esac
  RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" CARGO_TARGET_DIR="$target" \
    cargo build --release --target wasm32-unknown-unknown -p edgeflags --lib --features wasm \
    --config "profile.release.opt-level=$level" -Zbuild-std=std,panic_abort
  wasm-bindgen --target web --out-dir "$glue" --out-name edgeflags "$target/wasm32-unknown-unknown/release/edgeflags.wasm"
}
build "${EDGEFLAGS_WASM_OPT_LEVEL:-z}" "$ROOT/target/pkg-wasm" "$DIST/glue"
"${WASM_OPT[@]}" -Oz "$DIST/glue/edgeflags_bg.wasm" -o "$DIST/edgeflags_bg.wasm"
build 3 "$ROOT/target/pkg-wasm-server" "$DIST/glue-server"
"${WASM_OPT[@]}" -O3 "$DIST/glue-server/edgeflags_bg.wasm" -o "$DIST/edgeflags_server.wasm"
# One glue serves both wasm files: they export the same functions.
if ! cmp -s "$DIST/glue/edgeflags.js" "$DIST/glue-server/edgeflags.js"; then
  echo "build-pkg: the two wasm builds need different glue; they must export the same API" >&2
  exit 1
fi
rm -rf "$DIST/glue-server"

ESB=("$ESBUILD_BIN" --bundle --log-level=warning --target=es2022 --legal-comments=none)
"${ESB[@]}" pkg/src/web.js --format=esm --platform=browser --minify --outfile="$DIST/web.js"
"${ESB[@]}" pkg/src/node.js --format=esm --platform=node --outfile="$DIST/node.mjs"
# The glue's default init reads import.meta.url; CJS never takes that path
# (node-cjs.js passes the wasm bytes), so the warning is silenced.
"${ESB[@]}" pkg/src/node-cjs.js --format=cjs --platform=node --log-override:empty-import-meta=silent \
  --outfile="$DIST/node.cjs"
"${ESB[@]}" pkg/src/workerd.js --format=esm --platform=neutral --external:*.wasm --outfile="$DIST/workerd.js"
# The same declarations serve `require` (TypeScript wants .d.cts for CJS).
cp pkg/index.d.ts "$DIST/index.d.cts"

bash scripts/size.sh --no-fail
