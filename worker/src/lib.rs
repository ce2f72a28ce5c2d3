//! # edgeflags-worker
//!
//! The edgeflags Cloudflare Worker: answers flag queries at the edge from a
//! ruleset published to Workers KV, routes requests to upstreams by flag,
//! and takes authenticated, versioned, audited changes through one writer,
//! a Durable Object (the control object) that publishes them to KV.
//! `docs/worker.md` is the user's guide (endpoints, storage, auth,
//! consistency, failures).
//!
//! The crate is split so that everything that decides something is plain
//! Rust, tested natively with `cargo test`: the endpoint table ([`api`]),
//! tokens ([`auth`]), settings ([`config`]), CORS ([`cors`]), request
//! bodies and conditional headers ([`body`]), contexts ([`requester`]),
//! the store's layout and the writer's decisions ([`store`]), the route
//! metrics guarded rollouts read ([`metrics`]) and the guard's own
//! bookkeeping ([`rollouts`]), errors
//! ([`errors`]) and the evaluate answers, the core's results in the
//! Worker's envelope ([`answer`]), and OpenFeature's remote evaluation
//! protocol, OFREP ([`ofrep`]). The `runtime` module, compiled for
//! wasm32 only, is the thin I/O layer over the `worker` crate: KV, the
//! control object, the isolate's compiled ruleset, the proxy and the
//! handlers. The Worker's own behaviour end to end is tested in the real
//! runtime by `tests/worker/` (Miniflare).
#![deny(missing_docs)]

pub mod answer;
pub mod api;
pub mod auth;
pub mod body;
pub mod config;
pub mod cors;
pub mod dashboard;
pub mod dead;
pub mod errors;
pub mod events;
pub mod metrics;
pub mod ofrep;
pub mod preview;
pub mod requester;
pub mod rollouts;
pub mod store;
pub mod usage;

#[cfg(target_arch = "wasm32")]
mod runtime;
