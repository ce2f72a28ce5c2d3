// The load generator, run as its own process: `node load.mjs JSON` with
// { base, path, connections, seconds }. Uses wrk (Debian) when installed,
// for its microsecond latency percentiles, else autocannon (npm, 1 ms
// resolution). Each request carries the next of 1,000 users in its query
// string. Prints one JSON line: requests, rps, p50 and p99 in ms, errors.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { makeUsers } from '../lib/model.mjs';

const { base, path, connections, seconds } = JSON.parse(process.argv[2]);
const users = makeUsers(1000, 11);
const qs = (u) => `user_id=${encodeURIComponent(u.id)}&plan=${u.plan}&country=${u.country}&email=${encodeURIComponent(u.email)}`;
const paths = users.map((u) => `${path}?${qs(u)}`);

function haveWrk() {
  return spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error === undefined;
}

function withWrk() {
  const dir = mkdtempSync(join(tmpdir(), 'edgeflags-wrk-'));
  const script = join(dir, 'paths.lua');
  writeFileSync(
    script,
    `local paths = {${paths.map((p) => JSON.stringify(p)).join(',')}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"non2xx":%d,"timeouts":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write, e.status, e.timeout))
end
`,
  );
  const r = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', script, base], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000,
  });
  rmSync(dir, { recursive: true, force: true });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('WRKJSON '));
  if (!line) throw new Error(`wrk failed: ${r.stderr || r.stdout}`);
  const j = JSON.parse(line.slice(8));
  return {
    tool: 'wrk',
    requests: j.requests,
    rps: j.requests / (j.duration_us / 1e6),
    p50: j.p50_us / 1000,
    p99: j.p99_us / 1000,
    errors: j.errors + j.timeouts,
    non2xx: j.non2xx,
  };
}

async function withAutocannon() {
  const { default: autocannon } = await import('autocannon');
  let i = 0;
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] }) }],
  });
  return {
    tool: 'autocannon',
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

const out = process.env.EDGEFLAGS_LOAD_TOOL !== 'autocannon' && haveWrk() ? withWrk() : await withAutocannon();
process.stdout.write(JSON.stringify(out) + '\n');
