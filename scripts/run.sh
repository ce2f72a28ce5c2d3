#!/usr/bin/env bash
# The main job: set up, build the Worker, seed local KV with
# examples/ruleset.json (kept if already seeded), and serve it on
# http://127.0.0.1:8787 with `wrangler dev` in local mode (no account, no
# network, no metrics). The admin token for the management API is
# $ADMIN_TOKEN, or `dev-admin-token` when unset; the server key (which
# also evaluates server-only flags) is $SERVER_KEY, or `dev-server-key`.
# Experiment events go through the local queue into the local D1 database
# (its schema applied from migrations/ here).
# PORT overrides 8787.
# docs/worker.md has a curl example for every endpoint.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build-worker.sh
bash scripts/seed-kv.sh examples/ruleset.json
# The experiment event store's schema (migrations/) in the local D1
# database; applies only migrations not yet applied.
CI=1 wrangler d1 migrations apply DB --local >/dev/null
token="${ADMIN_TOKEN:-dev-admin-token}"
server_key="${SERVER_KEY:-dev-server-key}"
# The key of the units' hashes in the event store (a secret in production).
unit_hash_key="${UNIT_HASH_KEY:-dev-unit-hash-key-change-me}"
port="${PORT:-8787}"
printf '\033[1m[run]\033[0m serving http://127.0.0.1:%s  (admin token: %s, server key: %s)\n' "$port" "$token" "$server_key"
printf '\033[1m[run]\033[0m try: curl -s http://127.0.0.1:%s/v1/flags/new_dashboard\n' "$port"
exec wrangler dev --local --ip 127.0.0.1 --port "$port" --inspector-ip 127.0.0.1 \
  --show-interactive-dev-session=false --var "ADMIN_TOKEN:$token" --var "SERVER_KEY:$server_key" \
  --var "UNIT_HASH_KEY:$unit_hash_key"
