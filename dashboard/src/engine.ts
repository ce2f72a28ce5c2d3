// The engine in the page: the npm package's browser build (its wasm),
// loaded on first use so sign-in does not wait for it. Problems of a
// ruleset and the playground's answers come from here, never from code of
// the dashboard's own.

import type { EdgeflagsError, Flags as FlagsClass, Problem } from 'edgeflags';

type Pkg = typeof import('edgeflags');
let pkg: Promise<Pkg> | null = null;

export function engine(): Promise<Pkg> {
  pkg ??= import('edgeflags');
  return pkg;
}

/** Loads a ruleset with the engine: the compiled flags, or every path-tagged problem. */
export async function check(doc: unknown): Promise<{ flags: FlagsClass | null; problems: Problem[] }> {
  const { Flags } = await engine();
  try {
    return { flags: new Flags(doc as never), problems: [] };
  } catch (e) {
    const err = e as EdgeflagsError;
    if (err && err.code === 'INVALID_RULESET') return { flags: null, problems: err.problems };
    return { flags: null, problems: [{ path: '', message: err instanceof Error ? err.message : String(err) }] };
  }
}
