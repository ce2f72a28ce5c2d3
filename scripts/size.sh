#!/usr/bin/env bash
# Prints the size of what a browser downloads from the npm package (the
# wasm and the JS of dist/web.js), raw and gzip -9. Fails only above the CI
# limit, a regression guard set just above the measured size: 89.7 KB
# gzipped after issue 9 moved the core onto serde, serde-wasm-bindgen and
# std's float code; 98.3 KB after issue 10 (+8.6 KB of wasm: hashed lists
# with sha2, 1.1 KB of it; route patterns, request paths and upstream
# checks with std's IP parsers; the client flags' load checks; measured in
# docs/ARCHITECTURE.md); 103 KB after issue 12 (102.8 KB measured): the
# core's experiments (the `experiment` field and exposures) had brought it
# to 100.9 KB, and the package's events add 1.8 KB (the wasm's exposure
# check 0.4 KB; web.js 1.4 KB: the checks of options.events and track(),
# the exposure calls, the queue that waits for the sender; the sender
# itself, dist/sender.js, 2.1 KB, is fetched only by pages that record
# events and is not counted here); 106 KB after issue 13 (105.8 KB
# measured): the checks of a flag's `rollout` plan, +3.1 KB of wasm
# (docs/ARCHITECTURE.md); 108 KB with issue 13's custom-metric guards and
# flags.outcome(), then rule-level plans (107.8 KB measured, +2.0 KB); 109 KB
with the package's flag usage counts (110,568 bytes measured, +211 bytes of
web.js: the counting and the hand-over of counts across update(); the
sender, which turns them into usage events, is not counted here). Issue 9's goal of 45 KB is missed and
# tracked in BENCHMARKS.md and docs/ARCHITECTURE.md (what each part of the
# wasm costs). `--no-fail` only prints (the build uses it; scripts/test-pkg.sh
# runs the check).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

LIMIT_GZ=$((109 * 1024))
GOAL_GZ=$((45 * 1024))
files=(pkg/dist/edgeflags_bg.wasm pkg/dist/web.js)
for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "size: $f is missing; run scripts/build-pkg.sh" >&2; exit 1; }
done
total_raw=0
total_gz=0
printf '%-30s %10s %10s\n' "browser download" "raw B" "gzip-9 B"
for f in "${files[@]}"; do
  raw=$(wc -c < "$f")
  gz=$(gzip -9c "$f" | wc -c)
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  printf '%-30s %10d %10d\n' "$f" "$raw" "$gz"
done
kb=$(awk -v b="$total_gz" 'BEGIN { printf "%.1f", b / 1024 }')
printf '%-30s %10d %10d  (%s KB gz; goal %d KB, limit %d KB)\n' total "$total_raw" "$total_gz" \
  "$kb" $((GOAL_GZ / 1024)) $((LIMIT_GZ / 1024))
if [ "$total_gz" -gt "$LIMIT_GZ" ] && [ "${1:-}" != "--no-fail" ]; then
  echo "size: the browser download is over the $((LIMIT_GZ / 1024)) KB gzip limit" >&2
  exit 1
fi
