//! The human form of a semantic diff and a blast radius (the `--json`
//! form is the core's `to_value`). Values are written as compact JSON,
//! cut at [`MAX_VALUE_CHARS`]; long member lists at [`MAX_MEMBERS`].

use edgeflags::diff::{BlastRadius, Change, ChangeKind, ItemDiff, RulesetDiff, Status};
use edgeflags::Value;

const MAX_VALUE_CHARS: usize = 120;
const MAX_MEMBERS: usize = 10;

/// The diff, one line per change, under a one-line summary.
pub fn diff(d: &RulesetDiff) -> Vec<String> {
    let mut out = Vec::new();
    if d.is_empty() {
        out.push("No changes.".to_string());
        return out;
    }
    let (added, removed, changed) = d.flag_counts();
    out.push(format!(
        "Changes: flags {added} added, {removed} removed, {changed} changed; segments {}; routes {}",
        d.segments.len(),
        d.routes.len()
    ));
    for c in &d.ruleset {
        out.push(format!("  ~ ruleset {}", change(c)));
    }
    for (what, items) in [("flag", &d.flags), ("segment", &d.segments), ("route", &d.routes)] {
        for item in items {
            item_lines(what, item, &mut out);
        }
    }
    out
}

fn item_lines(what: &str, item: &ItemDiff, out: &mut Vec<String>) {
    let doc = item.document.as_ref().map_or(String::new(), |d| format!("  {}", value(d)));
    match item.status {
        Status::Added => out.push(format!("  + {what} {}{doc}", item.key)),
        Status::Removed => out.push(format!("  - {what} {}{doc}", item.key)),
        Status::Changed => {
            out.push(format!("  ~ {what} {}", item.key));
            out.extend(item.changes.iter().map(|c| format!("      {}", change(c))));
        }
    }
}

/// `field: before -> after`, `field: +a +b -c`, `field: added {...}`.
fn change(c: &Change) -> String {
    let f = &c.field;
    match &c.kind {
        ChangeKind::Added(v) => format!("{f}: added {}", value(v)),
        ChangeKind::Removed(v) => format!("{f}: removed {}", value(v)),
        ChangeKind::Changed { before, after } => format!("{f}: {} -> {}", unset(before), unset(after)),
        ChangeKind::Members { added, removed } => {
            let mut parts: Vec<String> = Vec::new();
            let list = |sign: char, xs: &[Value], parts: &mut Vec<String>| {
                parts.extend(xs.iter().take(MAX_MEMBERS).map(|x| format!("{sign}{}", value(x))));
                if xs.len() > MAX_MEMBERS {
                    parts.push(format!("({sign}{} more)", xs.len() - MAX_MEMBERS));
                }
            };
            list('+', added, &mut parts);
            list('-', removed, &mut parts);
            format!("{f}: {}", parts.join(" "))
        }
        ChangeKind::Order { before, after } => {
            format!("{f}: order [{}] -> [{}]", before.join(", "), after.join(", "))
        }
    }
}

fn unset(v: &Value) -> String {
    if *v == Value::Null {
        "(unset)".into()
    } else {
        value(v)
    }
}

/// Compact JSON, cut at [`MAX_VALUE_CHARS`] characters.
pub fn value(v: &Value) -> String {
    let text = v.to_json();
    match text.char_indices().nth(MAX_VALUE_CHARS) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}

/// The flags whose contexts move, and the diffed ones that move none.
pub fn blast(br: &BlastRadius, d: &RulesetDiff, source: &str, now: &str) -> Vec<String> {
    let mut out = vec![format!("Blast radius: {} contexts ({source}), evaluated at {now}", br.contexts)];
    let diffed = |k: &str| d.flags.iter().any(|f| f.key == k);
    let shown: Vec<_> = br.flags.iter().filter(|f| f.changed > 0 || diffed(&f.key)).collect();
    let width = shown.iter().map(|f| f.key.chars().count()).max().unwrap_or(0);
    for f in &shown {
        let moves: Vec<String> = f
            .transitions
            .iter()
            .map(|t| {
                let name = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
                format!("{} -> {}: {}", name(&t.from), name(&t.to), t.count)
            })
            .collect();
        let pct = if br.contexts == 0 { 0.0 } else { f.changed as f64 * 100.0 / br.contexts as f64 };
        out.push(format!(
            "  {:<width$}  {:>6} of {} change ({pct:.1}%){}{}",
            f.key,
            f.changed,
            br.contexts,
            if moves.is_empty() { "" } else { "  " },
            moves.join(", ")
        ));
    }
    let quiet = br.flags.len() - shown.len();
    if quiet > 0 {
        out.push(format!("  ({quiet} other flag{} serve every context the same)", if quiet == 1 { "" } else { "s" }));
    }
    out
}
