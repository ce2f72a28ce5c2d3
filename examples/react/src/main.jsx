// The provider is set up once, before React renders: the web provider
// evaluates in the page with the package's wasm and keeps the ruleset in
// sync with the Worker's GET /v1/ruleset (ETag polling).
import { createRoot } from 'react-dom/client';
import { OpenFeature } from '@openfeature/react-sdk';
import { EdgeflagsWebProvider } from 'edgeflags/openfeature';
import { App, USERS } from './App.jsx';

const url = import.meta.env.VITE_EDGEFLAGS_URL ?? '/v1/ruleset';
const interval = Number(import.meta.env.VITE_EDGEFLAGS_INTERVAL ?? 30_000);

OpenFeature.setContext(USERS[0].context);
OpenFeature.setProvider(new EdgeflagsWebProvider({ url, interval }));

createRoot(document.getElementById('root')).render(<App />);
