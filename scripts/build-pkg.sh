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

# Size is the browser package's first constraint (issue 3: goal 30 KB
# gzipped for everything a browser downloads, CI limit 60 KB), so its wasm
# is built unlike the native code:
# - std is rebuilt with the `immediate-abort` panic strategy
#   (-Zbuild-std, allowed on the stable toolchain by RUSTC_BOOTSTRAP=1, with
#   the rust-src component that scripts/setup.sh installs): panics, which are
#   bugs here anyway, trap at once instead of formatting a message, which
#   drops the panic machinery and much of core::fmt. Measured: 87 -> 72 KB
#   gzipped for the wasm alone at opt-level "z".
# - opt-level "z" for the core (the native builds keep the workspace's 3):
#   the smallest. Measured (browser download gzipped / 10,000-flag load in
#   Node, warm): "z" 52.3 KB / ~45 ms, "s" 55.3 KB / ~36 ms
#   (bench/ANALYSIS.md). EDGEFLAGS_WASM_OPT_LEVEL=z|s|3 overrides it.
# - every other crate (std, alloc, dlmalloc, wasm-bindgen) at "s": the
#   allocator and Vec growth are a large part of a load, and "s" there costs
#   no size (load ~49 -> ~46 ms); "2" or "3" cost 0.7-1.2 KB for 2-3 ms more.
# - -Zlocation-detail=none (no file/line strings: a panic traps without a
#   message anyway) and -Zfmt-debug=none (empty Debug output), with wasm-opt's
#   --converge: 0.4 KB gzipped.
# It has its own target dir, so its std never invalidates the Worker's
# wasm32 build or the native one.
level="${EDGEFLAGS_WASM_OPT_LEVEL:-z}"
case "$level" in s | z) level="\"$level\"" ;; esac
PKG_TARGET="$ROOT/target/pkg-wasm"
WASM_IN="$PKG_TARGET/wasm32-unknown-unknown/release/edgeflags.wasm"
RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none" CARGO_TARGET_DIR="$PKG_TARGET" \
  cargo build --release --target wasm32-unknown-unknown -p edgeflags --lib --features wasm \
  --config "profile.release.opt-level=$level" --config 'profile.release.package."*".opt-level="s"' \
  -Zbuild-std=std,panic_abort

# core::fmt is about 3.5 KB of the wasm (1.8 KB gzipped), and one `format!`, `write!` or
# `to_string()` on a Display type that the package can reach brings all of
# it back (the core builds messages with crate::error::msg! instead).
if grep -q '4core3fmt5write' "$WASM_IN"; then
  echo "build-pkg: warning: core::fmt is in the package wasm again (a format!/write!/to_string() reachable from src/wasm.rs; twiggy paths finds it)" >&2
fi

mkdir -p "$DIST"
rm -rf "$DIST/glue"
wasm-bindgen --target web --out-dir "$DIST/glue" --out-name edgeflags "$WASM_IN"
"$WASM_OPT_BIN" -Oz --converge --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --strip-debug --strip-producers "$DIST/glue/edgeflags_bg.wasm" -o "$DIST/edgeflags_bg.wasm"

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
