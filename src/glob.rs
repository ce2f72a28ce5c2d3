//! Glob patterns for the `glob` operator: `*` matches any run of
//! characters (including none), `?` exactly one, everything else itself.
//! `*@company.com` matches every company address. Linear time: no
//! backtracking blow-up on hostile patterns.

/// Whether `text` matches `pattern`. Works on bytes without allocating;
/// `?` consumes one whole UTF-8 character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let char_len = |i: usize| text[i..].chars().next().map_or(1, char::len_utf8);
    let (mut pi, mut ti) = (0, 0);
    // Position of the last '*' and the text position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'?' {
            pi += 1;
            ti += char_len(ti);
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            let next = st + char_len(st);
            pi = sp + 1;
            ti = next;
            star = Some((sp, next));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// A glob reduced to the cheapest test that means the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GlobKind {
    Exact,
    Prefix,
    Suffix,
    Contains,
    General,
}

/// What `pattern` reduces to, and its literal part for the simple kinds:
/// `*@company.com` is an `ends_with`, `user-*` a `starts_with`.
pub(crate) fn classify(pattern: &str) -> (GlobKind, &str) {
    if pattern.contains('?') {
        return (GlobKind::General, pattern);
    }
    let inner = pattern.trim_matches('*');
    if inner.contains('*') {
        return (GlobKind::General, pattern);
    }
    match (pattern.starts_with('*'), pattern.ends_with('*')) {
        (false, false) => (GlobKind::Exact, inner),
        (false, true) => (GlobKind::Prefix, inner),
        (true, false) => (GlobKind::Suffix, inner),
        // `*text*`, and a pattern of stars alone (contains "" = anything).
        (true, true) => (GlobKind::Contains, inner),
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn matches() {
        assert!(glob_match("*@company.com", "ann@company.com"));
        assert!(!glob_match("*@company.com", "ann@company.com.evil.io"));
        assert!(glob_match("user-?", "user-7"));
        assert!(!glob_match("user-?", "user-77"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("", ""));
        assert!(!glob_match("", "x"));
        assert!(glob_match("ü*", "übung"));
    }

    #[test]
    fn classification_agrees_with_matching() {
        use super::{classify, GlobKind};
        let texts = ["", "a", "ann@company.com", "user-7", "xuser-7y", "*", "ü", "company.com@ann"];
        for pat in ["*@company.com", "user-*", "*user*", "exact", "", "*", "**", "a*b", "?x", "*a?"] {
            let (kind, lit) = classify(pat);
            for t in texts {
                let quick = match kind {
                    GlobKind::Exact => t == lit,
                    GlobKind::Prefix => t.starts_with(lit),
                    GlobKind::Suffix => t.ends_with(lit),
                    GlobKind::Contains => t.contains(lit),
                    GlobKind::General => glob_match(pat, t),
                };
                assert_eq!(quick, glob_match(pat, t), "{pat:?} on {t:?} as {kind:?}");
            }
        }
    }

    #[test]
    fn question_mark_takes_a_whole_character() {
        assert!(glob_match("?bung", "übung"));
        assert!(glob_match("*ü", "aaü"));
        assert!(!glob_match("??bung", "übung"));
    }

    #[test]
    fn hostile_pattern_is_fast() {
        let text = "a".repeat(5000);
        let pattern = "*a".repeat(500) + "b";
        assert!(!glob_match(&pattern, &text));
    }
}
