// A small Vite app using the package by name, as a frontend would: Vite
// resolves `edgeflags` through the exports map (the browser build) and
// emits the .wasm as an asset. The page renders by flag, then runs the
// shared vectors and leaves the outcome in window.__result for the test.
import { Flags, bucket, EdgeflagsError } from 'edgeflags';
import { checkVectors } from '../vectors-body.js';
import { checkEvalVectors } from '../eval-vectors-body.js';

const flags = new Flags({ version: 2, flags: { new_dashboard: { users: ['user:42'] }, banner: { percentage: 50 } } });
const user = { user_id: new URLSearchParams(location.search).get('user') || 'user:42' };
document.querySelector('#dashboard').textContent = flags.isEnabled('new_dashboard', user) ? 'New dashboard' : 'Old dashboard';

let invalid = null;
try {
  new Flags({ flags: { x: { percentage: -1 } } });
} catch (e) {
  invalid = { isEdgeflagsError: e instanceof EdgeflagsError, code: e.code, path: e.problems[0] && e.problems[0].path };
}

const { cases } = await (await fetch('/vectors.json')).json();
const vectors = checkVectors({ Flags, bucket }, cases);
const evalVectors = checkEvalVectors({ Flags }, await (await fetch('/eval-vectors.json')).json());
document.querySelector('#status').textContent = `${vectors.count} vectors, ${vectors.failures.length} failures`;
window.__result = { vectors, evalVectors, invalid, banner: flags.evaluate('banner', user), version: flags.version };
