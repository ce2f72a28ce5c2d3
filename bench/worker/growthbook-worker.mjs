// The comparison Worker: the same two endpoints as the edgeflags Worker,
// written in plain JS with GrowthBook evaluating the same logical ruleset.
// Like the edgeflags Worker, it reads the ruleset from KV and builds its
// evaluator once per isolate, revalidating at most every REVALIDATE_MS.
//
//   GET /v1/flags/:key?user_id=..&plan=..   one flag
//   GET /v1/flags?user_id=..&plan=..        every flag, X-Active-Flags header

import { GrowthBookClient } from '@growthbook/growthbook';

const KV_KEY = 'growthbook-payload';
const REVALIDATE_MS = 60_000;
let state = null;

async function current(env) {
  const now = Date.now();
  if (state && now - state.at < REVALIDATE_MS) return state;
  const text = await env.FLAGS.get(KV_KEY);
  if (text === null) return null;
  if (!state || state.text !== text) {
    const client = new GrowthBookClient({}).initSync({ payload: JSON.parse(text) });
    state = { text, client, keys: Object.keys(client.getFeatures()), at: now };
  } else state.at = now;
  return state;
}

function userContext(url) {
  const attributes = {};
  for (const [k, v] of url.searchParams) attributes[k === 'user_id' ? 'id' : k] = v;
  return { attributes };
}

const json = (body, status = 200, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method !== 'GET') return json({ error: 'METHOD_NOT_ALLOWED' }, 405);
    const s = await current(env);
    if (!s) return json({ error: 'RULESET_MISSING' }, 503);
    const ctx = userContext(url);
    if (url.pathname === '/v1/flags') {
      const flags = {};
      const active = [];
      for (const key of s.keys) {
        const r = s.client.evalFeature(key, ctx);
        flags[key] = { value: r.value, reason: r.source };
        if (r.value) active.push(key);
      }
      return json({ flags }, 200, { 'x-active-flags': active.join(',') });
    }
    if (url.pathname.startsWith('/v1/flags/')) {
      const key = decodeURIComponent(url.pathname.slice('/v1/flags/'.length));
      const r = s.client.evalFeature(key, ctx);
      if (r.source === 'unknownFeature') return json({ error: 'FLAG_NOT_FOUND', key }, 404);
      return json({ key, value: r.value, reason: r.source });
    }
    return json({ error: 'NOT_FOUND' }, 404);
  },
};
