//! # edgeflags
//!
//! The evaluation core of edgeflags, a feature-flag engine that runs the
//! same code natively, in the browser and Node (wasm), and at the edge (a
//! Cloudflare Worker).
//!
//! A [`Ruleset`] is loaded once from JSON (validated, with every problem
//! reported at its JSON path, and compiled), then evaluated many times:
//!
//! ```
//! use edgeflags::{Context, Ruleset, Value};
//!
//! let rs = Ruleset::from_json(r#"{"flags": {
//!     "new_search": {"percentage": 20},
//!     "dark_mode": {"users": ["user:1", "user:42"]},
//!     "maintenance": false
//! }}"#).unwrap();
//! let ctx = Context::with_user("user:42");
//! let e = rs.evaluate("dark_mode", &ctx, 0, &Value::Bool(false));
//! assert_eq!(e.value, &Value::Bool(true));
//! assert_eq!(e.reason.as_str(), "TARGETING_MATCH");
//! ```
//!
//! The core has no clock and no I/O: time comes in as an argument
//! (milliseconds since the epoch), so schedules are deterministic in tests.
//! Bucketing follows `shared/spec/bucketing.md` exactly ([`bucket`]).
//!
//! Two pieces serve the Worker and browsers around evaluation:
//! [`client::client_view`] turns a full ruleset document into the one
//! browsers may download (server-only flags, routes and metadata left out,
//! user lists and sensitive values replaced by salted SHA-256 digests,
//! the same answers for every flag it keeps), and [`path::normalize`]
//! decodes and normalizes a request path before routes match it
//! ([`Ruleset::route_for_path`]).
//!
//! [`Value`] and [`Context`] are serde types, so any serde format reads
//! them with the same limits. Cargo features: `json` (default) adds JSON
//! text through serde_json ([`Value::parse`], `Ruleset::from_json`);
//! `wasm` adds the JS binding.
#![deny(missing_docs)]

mod bucket;
pub mod client;
mod context;
pub mod diff;
pub mod edit;
mod error;
pub mod events;
pub mod experiment;
mod glob;
mod hash;
mod kind;
pub mod limits;
pub mod openfeature;
mod overrides;
pub mod path;
pub mod rollout;
mod ruleset;
pub mod semver;
mod ser;
pub mod stats;
pub mod time;
pub mod usage;
mod value;
#[cfg(feature = "wasm")]
pub mod wasm;

pub use bucket::{bucket, bucket_in_rollout, in_rollout, pick_weighted};
pub use context::{Context, ContextError};
pub use error::{ErrorCode, LoadError, OverrideError, Problem, Reason};
pub use glob::glob_match;
pub use kind::{default_accepts, default_accepts_table, Kind};
pub use overrides::Overrides;
pub use ruleset::{
    Evaluation, Exposure, Flag, FlagId, FlagType, Metadata, Resolution, Route, Ruleset, StaleReason, Variant,
    SCHEMA_VERSION,
};
#[cfg(feature = "json")]
pub use value::JsonError;
pub use value::Value;
