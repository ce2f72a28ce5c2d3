// A plain JS Cloudflare Worker that uses the npm package, as a user would:
// `import ... from 'edgeflags'` resolved through the exports map's
// `workerd` condition (the build that imports the .wasm as a module).
// The ruleset is compiled once per isolate, at module scope. It also runs
// the package's OpenFeature server provider under @openfeature/server-sdk
// (which needs the nodejs_compat flag for node:events).
import { Flags, bucket, EdgeflagsError } from 'edgeflags';
import { EdgeflagsProvider } from 'edgeflags/openfeature';
import { OpenFeature } from '@openfeature/server-sdk';
import { checkVectors } from '../vectors-body.js';
import { checkEvalVectors } from '../eval-vectors-body.js';
import example from '../../../examples/ruleset.json';
import { RULESET as EXPERIMENTS } from '../events-ruleset.mjs';

// Workers freeze the clock at module scope; the test fixes it anyway.
const NOW = Date.parse('2026-11-21T12:00:00Z');
const flags = new Flags(example, { now: () => NOW });
let openFeature;

// Experiment events, set up at module scope as the README shows (no timer
// starts before an event is recorded: Workers allow none here), sent by a
// fetch of this Worker's own that keeps the bodies.
const posted = [];
const recording = new Flags(EXPERIMENTS, {
  events: {
    url: 'https://flags.example.com/v1/events',
    key: 'write-key',
    fetch: async (url, init) => {
      posted.push({ url, authorization: init.headers.authorization, body: JSON.parse(init.body) });
      return Response.json({ accepted: JSON.parse(init.body).events.length, ignored: 0 }, { status: 202 });
    },
  },
});

export default {
  async fetch(request) {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/vectors') {
        return Response.json(checkVectors({ Flags, bucket }, await request.json()));
      }
      if (url.pathname === '/eval-vectors') {
        return Response.json(checkEvalVectors({ Flags }, await request.json()));
      }
      if (url.pathname === '/evaluate') {
        const contexts = await request.json();
        const results = contexts.map((c, i) => flags.evaluateAll(i % 2 ? c : flags.context(c)));
        return Response.json(results, { headers: { 'x-active-flags': flags.activeFlags(contexts[0]).join(',') } });
      }
      if (url.pathname === '/openfeature') {
        // The provider is set on the first request: no I/O at module scope.
        openFeature ??= OpenFeature.setProviderAndWait(new EdgeflagsProvider({ flags })).then(() => OpenFeature.getClient());
        const client = await openFeature;
        const out = [];
        for (const context of await request.json()) {
          const row = {};
          for (const key of flags.keys()) {
            const d = await client.getObjectDetails(key, null, context);
            row[key] = { value: d.value, variant: d.variant, reason: d.reason, errorCode: d.errorCode };
          }
          out.push(row);
        }
        return Response.json(out);
      }
      if (url.pathname === '/events') {
        const { user_id } = await request.json();
        const variant = recording.variant('exp', { user_id });
        recording.track('purchase', { user_id }, 9.5);
        // In a Worker, send before the request ends (ctx.waitUntil works too).
        const flushed = await recording.flush();
        return Response.json({ variant, flushed, stats: recording.events.stats, posted: posted.splice(0) });
      }
      if (url.pathname === '/invalid') {
        try {
          new Flags('{"flags": {"x": {"percentage": 200}}}');
        } catch (e) {
          return Response.json({ isError: e instanceof Error, isEdgeflagsError: e instanceof EdgeflagsError, code: e.code, problems: e.problems });
        }
      }
      return new Response('not found', { status: 404 });
    } catch (e) {
      return new Response(String(e && e.stack), { status: 500 });
    }
  },
};
