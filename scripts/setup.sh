#!/usr/bin/env bash
# Installs everything the project needs, and nothing twice: each step first
# checks whether its tool is already there at the pinned version.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

command -v cargo >/dev/null || { echo "cargo (rustup) is required" >&2; exit 1; }
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
# rust-src: the npm package's wasm rebuilds std for size (scripts/build-pkg.sh).
for comp in clippy rustfmt rust-src; do
  rustup component list --installed | grep -q "^$comp" || rustup component add "$comp"
done
if ! wasm-bindgen --version 2>/dev/null | grep -qF "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 min)"
  # not --locked: a locked dependency is missing from the registry (TOOLCHAIN.md)
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
if ! worker-build --version 2>/dev/null | grep -qF "$WORKER_BUILD_VERSION"; then
  say "installing worker-build $WORKER_BUILD_VERSION (about 6 min)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked
fi
# npm dev dependencies (Node 22, wrangler/workerd/miniflare, binaryen, vite,
# playwright-core). `npm ci` fails here; install from the committed lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || [ ! -x node_modules/.bin/node ]; then
  say "installing npm dev dependencies"
  /usr/bin/env npm install --no-audit --no-fund
fi
for dir in bench; do
  if [ -f "$dir/package.json" ] && [ "${EDGEFLAGS_SETUP_BENCH:-0}" = 1 ]; then
    if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
      say "installing $dir npm dependencies"
      (cd "$dir" && npm install --no-audit --no-fund)
    fi
  fi
done
# Debian's Chromium and ChromeDriver for the browser tests.
if [ ! -x "$CHROMIUM_BIN" ] || [ ! -x "$CHROMEDRIVER" ]; then
  say "installing Debian chromium and chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi
command -v python3 >/dev/null || { say "installing python3"; apt-get update -qq; apt-get install -y -qq python3 >/dev/null; }
# Python's jsonschema for tests/schema.rs (the schema checked against the engine).
if ! python3 -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null; then
  say "installing python jsonschema"
  python3 -m pip install --quiet jsonschema==4.26.0 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages jsonschema==4.26.0 2>/dev/null \
    || { apt-get update -qq; apt-get install -y -qq python3-jsonschema >/dev/null; }
fi
# The official Python OpenFeature SDK and OFREP provider, pinned: the
# Python side of tests/worker/ofrep-sdk.test.mjs (tests/worker/ofrep_python.py).
OPENFEATURE_PY="openfeature-sdk==0.10.0 openfeature-provider-ofrep==0.3.0"
if ! python3 - <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
want = {"openfeature-sdk": "0.10.0", "openfeature-provider-ofrep": "0.3.0"}
sys.exit(0 if all(version(n) == v for n, v in want.items()) else 1)
PY
then
  say "installing python $OPENFEATURE_PY"
  # shellcheck disable=SC2086
  python3 -m pip install --quiet $OPENFEATURE_PY 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages $OPENFEATURE_PY
fi
say "ready: $(node --version) $(wasm-bindgen --version) worker-build $WORKER_BUILD_VERSION"
