// The evaluation vectors as [{ file, doc }] for eval-vectors-body.js:
// tests/vectors/evaluation/*.json, or, while that directory is absent (the
// vectors land from another branch), the tiny local sample in fixtures/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const VECTOR_DIR = join(ROOT, 'tests/vectors/evaluation');

export function evalVectorFiles() {
  if (!existsSync(VECTOR_DIR)) {
    const file = 'tests/js/fixtures/eval-sample.json';
    return [{ file, doc: JSON.parse(readFileSync(join(ROOT, file), 'utf8')) }];
  }
  return readdirSync(VECTOR_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: `tests/vectors/evaluation/${f}`, doc: JSON.parse(readFileSync(join(VECTOR_DIR, f), 'utf8')) }));
}
