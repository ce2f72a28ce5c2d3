// The editor's field guide: which fields the object under the cursor may
// have, with their descriptions, read from the ruleset's JSON Schema
// (schema/ruleset.schema.json, bundled at build time). Help for typing;
// the engine stays the judge of what is valid.

import rulesetSchema from '../../schema/ruleset.schema.json';

type S = { [k: string]: unknown };
const ROOT = rulesetSchema as unknown as S;

function deref(s: unknown): S | null {
  if (typeof s !== 'object' || s === null) return null;
  const o = s as S;
  if (typeof o.$ref === 'string' && o.$ref.startsWith('#/$defs/')) {
    const defs = ROOT.$defs as Record<string, S>;
    return deref(defs[o.$ref.slice('#/$defs/'.length)]);
  }
  return o;
}

/** The schema and its oneOf/anyOf/allOf branches, flattened. */
function branches(s: unknown): S[] {
  const o = deref(s);
  if (!o) return [];
  const alts = [o];
  for (const k of ['oneOf', 'anyOf', 'allOf']) if (Array.isArray(o[k])) alts.push(...(o[k] as unknown[]).flatMap(branches));
  return alts;
}

function step(nodes: S[], seg: string | number): S[] {
  return nodes.flatMap((n) => {
    if (typeof seg === 'number') return branches(n.items);
    const props = n.properties as Record<string, unknown> | undefined;
    if (props && seg in props) return branches(props[seg]);
    return typeof n.additionalProperties === 'object' ? branches(n.additionalProperties) : [];
  });
}

function summary(s: unknown): string {
  const all = branches(s);
  const desc = all.map((b) => b.description).find((d) => typeof d === 'string') as string | undefined;
  const kinds = new Set<string>();
  for (const b of all) {
    if (Array.isArray(b.enum)) kinds.add((b.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | '));
    else if (b.const !== undefined) kinds.add(JSON.stringify(b.const));
    else if (typeof b.type === 'string' && b.type !== 'null') kinds.add(b.type);
  }
  return [[...kinds].join(' or '), desc].filter(Boolean).join(': ');
}

export interface Field {
  name: string;
  about: string;
}

/** The fields of the object at `path` (keys and indices from the root). */
export function fieldsAt(path: (string | number)[]): Field[] {
  let nodes = branches(ROOT);
  for (const seg of path) nodes = step(nodes, seg);
  // A user list may also be a hashed list object; where a flag or a
  // segment is meant, its one field would only confuse.
  const hashed = deref({ $ref: '#/$defs/hashedList' });
  const objects = nodes.filter((n) => n.properties);
  if (objects.some((n) => n !== hashed)) nodes = objects.filter((n) => n !== hashed);
  const seen = new Map<string, string>();
  for (const n of nodes) {
    const props = n.properties as Record<string, unknown> | undefined;
    if (!props) continue;
    for (const [name, p] of Object.entries(props)) if (!seen.has(name) || !seen.get(name)) seen.set(name, summary(p));
  }
  return [...seen].map(([name, about]) => ({ name, about }));
}

/** The path of the object or list that contains `offset` in JSON `text`
 * (a list adds index 0: its items' fields). Tolerates unfinished text. */
export function pathAt(text: string, offset: number): (string | number)[] {
  type Frame = { arr: boolean; key: string | number | null };
  const stack: Frame[] = [];
  let lastString: string | null = null;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') j++;
        s += text[j] ?? '';
        j++;
      }
      lastString = s;
      i = j;
      continue;
    }
    const top = stack[stack.length - 1];
    if (c === ':' && top && !top.arr) top.key = lastString;
    else if (c === ',' && top) top.key = top.arr ? Number(top.key) + 1 : null;
    else if (c === '{') stack.push({ arr: false, key: null });
    else if (c === '[') stack.push({ arr: true, key: 0 });
    else if (c === '}' || c === ']') stack.pop();
  }
  const path = stack.slice(0, -1).map((f) => f.key ?? '');
  const last = stack[stack.length - 1];
  if (last?.arr) path.push(0);
  return path;
}
