//! Flag usage: what the Worker saw a flag serve, day by day (evaluations
//! per variant and the last one), and what that says about cleanup. A flag
//! that has served one variant to everyone for its type's number of days
//! (release and experiment flags 40, ops and permission flags never, as
//! Unleash's lifetimes) is a candidate, with that variant's value to keep;
//! a flag nobody evaluated for that long is one too. Pure: the caller
//! passes the days (the Worker's `flag_usage` rows) and the time.
//! docs/ruleset.md ("Cleanup") documents it.

use crate::ruleset::Flag;
use crate::time::Millis;

/// A day, in days since the epoch (UTC).
pub type Day = i64;

/// Milliseconds per day.
pub const DAY_MS: i64 = 86_400_000;

/// Days of usage the Worker keeps (and the longest threshold that can be
/// judged from them).
pub const KEPT_DAYS: i64 = 90;

/// Days the usage endpoint summarises (`evaluations`, `variants`).
pub const SUMMARY_DAYS: i64 = 30;

/// The day of a time in ms.
pub fn day_of(ms: Millis) -> Day {
    ms.div_euclid(DAY_MS)
}

/// One variant's evaluations on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayUsage {
    /// The day.
    pub day: Day,
    /// The variant served.
    pub variant: String,
    /// How many times.
    pub count: u64,
    /// The last time (ms).
    pub last_at: Millis,
}

/// How long a flag of each type may serve one value before it is a
/// cleanup candidate (`None`: never), by its tags.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Tag → days (`None`: never). The first of a flag's tags found here
    /// decides; a flag with none of them gets `default`.
    pub by_tag: Vec<(String, Option<u32>)>,
    /// Untagged flags, and flags whose tags are not listed.
    pub default: Option<u32>,
}

impl Default for Policy {
    /// release 40, experiment 40, ops never, permission never, others 40.
    fn default() -> Policy {
        Policy {
            by_tag: vec![
                ("release".into(), Some(40)),
                ("experiment".into(), Some(40)),
                ("ops".into(), None),
                ("permission".into(), None),
            ],
            default: Some(40),
        }
    }
}

impl Policy {
    /// The days for `flag` (by its tags; an experiment flag without a
    /// listed tag counts as `experiment`).
    pub fn days_for(&self, flag: &Flag) -> Option<u32> {
        let tags = &flag.metadata().tags;
        for (tag, days) in &self.by_tag {
            if tags.iter().any(|t| **t == **tag) {
                return *days;
            }
        }
        if flag.is_experiment() {
            if let Some((_, days)) = self.by_tag.iter().find(|(t, _)| t == "experiment") {
                return *days;
            }
        }
        self.default
    }

    /// Reads `release=40,experiment=40,ops=never,default=30`: the listed
    /// tags replace their defaults.
    pub fn parse(s: &str) -> Result<Policy, String> {
        let mut p = Policy::default();
        for part in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            let (tag, days) =
                part.split_once('=').ok_or_else(|| format!("{part:?}: expected TAG=DAYS or TAG=never"))?;
            let days = match days.trim() {
                "never" => None,
                d => match d.parse::<u32>() {
                    Ok(n) if (1..=KEPT_DAYS as u32).contains(&n) => Some(n),
                    _ => return Err(format!("{part:?}: days must be 1 to {KEPT_DAYS} or never")),
                },
            };
            let tag = tag.trim();
            if tag.is_empty() {
                return Err(format!("{part:?}: the tag is empty"));
            }
            if tag == "default" {
                p.default = days;
            } else if let Some(slot) = p.by_tag.iter_mut().find(|(t, _)| t == tag) {
                slot.1 = days;
            } else {
                p.by_tag.push((tag.to_string(), days));
            }
        }
        Ok(p)
    }
}

/// What a flag's usage says.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The last evaluation seen (ms), if any in the kept days.
    pub last_evaluated: Option<Millis>,
    /// Evaluations per variant over the last [`SUMMARY_DAYS`], most first.
    pub variants: Vec<(String, u64)>,
    /// When every evaluation since then served one variant: that
    /// variant and the day the streak began (the day after the last day
    /// another variant was served, or the first day observed).
    pub one_variant: Option<(String, Day)>,
}

/// The summary of `days` (any order) at `now`.
pub fn summarize(days: &[DayUsage], now: Millis) -> Summary {
    let today = day_of(now);
    let last_evaluated = days.iter().map(|d| d.last_at).max();
    let mut variants: Vec<(String, u64)> = Vec::new();
    for d in days.iter().filter(|d| d.day > today - SUMMARY_DAYS && d.count > 0) {
        match variants.iter_mut().find(|(v, _)| *v == d.variant) {
            Some((_, n)) => *n += d.count,
            None => variants.push((d.variant.clone(), d.count)),
        }
    }
    variants.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    // The variant of the latest day with evaluations (none if that day
    // served several), then back in time until another one.
    let served: Vec<&DayUsage> = days.iter().filter(|d| d.count > 0).collect();
    let latest = served.iter().map(|d| d.day).max();
    let one_variant = latest.and_then(|day| {
        let mut on_latest = served.iter().filter(|d| d.day == day).map(|d| &d.variant);
        let v = on_latest.next()?;
        if on_latest.any(|w| w != v) {
            return None;
        }
        let other = served.iter().filter(|d| d.variant != *v).map(|d| d.day).max();
        let first = served.iter().map(|d| d.day).min().unwrap_or(day);
        Some((v.clone(), other.map_or(first, |o| o + 1)))
    });
    Summary { last_evaluated, variants, one_variant }
}

/// Why a flag's usage makes it a cleanup candidate.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// It served only `variant` for `days` days (at least its type's).
    OneVariant {
        /// The variant served.
        variant: String,
        /// For how many days.
        days: i64,
    },
    /// Nobody evaluated it for `days` days (at least its type's), though
    /// usage was recorded that long.
    Unused {
        /// Days since the last evaluation (or since observation began).
        days: i64,
    },
}

impl Finding {
    /// `"served_one_variant"` or `"unused"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Finding::OneVariant { .. } => "served_one_variant",
            Finding::Unused { .. } => "unused",
        }
    }
}

/// What `flag`'s usage `s` says at `now` under `policy`, when usage has
/// been recorded since day `observed_since` (the Worker's first usage
/// row of any flag): a flag can only be found unused, or serving one
/// variant for N days, after N days of observation.
pub fn assess(flag: &Flag, s: &Summary, observed_since: Option<Day>, now: Millis, policy: &Policy) -> Option<Finding> {
    let need = i64::from(policy.days_for(flag)?);
    let (today, since) = (day_of(now), observed_since?);
    let Some(last) = s.last_evaluated else {
        let observed = today - since;
        return (observed >= need).then_some(Finding::Unused { days: observed });
    };
    let quiet = today - day_of(last);
    if quiet >= need {
        return Some(Finding::Unused { days: quiet });
    }
    let (variant, start) = s.one_variant.as_ref()?;
    let days = today - (*start).max(since);
    (days >= need).then(|| Finding::OneVariant { variant: variant.clone(), days })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ruleset;

    fn d(day: Day, variant: &str, count: u64) -> DayUsage {
        DayUsage { day, variant: variant.into(), count, last_at: day * DAY_MS + 1000 }
    }

    #[test]
    fn streaks_and_summaries() {
        let now = 100 * DAY_MS + 5;
        let days = [d(40, "on", 5), d(40, "off", 5), d(50, "on", 7), d(99, "on", 1), d(100, "on", 2)];
        let s = summarize(&days, now);
        assert_eq!(s.one_variant, Some(("on".into(), 41)));
        assert_eq!(s.last_evaluated, Some(100 * DAY_MS + 1000));
        assert_eq!(s.variants, vec![("on".into(), 3)]);
        let s = summarize(&[d(90, "off", 1), d(95, "on", 3), d(95, "off", 4)], now);
        assert_eq!(s.one_variant, None, "the latest day served two variants");
        assert_eq!(s.variants, vec![("off".into(), 5), ("on".into(), 3)]);
        let s = summarize(&[d(90, "off", 1), d(95, "on", 3), d(97, "on", 0)], now);
        assert_eq!(s.one_variant, Some(("on".into(), 91)), "days without evaluations do not count");
        assert_eq!(summarize(&[], now).one_variant, None);
    }

    #[test]
    fn assessed_by_type() {
        let rs = Ruleset::from_json(
            r#"{"flags": {"r": {"percentage": 50, "tags": ["release"]}, "o": {"percentage": 50, "tags": ["ops"]},
            "x": {"split": [["on", 50], ["off", 50]], "experiment": {"control": "off", "metrics": ["m"]}}}}"#,
        )
        .unwrap();
        let (r, o, x) = (rs.flag("r").unwrap(), rs.flag("o").unwrap(), rs.flag("x").unwrap());
        let p = Policy::default();
        let now = 100 * DAY_MS;
        let one = summarize(&[d(10, "off", 3), d(10, "on", 3), d(11, "on", 9), d(99, "on", 1)], now);
        assert_eq!(assess(r, &one, Some(0), now, &p), Some(Finding::OneVariant { variant: "on".into(), days: 89 }));
        assert_eq!(assess(o, &one, Some(0), now, &p), None, "ops flags never");
        // Observed for fewer days than the threshold: nothing yet.
        assert_eq!(assess(r, &one, Some(80), now, &p), None);
        let quiet = summarize(&[d(20, "on", 3), d(20, "off", 3)], now);
        assert_eq!(assess(x, &quiet, Some(0), now, &p), Some(Finding::Unused { days: 80 }));
        assert_eq!(assess(x, &summarize(&[], now), Some(50), now, &p), Some(Finding::Unused { days: 50 }));
        assert_eq!(assess(x, &summarize(&[], now), Some(70), now, &p), None);
        assert_eq!(assess(x, &summarize(&[], now), None, now, &p), None);
        let mixed = summarize(&[d(99, "on", 3), d(99, "off", 3)], now);
        assert_eq!(assess(r, &mixed, Some(0), now, &p), None);
    }

    #[test]
    fn policies_parse() {
        let p = Policy::parse("release=10, ops=30,default=never,mobile=5").unwrap();
        assert_eq!(p.by_tag[0], ("release".into(), Some(10)));
        assert_eq!(p.by_tag[2], ("ops".into(), Some(30)));
        assert_eq!(p.by_tag[4], ("mobile".into(), Some(5)));
        assert_eq!(p.default, None);
        assert!(Policy::parse("release").is_err());
        assert!(Policy::parse("release=0").is_err());
        assert!(Policy::parse("release=91").is_err());
        assert!(Policy::parse("=3").is_err());
    }
}
