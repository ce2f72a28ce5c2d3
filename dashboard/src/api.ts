// The Worker's API, from the page: the token lives in sessionStorage (this
// tab only) and travels as an Authorization header, never in a URL. A
// network failure shows the "unreachable" banner and throws; nothing the
// user typed is touched.

export type Role = 'admin' | 'read';

const TOKEN = 'edgeflags.token';
const ROLE = 'edgeflags.role';

export const session = {
  get token(): string | null {
    return sessionStorage.getItem(TOKEN);
  },
  get role(): Role | null {
    const r = sessionStorage.getItem(ROLE);
    return r === 'admin' || r === 'read' ? r : null;
  },
  set(token: string, role: Role): void {
    sessionStorage.setItem(TOKEN, token);
    sessionStorage.setItem(ROLE, role);
  },
  clear(): void {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(ROLE);
  },
};

export interface Problem {
  path: string;
  message: string;
}

/** An error answer of the API: its status, code and problems. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: Problem[] = [],
    readonly body: unknown = null,
  ) {
    super(message);
  }
}

/** The Worker could not be reached at all. */
export class Unreachable extends Error {}

let onReachability: (ok: boolean) => void = () => {};
/** Called with false when a request fails on the network, true when one gets through. */
export function watchReachability(f: (ok: boolean) => void): void {
  onReachability = f;
}

export interface Answer<T> {
  status: number;
  data: T;
  headers: Headers;
}

/** One API call. Throws ApiError for an error answer, Unreachable when no answer came. */
export async function call<T = unknown>(
  path: string,
  opts: { method?: string; body?: unknown; ifMatch?: number | null; token?: string } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  const token = opts.token ?? session.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.ifMatch !== undefined && opts.ifMatch !== null) headers['If-Match'] = `"${opts.ifMatch}"`;
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    onReachability(false);
    throw new Unreachable(`the Worker cannot be reached (${e instanceof Error ? e.message : String(e)})`);
  }
  onReachability(true);
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; problems?: Problem[] } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? (res.statusText || `HTTP ${res.status}`), err?.problems ?? [], data);
  }
  return { status: res.status, data: data as T, headers: res.headers };
}

/** The version an answer's ETag names. */
export function etagVersion(h: Headers): number | null {
  const m = /(\d+)/.exec(h.get('ETag') ?? '');
  return m ? Number(m[1]) : null;
}

/** Which role a token has: admin (opens the management API) or read
 * (a read key: evaluations, experiments, rollouts). Throws ApiError for a
 * token that opens neither. */
export async function probe(token: string): Promise<Role> {
  try {
    await call('/v1/versions?limit=1', { token });
    return 'admin';
  } catch (e) {
    if (!(e instanceof ApiError) || (e.status !== 401 && e.status !== 403)) throw e;
  }
  await call('/v1/rollouts', { token });
  return 'read';
}

/** A message for any failure, for the page. */
export function describe(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (${e.status} ${e.code})`;
  if (e instanceof Error) return e.message;
  return String(e);
}
