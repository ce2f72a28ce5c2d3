// Flags in components through @openfeature/react-sdk: each hook re-renders
// its component when the context changes (setContext) or when the ruleset
// changes (PROVIDER_CONFIGURATION_CHANGED lists the flags whose result
// changed for this user).
import { Suspense } from 'react';
import { OpenFeatureProvider, useBooleanFlagValue, useFlag, useContextMutator } from '@openfeature/react-sdk';

// targetingKey is edgeflags' user_id: the bucketing unit and the user lists.
export const USERS = [
  { name: 'user:7 (free plan)', context: { targetingKey: 'user:7', plan: 'free' } },
  { name: 'user:42 (pro plan)', context: { targetingKey: 'user:42', plan: 'pro' } },
];

function Theme() {
  const dark = useBooleanFlagValue('dark_mode', false);
  return <p id="theme">Theme: {dark ? 'dark' : 'light'}</p>;
}

function UploadLimit() {
  const { value, variant, reason } = useFlag('max_upload_mb', 10);
  return (
    <p id="upload">
      Upload limit: {value} MB ({variant}, {reason})
    </p>
  );
}

function UserPicker() {
  const { setContext } = useContextMutator();
  return (
    <p>
      {USERS.map((u, i) => (
        <button key={u.name} id={`user-${i}`} onClick={() => setContext(u.context)}>
          {u.name}
        </button>
      ))}
    </p>
  );
}

export function App() {
  return (
    <OpenFeatureProvider suspendUntilReady>
      <Suspense fallback={<p id="loading">Loading flags…</p>}>
        <h1>edgeflags + OpenFeature</h1>
        <UserPicker />
        <Theme />
        <UploadLimit />
      </Suspense>
    </OpenFeatureProvider>
  );
}
