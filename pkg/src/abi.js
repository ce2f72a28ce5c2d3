// The hand-shaped part of the JS/wasm boundary, mirrored once from
// src/wasm/abi.rs (tests/wasm_abi.rs checks the two agree). ABI_VERSION
// changes with any of them; each entry checks it against the wasm's
// abi_version() right after loading it (checkAbi).
import { EdgeflagsError } from './errors.js';

export const ABI_VERSION = 3;

// A packed resolution: bits 0-9 variant index, 10-12 reason code (an index
// in the metadata's `reasons`), 13-31 what matched (0: nothing).
export const NO_RESOLUTION = 0xffffffff;
export const VARIANT_MASK = 0x3ff;
export const REASON_SHIFT = 10;
export const REASON_MASK = 7;
export const MATCHED_SHIFT = 13;
// What Engine::exposure_unit returns for an evaluation that is no
// exposure (else the unit's length in UTF-8 bytes).
export const NO_UNIT = 0xffffffff;

// Which wasm-side context a call reads.
export const TARGET_SCRATCH = 0;
export const TARGET_HELD = 1;
export const TARGET_EMPTY = 2;

// Batch entry codes: below STRING_MAX, a string of that many UTF-8 bytes.
export const STRING_MAX = 0x40000000;
export const SET_STAGED = 0xffffffef;
export const SET_NULL = 0xfffffff0;
export const SET_FALSE = 0xfffffff1;
export const SET_TRUE = 0xfffffff2;
export const SET_NUMBER = 0xfffffff3;

// The core's kind codes (Kind::code): the typed-default table the
// metadata carries (`accepts`) is indexed by default kind * KINDS + served kind.
export const KIND_NULL = 0;
export const KIND_BOOL = 1;
export const KIND_NUMBER = 2;
export const KIND_STRING = 3;
export const KIND_ARRAY = 4;
export const KIND_OBJECT = 5;
export const KINDS = 6;

// Error codes (`error.code`): from the binding, then the package's own.
export const INVALID_RULESET = 'INVALID_RULESET';
export const INVALID_ARGUMENT = 'INVALID_ARGUMENT';
export const INVALID_CONTEXT = 'INVALID_CONTEXT';
export const FREED = 'FREED';
export const SYNC_FAILED = 'SYNC_FAILED';
export const ABI_MISMATCH = 'ABI_MISMATCH';

/** Throws ABI_MISMATCH unless the wasm speaks this module's ABI. */
export function checkAbi(actual) {
  if (actual !== ABI_VERSION) {
    throw new EdgeflagsError(
      ABI_MISMATCH,
      `edgeflags: the wasm file speaks boundary version ${actual}, this JS expects ${ABI_VERSION}; the package's files come from different builds (rebuild or reinstall it)`,
    );
  }
}
