// The official @openfeature/web-sdk with @openfeature/ofrep-web-provider,
// unmodified, bundled by Vite as an app would bundle them
// (tests/worker/ofrep-web.test.mjs builds this folder and drives the page
// through window.ofrep). Each provider is bound to a domain of its own.
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';

const events = [];
let domains = 0;

// The fields of evaluation details the test compares (plain data).
function plain(d) {
  return { value: d.value, variant: d.variant, reason: d.reason, errorCode: d.errorCode, flagMetadata: d.flagMetadata };
}

window.ofrep = {
  events,
  /** A new provider on its own domain with `context`; resolves to its domain, status and initialize error. */
  async start(baseUrl, { headers, pollInterval = 0, context = {} } = {}) {
    const domain = `d${++domains}`;
    const provider = new OFREPWebProvider({
      baseUrl,
      headers,
      pollInterval,
      changeDetection: 'polling',
      cacheMode: 'disabled',
      disableVisibilityRefresh: true,
    });
    const client = OpenFeature.getClient(domain);
    for (const type of [ProviderEvents.Ready, ProviderEvents.Error, ProviderEvents.Stale, ProviderEvents.ConfigurationChanged]) {
      client.addHandler(type, (d) => events.push({ domain, type, flagsChanged: d && d.flagsChanged }));
    }
    await OpenFeature.setContext(domain, context);
    let error = null;
    try {
      await OpenFeature.setProviderAndWait(domain, provider);
    } catch (e) {
      error = String((e && e.message) || e);
    }
    return { domain, error, status: client.providerStatus };
  },
  status(domain) {
    return OpenFeature.getClient(domain).providerStatus;
  },
  async setContext(domain, context) {
    await OpenFeature.setContext(domain, context);
  },
  details(domain, type, key, def) {
    return plain(OpenFeature.getClient(domain)[`get${type}Details`](key, def));
  },
  /** For each group: set its context, then read each of its flags: [[details, ...], ...]. */
  async evaluateGroups(domain, groups) {
    const client = OpenFeature.getClient(domain);
    const out = [];
    for (const g of groups) {
      await OpenFeature.setContext(domain, g.context);
      out.push(g.reads.map((r) => plain(client[`get${r.type}Details`](r.key, r.def))));
    }
    return out;
  },
};
document.querySelector('#status').textContent = 'ready';
