#!/usr/bin/env bash
# Runs every test: set-up, format, lints, the core's Rust tests, then each
# suite script in scripts/test-*.sh (npm package, Worker, ...).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup.sh
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
step "cargo test (core, CLI, vectors, properties, seeds cross-check)"
cargo test --workspace
for suite in scripts/test-*.sh; do
  [ -e "$suite" ] || continue
  step "$suite"
  bash "$suite"
done
step "all suites passed"
