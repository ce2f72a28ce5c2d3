#!/usr/bin/env bash
# Runs every benchmark of issue 5 and writes BENCHMARKS.md and
# bench/chart.png: edgeflags side by side with GrowthBook, flagd-core,
# Unleash, LaunchDarkly and Flipt in one Node process (after an equivalence
# check), browser bundle sizes, scale to 10,000 flags, the Rust Worker vs a
# GrowthBook JS Worker under load in Miniflare, and criterion benches of the
# native core. Installs bench/ dependencies (its own package.json) and
# builds the npm package and the Worker through their scripts when missing.
#
#   scripts/bench.sh           full run (about 10 minutes on 2 cores)
#   scripts/bench.sh --quick   short runs, same tables (smoke test)
#   scripts/bench.sh --only micro,sizes,scale,contexts,worker,native,events,scan   a subset (report still written)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
say() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }

QUICK=0
ONLY="micro,sizes,scale,contexts,worker,native,events,scan"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --only) ONLY="$2"; shift ;;
    *) echo "usage: scripts/bench.sh [--quick] [--only micro,sizes,scale,contexts,worker,native,events,scan]" >&2; exit 2 ;;
  esac
  shift
done
want() { [[ ",$ONLY," == *",$1,"* ]]; }

# `--only scan` needs none of the JS side: no bench/ dependencies, no package.
if [ "$ONLY" != scan ]; then
# bench/ has its own dependencies (the peers, autocannon) so the published
# package gains none. `npm ci` is unreliable here (TOOLCHAIN.md): install
# from the lockfile, only when it changed.
if [ ! -f bench/node_modules/.package-lock.json ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  say "installing bench/ dependencies"
  (cd bench && npm install --no-audit --no-fund --loglevel=error)
fi
# wrk gives microsecond latency percentiles; without it autocannon (1 ms resolution) is used.
if ! command -v wrk >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  say "installing wrk (Debian)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; } \
    || say "wrk not installable: the Worker load test uses autocannon"
fi

# The npm package, linked into bench/node_modules so `import('edgeflags')`
# goes through its exports map as an application's would.
edgeflags_importable() { (cd bench && node --input-type=module -e "const m = await import('edgeflags'); if (typeof (m.Flags ?? m.default?.Flags) !== 'function') process.exit(1);" >/dev/null 2>&1); }
ln -sfn ../../pkg bench/node_modules/edgeflags
if ! edgeflags_importable; then
  if [ -x scripts/build-pkg.sh ]; then
    say "building the npm package (scripts/build-pkg.sh)"
    scripts/build-pkg.sh >&2 || say "scripts/build-pkg.sh failed: peers only"
  else
    say "no scripts/build-pkg.sh yet: edgeflags rows left out"
  fi
fi
edgeflags_importable && say "edgeflags package: $(cd bench && node -p "require('./node_modules/edgeflags/package.json').version" 2>/dev/null || echo '?')"

# The baseline: the package as built at EDGEFLAGS_BENCH_BEFORE (a commit or
# ref; default the last commit before issue 9's rework; "none" skips it),
# exported with `git archive` into target/bench-before and built there by its
# own scripts/build-pkg.sh, then linked as bench/node_modules/edgeflags-before.
# micro, sizes and scale then show "edgeflags before" rows beside this
# commit's, measured in the same run, and the report compares the two.
BEFORE_REF="${EDGEFLAGS_BENCH_BEFORE:-434ce98}"
BEFORE_DIR="$ROOT/target/bench-before"
if [ "$BEFORE_REF" != none ] && git rev-parse -q --verify "$BEFORE_REF^{commit}" >/dev/null; then
  BEFORE_SHA="$(git rev-parse --short "$BEFORE_REF^{commit}")"
  if [ "$(cat "$BEFORE_DIR/.ref" 2>/dev/null)" != "$BEFORE_SHA" ] || [ ! -f "$BEFORE_DIR/pkg/dist/node.mjs" ]; then
    say "building the baseline package at $BEFORE_SHA (target/bench-before)"
    rm -rf "$BEFORE_DIR"
    mkdir -p "$BEFORE_DIR"
    git archive "$BEFORE_SHA" | tar -x -C "$BEFORE_DIR"
    ln -sfn "$ROOT/node_modules" "$BEFORE_DIR/node_modules"
    if (cd "$BEFORE_DIR" && bash scripts/build-pkg.sh >&2); then
      echo "$BEFORE_SHA" >"$BEFORE_DIR/.ref"
    else
      say "the baseline package did not build: no before rows"
    fi
  fi
  if [ -f "$BEFORE_DIR/pkg/dist/node.mjs" ]; then
    ln -sfn "$BEFORE_DIR/pkg" bench/node_modules/edgeflags-before
    export EDGEFLAGS_BENCH_BEFORE_REF="$BEFORE_SHA"
  fi
else
  rm -f bench/node_modules/edgeflags-before
  [ "$BEFORE_REF" = none ] || say "baseline $BEFORE_REF not in this clone's history: no before rows"
fi
fi

# The Worker, as wrangler.toml's `main` names it.
worker_main() { [ -f wrangler.toml ] && sed -n 's/^[[:space:]]*main[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' wrangler.toml | head -1 || true; }
if want worker || want events; then
  main="$(worker_main)"
  if [ -z "$main" ] || [ ! -f "$main" ]; then
    if [ -x scripts/build-worker.sh ]; then
      say "building the Worker (scripts/build-worker.sh)"
      scripts/build-worker.sh >&2 || say "scripts/build-worker.sh failed: GrowthBook Worker only"
    else
      say "no scripts/build-worker.sh yet: GrowthBook Worker only"
    fi
  fi
fi

mkdir -p bench/results
# Results of the parts run now are rewritten; stale ones must not survive a part that skips.
for part in ${ONLY//,/ }; do rm -f "bench/results/$part.json"; done
want micro && rm -f bench/results/decompose.json
node bench/generate.mjs
# The commit measured, recorded now: the report may be rendered again later
# (node bench/report.mjs) after edits to its hand-written text.
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
DIRTY="$( [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && echo true || echo false)"
node -e "const os=require('os');require('fs').writeFileSync('bench/results/meta.json',JSON.stringify({loadavg:os.loadavg(),shared:process.env.EDGEFLAGS_BENCH_SHARED==='1',quick:$QUICK,commit:'$COMMIT',dirty:$DIRTY,before:process.env.EDGEFLAGS_BENCH_BEFORE_REF||null}))"

# Peers read NODE_ENV as production apps set it (GrowthBook skips its debug logging).
export NODE_ENV=production
cd bench
if [ "$QUICK" = 1 ]; then
  MICRO=(--runs 3 --run-ms 80 --warm-ms 100); WORKER=(--seconds 2); NATIVE=(--warm-up-time 1 --measurement-time 1)
else
  MICRO=(--runs 5 --run-ms 250 --warm-ms 300); WORKER=(--seconds 8); NATIVE=(--warm-up-time 1 --measurement-time 3)
fi
if want micro; then
  say "main table (micro.mjs)"; node micro.mjs "${MICRO[@]}"
  say "one edgeflags call, part by part (decompose.mjs)"; node decompose.mjs
fi
if want sizes; then say "bundle sizes (sizes.mjs)"; node sizes.mjs; fi
if want scale; then say "scale (scale.mjs)"; node scale.mjs; fi
if want contexts; then
  say "prepared contexts in a batch job (contexts.mjs)"
  node contexts.mjs --out results/contexts.json
  [ -L node_modules/edgeflags-before ] && node contexts.mjs --pkg "$(readlink -f node_modules/edgeflags-before)" --name "edgeflags before" --out results/contexts.json
fi
if want worker; then say "Worker load (worker-bench.mjs)"; node worker-bench.mjs "${WORKER[@]}"; fi
if want events; then
  say "experiment events: ingestion and the cost of an edge exposure (events.mjs)"
  if [ "$QUICK" = 1 ]; then node events.mjs --events 20000 --requests 500; else node events.mjs; fi
fi
if want native; then
  say "native core (cargo bench --bench core)"
  # A target directory of its own: other jobs building release binaries in
  # target/ at the same time have left it with mismatched artifacts.
  NATIVE_TARGET="$ROOT/target/bench-native"
  (cd "$ROOT" && CARGO_TARGET_DIR="$NATIVE_TARGET" cargo bench -q --bench core -- "${NATIVE[@]}" >&2)
  node native.mjs --target "$NATIVE_TARGET"
fi
if want scan; then
  say "code references: edgeflags scan vs ripgrep on a 100,000-file tree (scan.mjs)"
  # ripgrep is the peer baseline (Debian's package); without it the scan is timed alone.
  if ! command -v rg >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ripgrep >/dev/null 2>&1 || say "ripgrep not installable: no peer baseline"
  fi
  (cd "$ROOT" && cargo build -q --release --features cli --bin edgeflags >&2)
  if [ "$QUICK" = 1 ]; then node scan.mjs --runs 1; else node scan.mjs; fi
fi
CMD="scripts/bench.sh"
node report.mjs --command "$CMD"
say "done: BENCHMARKS.md, bench/chart.png"
