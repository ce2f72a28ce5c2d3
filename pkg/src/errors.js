// EdgeflagsError: what the package throws, a real `Error` with a stable
// `code` (and `problems` for INVALID_RULESET). Errors the wasm binding
// throws are built on the Rust side (src/wasm/error.rs: a js-sys Error
// with `code` and `problems`) and given this prototype by `adopt`.

/** An edgeflags failure: a real `Error` with a stable `code`. */
export class EdgeflagsError extends Error {
  constructor(code, message, problems, cause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'EdgeflagsError';
    this.code = code;
    this.problems = problems || [];
  }
}

// A binding error (an Error with a string `code`) becomes an
// EdgeflagsError in place, keeping its message and stack; anything else
// (a bug) is passed on untouched.
export function adopt(e) {
  if (e instanceof Error && typeof e.code === 'string' && !(e instanceof EdgeflagsError)) {
    Object.setPrototypeOf(e, EdgeflagsError.prototype);
    if (!Array.isArray(e.problems)) e.problems = [];
  }
  return e;
}
