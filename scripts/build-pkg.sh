#!/usr/bin/env bash
# Builds the npm package into pkg/dist/ (generated, gitignored): the core
# compiled to wasm with the `wasm` feature, wasm-bindgen's web glue, the
# wasm shrunk by wasm-opt -Oz (npm binaryen, never Debian's), and one
# bundle per environment made by esbuild from the hand-written pkg/src/:
#   dist/web.js      browsers and bundlers (minified; top-level await init)
#   dist/sender.js   its experiment event sender, loaded only when used
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
#   downloads, CI limit 60 KB).
#   - opt-level "z" for the core (the native builds keep the workspace's
#     3): the smallest. Measured (browser download gzipped / 10,000-flag
#     load in Node, warm): "z" 52.3 KB / ~45 ms, "s" 55.3 KB / ~36 ms
#     (bench/ANALYSIS.md). EDGEFLAGS_WASM_OPT_LEVEL=z|s|3 overrides it.
#   - every other crate (std, alloc, dlmalloc, wasm-bindgen) at "s": the
#     allocator and Vec growth are a large part of a load, and "s" there
#     costs no size (load ~49 -> ~46 ms); "2" or "3" cost 0.7-1.2 KB.
#   - wasm-opt -Oz --converge.
# - dist/edgeflags_server.wasm, for Node (node.mjs, node.cjs) and Cloudflare
#   Workers (workerd.js), where nothing is downloaded per page view and the
#   speed of every evaluation counts: opt-level 3 for every crate and
#   wasm-opt -O3. Measured in Node: a rule flag with a fresh object about
#   350 -> 230 ns, the core's own work about 2x faster, for ~70 vs ~52 KB
#   gzipped.
# Both rebuild std with the `immediate-abort` panic strategy (-Zbuild-std,
# allowed on the stable toolchain by RUSTC_BOOTSTRAP=1, with the rust-src
# component that scripts/setup.sh installs): panics, which are bugs here
# anyway, trap at once instead of formatting a message, which drops the
# panic machinery and much of core::fmt (87 -> 72 KB gzipped for the
# browser wasm alone); with -Zlocation-detail=none (no file/line strings: a
# panic traps without a message anyway) and -Zfmt-debug=none (empty Debug
# output): 0.4 KB gzipped. Each has its own target dir, so its std never
# invalidates the Worker's wasm32 build or the native one.
RUSTFLAGS_PKG="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none"
WASM_OPT=("$WASM_OPT_BIN" --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --strip-debug --strip-producers)
mkdir -p "$DIST"
rm -rf "$DIST/glue" "$DIST/glue-server"

# build <core opt-level> <other crates' opt-level> <target dir> <glue dir> <features>:
# the core's wasm and its glue. The browser build has `wasm` only (no JSON
# text reader: the package's JS parses JSON text and values cross through
# serde-wasm-bindgen); the Node/Workers build adds `json` (Engine::load_text).
build() {
  local level="$1" deps="$2" target="$3" glue="$4" features="$5"
  case "$level" in s | z) level="\"$level\"" ;; esac
  case "$deps" in s | z) deps="\"$deps\"" ;; esac
  RUSTC_BOOTSTRAP=1 RUSTFLAGS="$RUSTFLAGS_PKG" CARGO_TARGET_DIR="$target" \
    cargo build --release --target wasm32-unknown-unknown -p edgeflags --lib --no-default-features --features "$features" \
    --config "profile.release.opt-level=$level" --config "profile.release.package.\"*\".opt-level=$deps" \
    -Zbuild-std=std,panic_abort
  wasm-bindgen --target web --out-dir "$glue" --out-name edgeflags "$target/wasm32-unknown-unknown/release/edgeflags.wasm"
}
build "${EDGEFLAGS_WASM_OPT_LEVEL:-z}" s "$ROOT/target/pkg-wasm" "$DIST/glue" wasm
"${WASM_OPT[@]}" -Oz --converge "$DIST/glue/edgeflags_bg.wasm" -o "$DIST/edgeflags_bg.wasm"
build 3 3 "$ROOT/target/pkg-wasm-server" "$DIST/glue-server" wasm,json
"${WASM_OPT[@]}" -O3 "$DIST/glue-server/edgeflags_bg.wasm" -o "$DIST/edgeflags_server.wasm"
# One glue serves both wasm files: they export the same functions.
if ! cmp -s "$DIST/glue/edgeflags.js" "$DIST/glue-server/edgeflags.js"; then
  echo "build-pkg: the two wasm builds need different glue; they must export the same API" >&2
  exit 1
fi
rm -rf "$DIST/glue-server"

ESB=("$ESBUILD_BIN" --bundle --log-level=warning --target=es2022 --legal-comments=none)
# The experiment event sender (pkg/src/sender.js) stays out of web.js: a
# page fetches dist/sender.js only when an instance records events (a
# dynamic import, kept as written: the two files sit side by side). The
# other entries bundle it.
"${ESB[@]}" pkg/src/web.js --format=esm --platform=browser --minify --external:./sender.js --outfile="$DIST/web.js"
"${ESB[@]}" pkg/src/sender.js --format=esm --platform=browser --minify --outfile="$DIST/sender.js"
"${ESB[@]}" pkg/src/node.js --format=esm --platform=node --outfile="$DIST/node.mjs"
# The glue's default init reads import.meta.url; CJS never takes that path
# (node-cjs.js passes the wasm bytes), so the warning is silenced.
"${ESB[@]}" pkg/src/node-cjs.js --format=cjs --platform=node --log-override:empty-import-meta=silent \
  --outfile="$DIST/node.cjs"
"${ESB[@]}" pkg/src/workerd.js --format=esm --platform=neutral --external:*.wasm --outfile="$DIST/workerd.js"
# edgeflags/openfeature (pkg/src/openfeature.js and the mapping it
# bundles), one file per entry: its import of `./index.js` stays external
# and becomes the entry of its environment, so the providers share the
# module instance, the wasm and `Flags` of `edgeflags` (bundling them would
# load a second copy). The main entry's browser download (scripts/size.sh)
# does not include it.
of_entry() {
  local out="$DIST/$1" main="$2" flags="$3"
  # shellcheck disable=SC2086
  "${ESB[@]}" pkg/src/openfeature.js --external:./index.js --format=esm $flags --outfile="$out.tmp"
  [ "$(grep -o '"\./index\.js"' "$out.tmp" | wc -l)" = 1 ] || { echo "build-pkg: $out must import ./index.js exactly once" >&2; exit 1; }
  sed "s#\"\./index\.js\"#\"./$main\"#" "$out.tmp" > "$out"
  rm "$out.tmp"
}
of_entry openfeature-web.js web.js "--platform=browser --minify"
of_entry openfeature-node.mjs node.mjs "--platform=node"
of_entry openfeature-workerd.js workerd.js "--platform=neutral"
# The same declarations serve `require` (TypeScript wants .d.cts for CJS).
cp pkg/index.d.ts "$DIST/index.d.cts"

bash scripts/size.sh --no-fail
