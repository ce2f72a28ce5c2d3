// The evaluation vectors (tests/vectors/evaluation/*.json) as
// [{ file, doc }] for eval-vectors-body.js, in file order.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const VECTOR_DIR = join(ROOT, 'tests/vectors/evaluation');

export function evalVectorFiles() {
  const files = readdirSync(VECTOR_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: `tests/vectors/evaluation/${f}`, doc: JSON.parse(readFileSync(join(VECTOR_DIR, f), 'utf8')) }));
  if (files.length === 0) throw new Error(`no evaluation vectors in ${VECTOR_DIR}`);
  return files;
}
