//! Prerequisites: a flag served only when other flags serve given
//! variants. Read with each flag (the flags they name must exist), then,
//! once every flag's variants are known, resolved to variant indices and
//! checked as a graph: no cycles, no chain deeper than
//! [`MAX_PREREQUISITE_DEPTH`]. A client flag's prerequisites are client
//! flags (so, transitively, are theirs): the client view must hold every
//! flag a client flag reads.

use super::{field, Checker, Names, Path, FLAGS};
use crate::error::{join, msg, uint};
use crate::limits::{MAX_LIST, MAX_NAME_LEN, MAX_PREREQUISITE_DEPTH, MAX_VARIANTS};
use crate::ruleset::model::{Flag, FlagId, Prerequisite};
use crate::value::Value;

const PREREQUISITE_FIELDS: &[&str] = &["flag", "variant", "variants"];

/// A prerequisite as read, resolved once every flag's variants are known.
pub(super) struct Pending {
    flag: FlagId,
    of: FlagId,
    variants: Vec<(String, String)>, // (variant name, its path)
}

/// Reads flag `id`'s `prerequisites` into `pending`: the flags they name
/// must be known now, their variants only once every flag is read.
pub(super) fn read(c: &mut Checker, pp: &Path<'_>, ps: &Value, id: FlagId, names: &Names, pending: &mut Vec<Pending>) {
    for (i, pr) in c.array(pp, ps, MAX_LIST).unwrap_or(&[]).iter().enumerate() {
        let ppi = pp.idx(i);
        let mut pv = [None; PREREQUISITE_FIELDS.len()];
        if c.fields(&ppi, pr, PREREQUISITE_FIELDS, "a prerequisite", &mut pv).is_none() {
            continue;
        }
        let Some(of_key) =
            field!(pv, PREREQUISITE_FIELDS, "flag").and_then(|v| c.string(&ppi.key("flag"), v, MAX_NAME_LEN))
        else {
            if field!(pv, PREREQUISITE_FIELDS, "flag").is_none() {
                c.err(&ppi, "a prerequisite needs a flag");
            }
            continue;
        };
        let Some(of) = names.flags.get(of_key).map(|&i| FlagId(i)) else {
            c.err(&ppi.key("flag"), msg!["unknown flag \"", of_key, "\""]);
            continue;
        };
        if of == id {
            c.err(&ppi.key("flag"), "a flag cannot be its own prerequisite");
            continue;
        }
        // A browser could not evaluate the flag without its prerequisite.
        if !names.server_only[id.index()] && names.server_only[of.index()] {
            c.err(
                &ppi.key("flag"),
                msg![
                    "flag \"",
                    of_key,
                    "\" is server-only (\"client\": false), so a client flag cannot depend on it: ",
                    "mark this flag \"client\": false too"
                ],
            );
        }
        let mut wanted = Vec::new();
        match (field!(pv, PREREQUISITE_FIELDS, "variant"), field!(pv, PREREQUISITE_FIELDS, "variants")) {
            (Some(_), Some(_)) => c.err(&ppi, "set variant or variants, not both"),
            (Some(v), None) => {
                if let Some(s) = c.string(&ppi.key("variant"), v, MAX_NAME_LEN) {
                    wanted.push((s.to_string(), ppi.key("variant").render()));
                }
            }
            (None, Some(vs)) => {
                let vp = ppi.key("variants");
                for (j, v) in c.array(&vp, vs, MAX_VARIANTS).unwrap_or(&[]).iter().enumerate() {
                    if let Some(s) = c.string(&vp.idx(j), v, MAX_NAME_LEN) {
                        wanted.push((s.to_string(), vp.idx(j).render()));
                    }
                }
            }
            (None, None) => wanted.push(("on".to_string(), ppi.render())),
        }
        pending.push(Pending { flag: id, of, variants: wanted });
    }
}

/// Resolves the prerequisites' variant names, then checks the prerequisite
/// graph for cycles and depth.
pub(super) fn resolve(c: &mut Checker, flags: &mut [Flag], pending: Vec<Pending>, members: &[(String, Value)]) {
    for pr in pending {
        let of = &flags[pr.of.index()];
        let mut variants = Vec::new();
        for (name, path) in &pr.variants {
            match of.variants.iter().position(|v| &*v.name == name) {
                Some(i) => variants.push(i as u32),
                None => c.err_at(
                    path.clone(),
                    msg!["flag \"", members[pr.of.index()].0, "\" has no variant \"", name, "\""],
                ),
            }
        }
        flags[pr.flag.index()].prerequisites.push(Prerequisite { flag: pr.of, variants });
    }
    check_prerequisite_graph(c, flags);
}

/// Cycles and depth: an iterative depth-first search over the graph.
fn check_prerequisite_graph(c: &mut Checker, flags: &[Flag]) {
    let n = flags.len();
    let mut depth: Vec<Option<usize>> = vec![None; n];
    let mut on_stack = vec![false; n];
    for root in 0..n {
        if depth[root].is_some() {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        on_stack[root] = true;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let prereqs = &flags[node].prerequisites;
            if *next < prereqs.len() {
                let child = prereqs[*next].flag.index();
                *next += 1;
                if on_stack[child] {
                    let cycle: Vec<&str> = stack
                        .iter()
                        .map(|(i, _)| &*flags[*i].key)
                        .skip_while(|k| **k != *flags[child].key)
                        .chain(std::iter::once(&*flags[child].key))
                        .collect();
                    c.err(
                        &FLAGS.key(&flags[node].key).key("prerequisites"),
                        msg!["prerequisite cycle: ", join(&cycle, " -> ")],
                    );
                    // Report a cycle once: break its edge from here on.
                    depth[child] = Some(0);
                } else if depth[child].is_none() {
                    on_stack[child] = true;
                    stack.push((child, 0));
                }
            } else {
                let d = prereqs.iter().map(|p| depth[p.flag.index()].unwrap_or(0) + 1).max().unwrap_or(0);
                depth[node] = Some(d);
                on_stack[node] = false;
                stack.pop();
                if d > MAX_PREREQUISITE_DEPTH {
                    c.err(
                        &FLAGS.key(&flags[node].key).key("prerequisites"),
                        msg![
                            "prerequisite chain of depth ",
                            uint(d),
                            " is deeper than the limit of ",
                            uint(MAX_PREREQUISITE_DEPTH)
                        ],
                    );
                    depth[node] = Some(0);
                }
            }
        }
    }
}
