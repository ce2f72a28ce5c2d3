// The engine document (as JSON text) for each adapter, from the logical flags.

import * as t from './translate.mjs';

const BY_PKG = {
  edgeflags: t.toEdgeflags,
  '@growthbook/growthbook': t.toGrowthBook,
  '@openfeature/flagd-core': t.toFlagd,
  'unleash-client': t.toUnleash,
  '@launchdarkly/node-server-sdk': t.toLaunchDarkly,
  '@flipt-io/flipt-client-js': t.toFlipt,
};

/** The JSON text engine `engine` loads for the logical `flags`. */
export function docText(engine, flags) {
  return JSON.stringify(BY_PKG[engine.pkg](flags));
}
