//! The ruleset: loaded once (validated and compiled), then shared and read
//! by every evaluation. Immutable after loading; updating a ruleset means
//! loading a new one and swapping it in whole.

pub(crate) mod compile;
mod eval;
mod experiment;
pub(crate) mod model;
mod rollout;
mod route;

pub use compile::SCHEMA_VERSION;
pub use eval::{Evaluation, Resolution};
pub use experiment::Exposure;
pub use model::{Flag, FlagId, FlagType, Metadata, Variant};
pub use route::Route;

use crate::context::Context;
use crate::error::LoadError;
#[cfg(feature = "json")]
use crate::limits::MAX_RULESET_BYTES;
use crate::path::NormalizedPath;
use crate::time::Millis;
use crate::value::Value;
use model::{Percentage, Segment, Serve, NO_SLOT};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// A validated, compiled ruleset.
#[derive(Debug, Clone)]
pub struct Ruleset {
    pub(crate) schema: u32,
    pub(crate) version: u64,
    pub(crate) flags: Vec<Flag>,
    /// Flag key to [`FlagId`] index.
    pub(crate) index: HashMap<Box<str>, u32>,
    pub(crate) segments: Vec<Segment>,
    pub(crate) routes: Vec<Route>,
    /// Every attribute name it reads, sorted: slot `i` is `attrs[i]`.
    pub(crate) attrs: Vec<Box<str>>,
    /// This load's id: a context laid out for it ([`Ruleset::new_context`])
    /// is read by slot instead of by name.
    pub(crate) layout: u64,
    /// The slot of `user_id` (user lists read it).
    pub(crate) user_slot: u32,
    /// The salt of hashed lists (`hash_salt`; empty when unset).
    pub(crate) hash_salt: Box<str>,
    /// The attributes marked `sensitive`, sorted.
    pub(crate) sensitive: Vec<Box<str>>,
}

/// Layout ids, unique for the life of the process (never 0, which means
/// "no layout").
static NEXT_LAYOUT: AtomicU64 = AtomicU64::new(1);

/// Why a flag is a cleanup candidate (the seeds' "stale flags").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StaleReason {
    /// Its `expires` date has passed.
    Expired,
    /// It serves one value to everyone: the rollout is complete or it never had targeting.
    Static,
    /// It is killed: the feature behind it is off for everyone.
    Killed,
    /// Its rollout has reached 100% (or its schedule has finished at 100%).
    FullyRolledOut,
}

impl StaleReason {
    /// `"expired"`, `"static"`, `"killed"` or `"fully_rolled_out"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StaleReason::Expired => "expired",
            StaleReason::Static => "static",
            StaleReason::Killed => "killed",
            StaleReason::FullyRolledOut => "fully_rolled_out",
        }
    }
}

/// A ruleset is read from any serde format: the document is read as a
/// [`Value`] (duplicate keys and depth checked there), then compiled by
/// [`Ruleset::from_value`]; any problem fails the deserialization with
/// every problem and its path in the message.
impl<'de> serde::Deserialize<'de> for Ruleset {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let doc = <Value as serde::Deserialize>::deserialize(d)?;
        Ruleset::from_value(&doc).map_err(serde::de::Error::custom)
    }
}

impl Ruleset {
    /// Loads a ruleset from JSON text: parses, validates and compiles it.
    /// Any problem rejects the whole document, with every problem listed.
    #[cfg(feature = "json")]
    pub fn from_json(text: &str) -> Result<Ruleset, LoadError> {
        if text.len() > MAX_RULESET_BYTES {
            return Err(LoadError::single(
                "",
                crate::error::msg![
                    "ruleset of ",
                    crate::error::uint(text.len()),
                    " bytes is larger than the limit of ",
                    crate::error::uint(MAX_RULESET_BYTES)
                ],
            ));
        }
        let doc = Value::parse(text).map_err(|e| LoadError::single("", e.text()))?;
        Ruleset::from_value(&doc)
    }

    /// Loads a ruleset from a parsed JSON document.
    pub fn from_value(doc: &Value) -> Result<Ruleset, LoadError> {
        compile::compile(doc)
    }

    /// The ruleset's `version` (0 unless set).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The format version (`schema`), always [`SCHEMA_VERSION`].
    pub fn schema(&self) -> u32 {
        self.schema
    }

    /// Number of flags.
    pub fn len(&self) -> usize {
        self.flags.len()
    }

    /// Whether the ruleset has no flags.
    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    /// The flags, in document order (a flag's position is its [`FlagId`]).
    pub fn flags(&self) -> &[Flag] {
        &self.flags
    }

    /// The id of the flag `key`.
    pub fn flag_id(&self, key: &str) -> Option<FlagId> {
        self.index.get(key).map(|&i| FlagId(i))
    }

    /// The flag `key`.
    pub fn flag(&self, key: &str) -> Option<&Flag> {
        self.flag_id(key).map(|id| &self.flags[id.index()])
    }

    /// The attributes the ruleset marks `sensitive` (top-level
    /// `"sensitive"`), sorted: the client view hashes their `in`/`eq`
    /// values. A binding may also keep them out of logs.
    pub fn sensitive(&self) -> &[Box<str>] {
        &self.sensitive
    }

    /// The routes, in order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The first route whose pattern matches `path` (see
    /// [`Route::matches`]). A proxy forwards [`NormalizedPath::as_encoded`],
    /// the path that matched, never the raw one.
    pub fn route_for_path(&self, path: &NormalizedPath) -> Option<&Route> {
        self.routes.iter().find(|r| r.matcher.matches(path))
    }

    /// [`Ruleset::route_for_path`] of a raw, percent-encoded path: `None`
    /// also when it does not normalize ([`crate::path::normalize`]). A
    /// proxy should normalize itself, to answer a refused path with 400
    /// and to forward the normalized path.
    pub fn route_for(&self, path: &str) -> Option<&Route> {
        self.route_for_path(&crate::path::normalize(path).ok()?)
    }

    /// Every attribute name the ruleset reads (conditions, segments,
    /// bucketing, `user_id` for user lists), sorted: a binding only needs
    /// to copy these out of a caller's context.
    pub fn attributes(&self) -> Vec<&str> {
        self.attrs.iter().map(|a| &**a).collect()
    }

    /// An empty context laid out for this ruleset: one slot per attribute
    /// it reads, in [`Ruleset::attributes`] order, which evaluation reads
    /// by position instead of comparing names. Fill it with
    /// [`Context::set`]; any context works with any ruleset, this one is
    /// only faster with its own.
    pub fn new_context(&self) -> Context {
        Context::laid_out(self.layout, &self.attrs)
    }

    /// Takes `earlier`'s layout when both read the same attributes (so the
    /// same slots): contexts laid out for `earlier` are then read by slot
    /// here too, instead of by name. For bindings that keep contexts
    /// across an update of the ruleset. Returns whether it did.
    pub fn adopt_layout(&mut self, earlier: &Ruleset) -> bool {
        let same = self.attrs == earlier.attrs;
        if same {
            self.layout = earlier.layout;
        }
        same
    }

    /// Computes `attrs` and every slot (the compiler's last step).
    pub(crate) fn with_slots(mut self) -> Ruleset {
        let mut names: Vec<&str> = vec!["user_id"];
        let conds = self
            .flags
            .iter()
            .flat_map(|f| f.rules.iter().flat_map(|r| r.conditions.iter()))
            .chain(self.segments.iter().flat_map(|s| s.conditions.iter()));
        names.extend(conds.map(|c| &*c.attribute).filter(|a| !a.is_empty()));
        names.extend(self.flags.iter().map(|f| &*f.bucket_by));
        names.sort_unstable();
        names.dedup();
        let attrs: Vec<Box<str>> = names.into_iter().map(Box::from).collect();
        let slot = |name: &str| attrs.binary_search_by(|a| (**a).cmp(name)).map_or(NO_SLOT, |i| i as u32);
        for f in &mut self.flags {
            f.bucket_slot = slot(&f.bucket_by);
            for c in f.rules.iter_mut().flat_map(|r| r.conditions.iter_mut()) {
                c.slot = slot(&c.attribute);
            }
        }
        for c in self.segments.iter_mut().flat_map(|s| s.conditions.iter_mut()) {
            c.slot = slot(&c.attribute);
        }
        self.user_slot = slot("user_id");
        self.attrs = attrs;
        self.layout = NEXT_LAYOUT.fetch_add(1, Ordering::Relaxed);
        self
    }

    /// The attribute names that evaluating flag `id` can read: its rules'
    /// conditions and the segments they use, `user_id` for user lists, its
    /// bucketing attribute when it has a rollout or split, and the same for
    /// its prerequisites; sorted, a subset of [`Ruleset::attributes`].
    /// A binding evaluating one flag only needs to copy these out of a
    /// caller's context. Empty for an unknown id.
    pub fn flag_attributes(&self, id: FlagId) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_flag_attributes(id, 0, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    fn collect_flag_attributes<'a>(&'a self, id: FlagId, depth: usize, out: &mut Vec<&'a str>) {
        let Some(f) = self.flags.get(id.index()) else { return };
        if !f.targets.is_empty() {
            out.push("user_id");
        }
        if f.rules.iter().map(|r| &r.serve).chain(&f.fallthrough).any(|s| !matches!(s, Serve::Variant(_))) {
            out.push(&f.bucket_by);
        }
        for c in f.rules.iter().flat_map(|r| r.conditions.iter()) {
            match &c.op {
                model::Op::InSegment(ids) | model::Op::NotInSegment(ids) => {
                    for seg in ids.iter().filter_map(|&s| self.segments.get(s as usize)) {
                        if !seg.users.is_empty() {
                            out.push("user_id");
                        }
                        out.extend(seg.conditions.iter().map(|c| &*c.attribute).filter(|a| !a.is_empty()));
                    }
                }
                _ if !c.attribute.is_empty() => out.push(&c.attribute),
                _ => {}
            }
        }
        // Past the depth limit evaluation stops without reading anything.
        if depth < crate::limits::MAX_PREREQUISITE_DEPTH {
            for p in &f.prerequisites {
                self.collect_flag_attributes(p.flag, depth + 1, out);
            }
        }
    }

    /// Whether the resolution of flag `id` can change with the evaluation
    /// time alone: it (or a prerequisite, transitively) has a schedule.
    /// For every other flag, a fixed context always resolves the same way,
    /// so a binding may cache the resolution per context. `false` for an
    /// unknown id.
    pub fn depends_on_time(&self, id: FlagId) -> bool {
        self.depends_on_time_at(id, 0)
    }

    fn depends_on_time_at(&self, id: FlagId, depth: usize) -> bool {
        let Some(f) = self.flags.get(id.index()) else { return false };
        let timed = |s: &Serve| matches!(s, Serve::Rollout { percentage: Percentage::Schedule(_), .. });
        f.fallthrough.as_ref().is_some_and(timed)
            || f.rules.iter().any(|r| timed(&r.serve))
            // Chains are acyclic and depth-limited at load; the guard only
            // makes that a local fact (too deep counts as timed: never cached).
            || f.prerequisites.iter().any(|p| depth >= crate::limits::MAX_PREREQUISITE_DEPTH || self.depends_on_time_at(p.flag, depth + 1))
    }

    /// Flags that are candidates for cleanup at time `now`, with why.
    pub fn stale_flags(&self, now: Millis) -> Vec<(&Flag, Vec<StaleReason>)> {
        let mut out = Vec::new();
        for f in &self.flags {
            let mut why = Vec::new();
            if f.metadata.expires.is_some_and(|e| e <= now) {
                why.push(StaleReason::Expired);
            }
            // The design notes: ops (kill switches) and permission flags are
            // long-lived; being static or killed is their normal state.
            let long_lived = f.metadata.tags.iter().any(|t| matches!(&**t, "ops" | "permission"));
            if !long_lived {
                if f.killed {
                    why.push(StaleReason::Killed);
                }
                if f.is_static() {
                    why.push(StaleReason::Static);
                } else if f.prerequisites.is_empty() && f.rules.is_empty() && fully_rolled_out(f, now) {
                    why.push(StaleReason::FullyRolledOut);
                }
            }
            if !why.is_empty() {
                out.push((f, why));
            }
        }
        out
    }
}

/// A flag with nothing but a flag-level rollout that now takes everyone.
fn fully_rolled_out(f: &Flag, now: Millis) -> bool {
    match &f.fallthrough {
        Some(Serve::Rollout { percentage: Percentage::Fixed(p), .. }) => *p >= 100.0,
        Some(Serve::Rollout { percentage: Percentage::Schedule(s), .. }) => eval::schedule_percentage(s, now) >= 100.0,
        _ => false,
    }
}
