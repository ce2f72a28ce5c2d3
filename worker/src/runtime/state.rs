//! The isolate's ruleset: parsed and compiled once, shared by every request
//! the isolate serves, and revalidated against KV at most every
//! `REVALIDATE_SECONDS`. Revalidation reads only the small pointer; the
//! document is fetched and compiled only when the pointer names a new
//! version. When KV cannot give a valid ruleset (missing, corrupt,
//! unreachable) the last known good one is kept and marked stale; with
//! nothing known good, callers get `PROVIDER_NOT_READY`.

use std::cell::RefCell;
use std::rc::Rc;

use edgeflags::Ruleset;

use super::kv::Store;
use crate::config::Config;
use crate::requester;
use crate::store::{parse_pointer, version_key, POINTER_KEY};

/// A compiled ruleset and the exact document it came from.
#[derive(Clone)]
pub struct Loaded {
    /// The compiled ruleset.
    pub rs: Rc<Ruleset>,
    /// The stored document text (served by `GET /v1/ruleset`).
    pub doc: Rc<str>,
    /// Its version (the ETag).
    pub version: u64,
    /// The `request.cf` fields its conditions read (`(attribute, property)`).
    pub cf_fields: Rc<[(&'static str, &'static str)]>,
}

impl Loaded {
    /// A compiled ruleset with what requests derive from it, computed once.
    pub fn new(rs: Ruleset, doc: Rc<str>, version: u64) -> Loaded {
        let cf_fields = requester::cf_fields_read(&rs.attributes()).into();
        Loaded { rs: Rc::new(rs), doc, version, cf_fields }
    }
}

/// Why KV did not give a usable ruleset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// No pointer: nothing was ever published here.
    Missing,
    /// The pointer or the document it names is not a valid ruleset.
    Corrupt,
    /// KV failed.
    Unreachable,
}

impl Trouble {
    /// `"missing"`, `"corrupt"` or `"unreachable"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Trouble::Missing => "missing",
            Trouble::Corrupt => "corrupt",
            Trouble::Unreachable => "unreachable",
        }
    }
}

/// What a request sees.
#[derive(Clone)]
pub struct Snapshot {
    /// The ruleset to serve, if any.
    pub loaded: Option<Loaded>,
    /// The last revalidation's problem: with `loaded`, the answer is stale.
    pub trouble: Option<(Trouble, String)>,
}

impl Snapshot {
    /// The `X-Edgeflags-Stale` value: why the served ruleset may be old.
    pub fn stale(&self) -> Option<&'static str> {
        match (&self.loaded, &self.trouble) {
            (Some(_), Some((t, _))) => Some(t.as_str()),
            _ => None,
        }
    }
}

/// Isolate statistics for `GET /v1/status`.
#[derive(Clone, Copy)]
pub struct Stats {
    /// Rulesets compiled by this isolate (from KV or from a change).
    pub compiles: u64,
    /// When KV was last checked (ms), if ever.
    pub checked_at: Option<u64>,
}

#[derive(Default)]
struct Isolate {
    loaded: Option<Loaded>,
    trouble: Option<(Trouble, String)>,
    checked_at: Option<u64>,
    compiles: u64,
}

thread_local! {
    // wasm is single-threaded: concurrent requests interleave only at
    // awaits, and the RefCell is never borrowed across one.
    static ISOLATE: RefCell<Isolate> = RefCell::new(Isolate::default());
}

enum Outcome {
    Same,
    New(Loaded),
    Trouble(Trouble, String),
}

/// The ruleset for a request at time `now` (ms), revalidating if due.
pub async fn current(store: &Store, cfg: &Config, now: u64) -> Snapshot {
    let (due, cached) = ISOLATE.with(|i| {
        let i = i.borrow();
        let due = i.checked_at.is_none_or(|t| now.saturating_sub(t) >= cfg.revalidate_ms);
        (due, i.loaded.as_ref().map(|l| l.version))
    });
    if due {
        let outcome = revalidate(store, cached).await;
        ISOLATE.with(|i| {
            let mut i = i.borrow_mut();
            i.checked_at = Some(now);
            match outcome {
                Outcome::Same => i.trouble = None,
                Outcome::New(l) => {
                    i.compiles += 1;
                    i.loaded = Some(l);
                    i.trouble = None;
                }
                Outcome::Trouble(t, msg) => i.trouble = Some((t, msg)),
            }
        });
    }
    ISOLATE.with(|i| {
        let i = i.borrow();
        Snapshot { loaded: i.loaded.clone(), trouble: i.trouble.clone() }
    })
}

/// Installs a ruleset this isolate just stored, so its own next request
/// sees the change without waiting for revalidation.
pub fn install(loaded: Loaded, now: u64) {
    ISOLATE.with(|i| {
        let mut i = i.borrow_mut();
        i.compiles += 1;
        i.loaded = Some(loaded);
        i.trouble = None;
        i.checked_at = Some(now);
    });
}

/// Counters for the status endpoint.
pub fn stats() -> Stats {
    ISOLATE.with(|i| {
        let i = i.borrow();
        Stats { compiles: i.compiles, checked_at: i.checked_at }
    })
}

async fn revalidate(store: &Store, cached: Option<u64>) -> Outcome {
    let pointer = match store.get(POINTER_KEY).await {
        Err(e) => return Outcome::Trouble(Trouble::Unreachable, e),
        Ok(None) => {
            return Outcome::Trouble(Trouble::Missing, format!("no ruleset published (KV key {POINTER_KEY} is absent)"))
        }
        Ok(Some(p)) => p,
    };
    let version = match parse_pointer(&pointer) {
        Ok(v) => v,
        Err(e) => return Outcome::Trouble(Trouble::Corrupt, format!("{POINTER_KEY}: {e}")),
    };
    if cached == Some(version) {
        return Outcome::Same;
    }
    let key = version_key(version);
    let doc = match store.get(&key).await {
        Err(e) => return Outcome::Trouble(Trouble::Unreachable, e),
        Ok(None) => {
            return Outcome::Trouble(
                Trouble::Corrupt,
                format!("the pointer names version {version} but {key} is absent"),
            )
        }
        Ok(Some(d)) => d,
    };
    match Ruleset::from_json(&doc) {
        Err(e) => Outcome::Trouble(Trouble::Corrupt, format!("{key}: {e}")),
        Ok(rs) if rs.version() != version => Outcome::Trouble(
            Trouble::Corrupt,
            format!("{key} holds a ruleset whose version is {}, not {version}", rs.version()),
        ),
        Ok(rs) => Outcome::New(Loaded::new(rs, doc.into(), version)),
    }
}
