//! The isolate's ruleset: parsed and compiled once, shared by every request
//! the isolate serves, and revalidated against KV (the control object's
//! published copy) at most every `REVALIDATE_SECONDS`. Revalidation reads only the small pointer; the
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

/// Whether the isolate serves version `version` or a newer one already.
pub fn has(version: u64) -> bool {
    ISOLATE.with(|i| i.borrow().loaded.as_ref().is_some_and(|l| l.version >= version))
}

/// Installs a ruleset a change through this isolate just committed, so
/// its own next request sees the change without waiting for KV (which the
/// control object publishes to, and which can lag). An older version than
/// the one served is ignored: concurrent changes answer in any order.
pub fn install(loaded: Loaded, now: u64) {
    ISOLATE.with(|i| {
        let mut i = i.borrow_mut();
        if i.loaded.as_ref().is_some_and(|l| l.version >= loaded.version) {
            return;
        }
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
    // Details (keys, KV's own errors) go to the log; the problem text is
    // shown in answers (`/v1/status`, 503 bodies), so it stays generic.
    let trouble = |t: Trouble, public: &str, detail: String| {
        worker::console_error!("edgeflags: ruleset revalidation: {detail}");
        Outcome::Trouble(t, public.to_string())
    };
    let pointer = match store.get(POINTER_KEY).await {
        Err(e) => return trouble(Trouble::Unreachable, "the ruleset store is unreachable", e),
        Ok(None) => return Outcome::Trouble(Trouble::Missing, "no ruleset has been published yet".into()),
        Ok(Some(p)) => p,
    };
    let corrupt = "the published ruleset cannot be loaded";
    let version = match parse_pointer(&pointer) {
        Ok(v) => v,
        Err(e) => return trouble(Trouble::Corrupt, corrupt, format!("{POINTER_KEY}: {e}")),
    };
    // Versions only grow: a pointer behind the version served is KV lagging
    // (eventually consistent, about 60 s across locations) behind a change
    // this isolate installed, never a change to go back to.
    if cached.is_some_and(|c| version <= c) {
        return Outcome::Same;
    }
    let key = version_key(version);
    let doc = match store.get(&key).await {
        Err(e) => return trouble(Trouble::Unreachable, "the ruleset store is unreachable", e),
        Ok(None) => {
            return trouble(
                Trouble::Corrupt,
                corrupt,
                format!("the pointer names version {version} but {key} is absent"),
            )
        }
        Ok(Some(d)) => d,
    };
    match Ruleset::from_json(&doc) {
        Err(e) => trouble(Trouble::Corrupt, corrupt, format!("{key}: {e}")),
        Ok(rs) if rs.version() != version => trouble(
            Trouble::Corrupt,
            corrupt,
            format!("{key} holds a ruleset whose version is {}, not {version}", rs.version()),
        ),
        Ok(rs) => Outcome::New(Loaded::new(rs, doc.into(), version)),
    }
}
