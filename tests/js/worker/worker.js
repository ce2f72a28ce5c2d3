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

// Workers freeze the clock at module scope; the test fixes it anyway.
const NOW = Date.parse('2026-11-21T12:00:00Z');
const flags = new Flags(example, { now: () => NOW });
let openFeature;

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
