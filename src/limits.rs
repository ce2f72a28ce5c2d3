//! Every limit the engine enforces, named once. Loading a ruleset past any
//! of them fails with a path-tagged problem that names the limit; nothing
//! here is a crash. `docs/ruleset.md` lists them for users.

/// Largest ruleset document accepted, in bytes (16 MiB).
pub const MAX_RULESET_BYTES: usize = 16 * 1024 * 1024;
/// Deepest JSON nesting accepted anywhere (rulesets, contexts, values).
pub const MAX_JSON_DEPTH: usize = 64;
/// Most flags in one ruleset.
pub const MAX_FLAGS: usize = 50_000;
/// Most segments in one ruleset.
pub const MAX_SEGMENTS: usize = 10_000;
/// Longest flag key, segment name, variant name, rule id or attribute name, in bytes.
pub const MAX_NAME_LEN: usize = 256;
/// Most variants per flag.
pub const MAX_VARIANTS: usize = 1_000;
/// Most rules per flag.
pub const MAX_RULES: usize = 1_000;
/// Most conditions per rule or segment.
pub const MAX_CONDITIONS: usize = 100;
/// Most entries in one list (user allowlists, `in` values, steps, prerequisites).
pub const MAX_LIST: usize = 100_000;
/// Longest string value (condition values, user ids, salts), in bytes.
pub const MAX_STRING_LEN: usize = 64 * 1024;
/// Longest chain of prerequisites (flag A needs B needs C...).
pub const MAX_PREREQUISITE_DEPTH: usize = 16;
/// Most attributes in one evaluation context.
pub const MAX_CONTEXT_ATTRIBUTES: usize = 1_000;
/// Longest request path [`crate::path::normalize`] accepts, in bytes (8 KiB).
pub const MAX_PATH_LEN: usize = 8 * 1024;
/// Longest upstream URL of a route, in bytes.
pub const MAX_UPSTREAM_LEN: usize = 2048;
