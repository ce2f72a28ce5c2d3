#!/usr/bin/env bash
# Seeds the LOCAL KV namespace FLAGS (.wrangler/state/, used by
# `wrangler dev --local`) with a ruleset file, in the Worker's versioned
# layout (docs/worker.md): ruleset/v/<version>, its audit entry, then the
# pointer ruleset/current. The store's control object (a Durable Object)
# imports it on first use, or, when it already holds versions, adopts the
# newer one when it next starts: run this with the Worker stopped (as
# scripts/run.sh does). Idempotent: when a ruleset is already published
# locally it is left alone (changes made through the API survive a
# re-run); FORCE=1 adds the file as the next version.
#   usage: scripts/seed-kv.sh [FILE]   (default examples/ruleset.json)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
file="${1:-examples/ruleset.json}"
say() { printf '\033[1m[seed-kv]\033[0m %s\n' "$*"; }
kv() { wrangler kv key "$@" --local --binding FLAGS; }

current=$(kv get ruleset/current --text 2>/dev/null || true)
current_version=$(node -e 'try { const v = JSON.parse(process.argv[1]).version; console.log(Number.isInteger(v) && v > 0 ? v : 0) } catch { console.log(0) }' "$current")
if [ "$current_version" != 0 ] && [ "${FORCE:-0}" != 1 ]; then
  say "local KV already holds ruleset version $current_version; leaving it (FORCE=1 to replace)"
  exit 0
fi

# The file's own version on a fresh store; the next number when replacing.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node - "$file" "$current_version" "$tmp" <<'JS'
const fs = require("fs");
const [file, current, dir] = process.argv.slice(2);
const doc = JSON.parse(fs.readFileSync(file, "utf8"));
const own = Number.isInteger(doc.version) && doc.version > 0 ? doc.version : 1;
const version = Number(current) > 0 ? Number(current) + 1 : own;
doc.version = version;
const time = new Date().toISOString().replace(/\.000Z$/, "Z");
const meta = { version, time, action: "seed", by: "seed-kv" };
const pad = String(version).padStart(10, "0");
fs.writeFileSync(`${dir}/doc.json`, JSON.stringify(doc));
fs.writeFileSync(`${dir}/vars`, [
  `version=${version}`,
  `vkey=ruleset/v/${pad}`,
  `akey=audit/${pad}`,
  `meta='${JSON.stringify(meta)}'`,
  `audit='${JSON.stringify({ ...meta, previous: Number(current) })}'`,
  `pointer='${JSON.stringify({ version, updated: time })}'`,
].join("\n") + "\n");
JS
# shellcheck disable=SC1091
source "$tmp/vars"
kv put "$vkey" --path "$tmp/doc.json" --metadata "$meta" >/dev/null
kv put "$akey" "$audit" --metadata "$audit" >/dev/null
kv put ruleset/current "$pointer" >/dev/null
say "seeded $file as version $version (local KV, binding FLAGS)"
