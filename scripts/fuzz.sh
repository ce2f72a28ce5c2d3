#!/usr/bin/env bash
# cargo-fuzz run of fuzz/fuzz_targets/ruleset.rs (ruleset loading + evaluation).
# Not part of scripts/test.sh (too long): a smoke run by default,
#   bash scripts/fuzz.sh                    # 60 s
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh   # the 10-minute run of issue 2
# Needs the nightly toolchain (libFuzzer instrumentation) and cargo-fuzz,
# installed here when missing. Findings land in fuzz/artifacts/ruleset/;
# replay one with `cargo +nightly fuzz run ruleset fuzz/artifacts/ruleset/<file>`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT/fuzz"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --version 0.13.2 --locked

# Seeds: the example ruleset and the seeds' shapes as text (mode byte 0),
# and a few structured-mode inputs (mode byte 1 + mutation choices).
corpus=corpus/ruleset
mkdir -p "$corpus"
{ printf '\000'; cat ../examples/ruleset.json; } > "$corpus/seed-example"
printf '\000{"flags": {"new_search": {"percentage": 20}, "dark_mode": {"users": ["user:1", "user:42"]}, "maintenance": false, "new_dashboard": true}}' > "$corpus/seed-shapes"
for i in 1 2 3 4; do
  { printf '\001'; head -c 64 /dev/urandom; } > "$corpus/seed-structured-$i"
done

# One job (the machine's cores are shared); inputs up to 64 KiB.
cargo +nightly fuzz run ruleset "$corpus" -- \
  -max_total_time="${FUZZ_SECONDS:-60}" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
