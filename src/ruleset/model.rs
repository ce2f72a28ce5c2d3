//! The compiled ruleset: what loading produces and evaluation reads. Every
//! string the hot path compares is already parsed into its final form
//! (sorted sets, numbers, semvers, timestamps, indices), so evaluation does
//! no parsing and, for string attributes, no allocation.

use crate::hash::{self, Hashes};
use crate::semver::Semver;
use crate::time::Millis;
use crate::value::Value;

/// Index of a flag in its [`Ruleset`](crate::Ruleset), stable for that ruleset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlagId(pub(crate) u32);

impl FlagId {
    /// The position of the flag in document order.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The type every variant value of a flag shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagType {
    /// `true` / `false`.
    Boolean,
    /// Strings.
    String,
    /// Numbers.
    Number,
    /// Any JSON (objects, arrays, or mixed).
    Json,
}

impl FlagType {
    /// `"boolean"`, `"string"`, `"number"` or `"json"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagType::Boolean => "boolean",
            FlagType::String => "string",
            FlagType::Number => "number",
            FlagType::Json => "json",
        }
    }

    /// Whether a flag of this type can serve `v`: a value of its own kind;
    /// anything, `null` included, for a `json` flag. Loading checks
    /// variants with it and [`Overrides::set`](crate::Overrides::set)
    /// checks overrides. It is not the typed-default check of evaluation,
    /// which looks at the value served ([`crate::default_accepts`]).
    pub fn accepts(self, v: &Value) -> bool {
        matches!(
            (self, v),
            (FlagType::Json, _)
                | (FlagType::Boolean, Value::Bool(_))
                | (FlagType::String, Value::String(_))
                | (FlagType::Number, Value::Number(_))
        )
    }
}

/// A named value a flag can serve.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The variant's name (`"on"`, `"control"`, ...).
    pub name: Box<str>,
    /// The value served.
    pub value: Value,
}

/// Cleanup metadata of a flag (see [`Ruleset::stale_flags`](crate::Ruleset::stale_flags)).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// Who owns the flag.
    pub owner: Option<Box<str>>,
    /// What it is for.
    pub description: Option<Box<str>>,
    /// When it was created (ms since the epoch).
    pub created: Option<Millis>,
    /// When it should be gone (ms since the epoch).
    pub expires: Option<Millis>,
    /// Free-form tags (`"release"`, `"experiment"`, `"ops"`, `"permission"`...).
    pub tags: Vec<Box<str>>,
}

/// A compiled flag.
#[derive(Debug, Clone)]
pub struct Flag {
    pub(crate) key: Box<str>,
    pub(crate) kind: FlagType,
    pub(crate) variants: Vec<Variant>,
    pub(crate) off: u32,
    pub(crate) default: u32,
    pub(crate) killed: bool,
    pub(crate) salt: Box<str>,
    pub(crate) bucket_by: Box<str>,
    /// `bucket_by`'s slot in [`crate::Ruleset::attributes`].
    pub(crate) bucket_slot: u32,
    pub(crate) prerequisites: Vec<Prerequisite>,
    pub(crate) targets: Vec<Target>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) fallthrough: Option<Serve>,
    pub(crate) metadata: Metadata,
    /// `false` for a server-only flag (`"client": false`).
    pub(crate) client: bool,
    /// Set when the flag is an experiment (`"experiment"`).
    pub(crate) experiment: Option<Box<Experiment>>,
    /// Set when the flag has a guarded rollout plan (`"rollout"`).
    pub(crate) rollout: Option<Box<Rollout>>,
}

/// A flag's `rollout`: the plan and where it stands (the current step is
/// the flag's fixed percentage).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rollout {
    pub plan: crate::rollout::RolloutPlan,
    pub status: crate::rollout::RolloutStatus,
    pub since: Option<Millis>,
    /// The rule carrying the plan (an index into the flag's rules);
    /// `None`: the flag itself.
    pub rule: Option<u32>,
}

/// A flag's `experiment`: who is compared with whom, on what.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Experiment {
    /// The control variant (an index into the flag's variants).
    pub control: u32,
    /// The rule whose split assigns the variants (an index into the
    /// flag's rules); `None`: the flag-level split or percentage.
    pub rule: Option<u32>,
    pub metrics: Vec<crate::experiment::MetricSpec>,
    pub plan: crate::experiment::Plan,
}

impl Flag {
    /// The flag's key.
    pub fn key(&self) -> &str {
        &self.key
    }
    /// The type of its values.
    pub fn kind(&self) -> FlagType {
        self.kind
    }
    /// Its variants, in declared order.
    pub fn variants(&self) -> &[Variant] {
        &self.variants
    }
    /// Whether its kill switch is on.
    pub fn is_killed(&self) -> bool {
        self.killed
    }
    /// The attribute it buckets by (`user_id` unless set).
    pub fn bucket_by(&self) -> &str {
        &self.bucket_by
    }
    /// The salt of its buckets (its key unless set).
    pub fn salt(&self) -> &str {
        &self.salt
    }
    /// Its cleanup metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }
    /// The variant served when killed or when a prerequisite fails.
    pub fn off_variant(&self) -> &Variant {
        &self.variants[self.off as usize]
    }
    /// The variant served when nothing else decides.
    pub fn default_variant(&self) -> &Variant {
        &self.variants[self.default as usize]
    }
    /// The rule ids, in order.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| &*r.id)
    }
    /// Whether browsers may see and evaluate it: `false` for a
    /// server-only flag (`"client": false`), which the client view
    /// ([`crate::client::client_view`]) leaves out.
    pub fn client(&self) -> bool {
        self.client
    }
    /// Whether the flag is an experiment (`"experiment"` is set).
    pub fn is_experiment(&self) -> bool {
        self.experiment.is_some()
    }
    /// The variant its flag-level percentage serves inside the rollout
    /// (`rollout_variant`, `on` by default): a guarded rollout's
    /// treatment. `None` without a flag-level percentage or schedule.
    pub fn rollout_variant(&self) -> Option<&Variant> {
        match &self.fallthrough {
            Some(Serve::Rollout { variant, .. }) => self.variants.get(*variant as usize),
            _ => None,
        }
    }
    /// The variant its rollout plan's step serves (the treatment): the
    /// flag's `rollout_variant`, or the variant of the rule carrying the
    /// plan. `None` without a plan.
    pub fn rollout_treatment(&self) -> Option<&Variant> {
        let r = self.rollout.as_deref()?;
        let serve = match r.rule {
            Some(i) => Some(&self.rules.get(i as usize)?.serve),
            None => self.fallthrough.as_ref(),
        };
        match serve {
            Some(Serve::Rollout { variant, .. }) => self.variants.get(*variant as usize),
            _ => None,
        }
    }
    /// The id of the rule carrying its rollout plan (`None`: no plan, or
    /// a plan on the flag itself).
    pub fn rollout_rule(&self) -> Option<&str> {
        let i = self.rollout.as_deref()?.rule?;
        self.rules.get(i as usize).map(|r| &*r.id)
    }
    /// Its guarded rollout plan (`"rollout"`), if any.
    pub fn rollout_plan(&self) -> Option<&crate::rollout::RolloutPlan> {
        self.rollout.as_deref().map(|r| &r.plan)
    }
    /// True when the flag serves one value to everyone (no targeting).
    pub fn is_static(&self) -> bool {
        self.prerequisites.is_empty() && self.targets.is_empty() && self.rules.is_empty() && self.fallthrough.is_none()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Prerequisite {
    pub flag: FlagId,
    /// Served variants of `flag` that satisfy it (indices into its variants).
    pub variants: Vec<u32>,
}

/// A user list serving one variant.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub users: Users,
    pub variant: u32,
    pub id: Box<str>,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub id: Box<str>,
    pub conditions: Vec<Condition>,
    pub serve: Serve,
}

#[derive(Debug, Clone)]
pub(crate) enum Serve {
    Variant(u32),
    /// In the rollout: `variant`; out: the flag's off variant; unbucketable: skipped.
    Rollout {
        percentage: Percentage,
        variant: u32,
    },
    /// Weighted variants (percent), in order.
    Split(Vec<(u32, f64)>),
}

#[derive(Debug, Clone)]
pub(crate) enum Percentage {
    Fixed(f64),
    Schedule(Schedule),
}

/// A percentage that is a function of time; before `start` it is 0.
#[derive(Debug, Clone)]
pub(crate) enum Schedule {
    /// `(offset from start in ms, percentage)`, sorted by offset.
    Steps {
        start: Millis,
        steps: Vec<(i64, f64)>,
    },
    Linear {
        start: Millis,
        duration: i64,
        from: f64,
        to: f64,
    },
    SCurve {
        start: Millis,
        duration: i64,
        from: f64,
        to: f64,
        steepness: f64,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Condition {
    pub attribute: Box<str>,
    pub op: Op,
    /// `attribute`'s slot in [`crate::Ruleset::attributes`] ([`NO_SLOT`]
    /// for segment conditions, which read no attribute).
    pub slot: u32,
}

/// The slot of what reads no attribute.
pub(crate) const NO_SLOT: u32 = u32::MAX;

#[derive(Debug, Clone)]
pub(crate) enum Op {
    In(ValueSet),
    NotIn(ValueSet),
    Contains(Box<str>),
    StartsWith(Box<str>),
    EndsWith(Box<str>),
    Glob(Box<str>),
    Num(NumOp, f64),
    Semver(NumOp, Semver),
    Before(Millis),
    After(Millis),
    /// `in` / `not_in` of a hashed list ([`crate::hash`]).
    InHashed(Hashes),
    NotInHashed(Hashes),
    InSegment(Vec<u32>),
    NotInSegment(Vec<u32>),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum NumOp {
    Eq,
    Lt,
    Lte,
    Gt,
    Gte,
}

/// A set of scalars for `in`/`eq`: their string forms and, for those that
/// are numbers (or numeric strings), their values.
#[derive(Debug, Clone, Default)]
pub(crate) struct ValueSet {
    pub strings: StrSet,
    pub numbers: Vec<f64>,
}

/// A sorted, deduplicated set of strings: binary search, no hashing.
#[derive(Debug, Clone, Default)]
pub(crate) struct StrSet(pub Vec<Box<str>>);

impl StrSet {
    pub fn new(mut items: Vec<Box<str>>) -> StrSet {
        items.sort_unstable();
        items.dedup();
        StrSet(items)
    }
    pub fn contains(&self, s: &str) -> bool {
        self.0.binary_search_by(|x| (**x).cmp(s)).is_ok()
    }
}

/// A user list: the ids, or their salted digests ([`crate::hash`]).
#[derive(Debug, Clone)]
pub(crate) enum Users {
    Plain(StrSet),
    Hashed(Hashes),
}

impl Default for Users {
    fn default() -> Users {
        Users::Plain(StrSet::default())
    }
}

impl Users {
    pub fn is_empty(&self) -> bool {
        match self {
            Users::Plain(s) => s.0.is_empty(),
            Users::Hashed(h) => h.is_empty(),
        }
    }
    /// Whether `user` (a unit's string form) is listed; `salt` is the
    /// ruleset's `hash_salt`.
    pub fn contains(&self, user: &str, salt: &str) -> bool {
        match self {
            Users::Plain(s) => s.contains(user),
            Users::Hashed(h) => h.contains(&hash::user(salt, user)),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub users: Users,
    pub conditions: Vec<Condition>,
}
