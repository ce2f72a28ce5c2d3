// The package's web provider with the real @openfeature/web-sdk in the
// browser, bundled by Vite as an app would be (browser.test.mjs builds it
// with this folder's vite.config.js): the shared checks of
// ../openfeature-body.js, their outcome left in window.__result.
import { OpenFeature } from '@openfeature/web-sdk';
import { EdgeflagsWebProvider, EdgeflagsProvider, openFeatureReason } from 'edgeflags/openfeature';
import { checkEvalVectors, checkBucketing, checkLifecycle } from '../openfeature-body.js';

const sdk = { paradigm: 'web', OpenFeature, Provider: EdgeflagsWebProvider, OtherProvider: EdgeflagsProvider, openFeatureReason };
try {
  const evalFiles = await (await fetch('/eval-vectors.json')).json();
  const { cases } = await (await fetch('/vectors.json')).json();
  const result = {
    evalVectors: await checkEvalVectors(sdk, evalFiles),
    bucketing: await checkBucketing(sdk, cases),
    lifecycle: await checkLifecycle(sdk),
  };
  document.querySelector('#status').textContent = 'done';
  window.__result = result;
} catch (e) {
  window.__result = { error: String(e && e.stack) };
}
