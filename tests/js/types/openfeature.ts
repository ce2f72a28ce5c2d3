// Type check of pkg/openfeature.d.ts (types.test.mjs runs tsc on it): the
// providers are each SDK's Provider, used as docs/openfeature-package.md
// shows; the lines marked with a ts-expect-error directive must not compile.
import { OpenFeature as ServerOpenFeature, ProviderEvents, type Provider as ServerProvider } from '@openfeature/server-sdk';
import { OpenFeature as WebOpenFeature, type Provider as WebProvider } from '@openfeature/web-sdk';
import { Flags, type Attributes } from 'edgeflags';
import { EdgeflagsProvider, EdgeflagsWebProvider, toEdgeflagsContext, openFeatureReason, type EdgeflagsProviderOptions } from 'edgeflags/openfeature';

async function main() {
  const options: EdgeflagsProviderOptions = { url: 'https://flags.example.com/v1/ruleset', interval: 30_000, headers: { authorization: 'Bearer read-key' } };
  const server: ServerProvider = new EdgeflagsProvider(options);
  await ServerOpenFeature.setProviderAndWait(server);
  const client = ServerOpenFeature.getClient();
  const on: boolean = await client.getBooleanValue('new_search', false, { targetingKey: 'user:123', plan: 'pro' });
  const details = await client.getNumberDetails('max_upload_mb', 10, { targetingKey: 'user:123' });
  const version = details.flagMetadata.version;
  client.addHandler(ProviderEvents.ConfigurationChanged, (d) => d?.flagsChanged?.join(','));

  const webProvider: WebProvider = new EdgeflagsWebProvider({ flags: new Flags({ flags: { a: true } }) });
  await WebOpenFeature.setContext({ targetingKey: 'user:123' });
  await WebOpenFeature.setProviderAndWait(webProvider);
  const theme: string = WebOpenFeature.getClient().getStringValue('theme', 'light');

  const p = new EdgeflagsWebProvider({ ruleset: '{"flags": {}}', flagsOptions: { now: () => 0 } });
  p.track('purchase', { targetingKey: 'u' }, { value: 19.99 });
  WebOpenFeature.getClient().track('purchase', { value: 1 });
  const tracking = new EdgeflagsProvider({ ruleset: { flags: {} }, flagsOptions: { events: { url: 'https://flags.example.com/v1/events', key: 'k' } } });
  p.update({ flags: { a: true } });
  const changed: boolean = await p.refresh();
  const flags: Flags | null = p.flags;
  const attrs: Attributes = toEdgeflagsContext({ targetingKey: 'u', signup: new Date() });
  const reason: string = openFeatureReason('PREREQUISITE_FAILED');
  console.log(on, version, theme, changed, flags, attrs, reason, tracking);
}
console.log(main);

// @ts-expect-error: the web provider resolves synchronously: not a server provider
const wrong1: ServerProvider = new EdgeflagsWebProvider({ ruleset: { flags: {} } });
// @ts-expect-error: the server provider resolves with promises: not a web provider
const wrong2: WebProvider = new EdgeflagsProvider({ ruleset: { flags: {} } });
// @ts-expect-error: the interval is a number of milliseconds
const wrong3 = new EdgeflagsProvider({ url: 'https://x.test', interval: '30s' });
console.log(wrong1, wrong2, wrong3);
