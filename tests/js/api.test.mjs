// The API suite (api-cases.cjs) over the ESM Node build, dist/node.mjs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as api from '../../pkg/dist/node.mjs';

const defineApiTests = createRequire(import.meta.url)('./api-cases.cjs');
defineApiTests(api, { describe, it, assert });
