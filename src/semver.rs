//! Semantic versions (semver 2.0 precedence) for the `semver_*` operators:
//! `1.2.3`, `v1.2.3`, `1.2` (patch 0), `1.2.3-beta.2+build` (build ignored).

use std::cmp::Ordering;

/// A parsed version; compare with [`Semver::cmp_precedence`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Semver {
    core: [u64; 3],
    pre: Vec<PreId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PreId {
    Num(u64),
    Alpha(String),
}

/// A run of ASCII digits as a number; `None` when empty, not all digits or
/// above `u64::MAX` (as `str::parse`, whose generic code is larger).
fn number(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.bytes().try_fold(0u64, |n, b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

impl Semver {
    /// Parses a version, or `None` if it is not one.
    pub fn parse(s: &str) -> Option<Semver> {
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let s = s.split_once('+').map_or(s, |(v, _)| v);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (s, None),
        };
        let mut parts = [0u64; 3];
        let mut n = 0;
        for part in core.split('.') {
            if n == 3 {
                return None;
            }
            parts[n] = number(part)?;
            n += 1;
        }
        if n < 2 {
            return None;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => p
                .split('.')
                .map(|id| {
                    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                        None
                    } else if id.bytes().all(|b| b.is_ascii_digit()) {
                        number(id).map(PreId::Num)
                    } else {
                        Some(PreId::Alpha(id.to_string()))
                    }
                })
                .collect::<Option<Vec<_>>>()?,
        };
        Some(Semver { core: parts, pre })
    }

    /// Semver precedence: core numbers, then a pre-release sorts before the
    /// release, pre-release identifiers compared numerically or lexically.
    pub fn cmp_precedence(&self, other: &Semver) -> Ordering {
        self.core.cmp(&other.core).then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                for (a, b) in self.pre.iter().zip(&other.pre) {
                    let o = match (a, b) {
                        (PreId::Num(x), PreId::Num(y)) => x.cmp(y),
                        (PreId::Num(_), PreId::Alpha(_)) => Ordering::Less,
                        (PreId::Alpha(_), PreId::Num(_)) => Ordering::Greater,
                        (PreId::Alpha(x), PreId::Alpha(y)) => x.cmp(y),
                    };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                self.pre.len().cmp(&other.pre.len())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Semver {
        Semver::parse(s).unwrap()
    }

    #[test]
    fn precedence_follows_the_spec() {
        let order = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.2",
            "v1.10.0",
            "2.0.0+build.5",
        ];
        for w in order.windows(2) {
            assert_eq!(v(w[0]).cmp_precedence(&v(w[1])), Ordering::Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("1.2.0").cmp_precedence(&v("v1.2")), Ordering::Equal);
    }

    #[test]
    fn numbers_up_to_u64_max() {
        let max = Semver::parse("18446744073709551615.0.0-18446744073709551615").unwrap();
        assert_eq!(max.core[0], u64::MAX);
        assert_eq!(max.pre, vec![PreId::Num(u64::MAX)]);
        // Too large for a number: an alphanumeric pre-release id would be
        // wrong, so the version is rejected, as with str::parse.
        assert!(Semver::parse("1.0.0-18446744073709551616").is_none());
    }

    #[test]
    fn rejects_non_versions() {
        for s in
            ["", "1", "a.b.c", "1.2.3.4", "1..2", "1.2.3-", "1.2.3-a..b", "1.2.x", "18446744073709551616.0", "1.+2"]
        {
            assert!(Semver::parse(s).is_none(), "{s}");
        }
    }
}
