//! `edgeflags cleanup FLAG --keep VALUE [DIR] [--write]`: removes a flag
//! from code by rewriting every call that asks it into the kept value
//! (`flags.isEnabled("new_search", u)` -> `true`).
//!
//! The calls are found by real parsers (tree-sitter: TypeScript, TSX, which
//! also reads JavaScript and JSX, Rust and Python), never by text
//! substitution: only a call whose callee is one of the evaluation methods
//! and whose first argument is the key's string literal is replaced, whole.
//! Dead branches stay for the developer or their linter. Every other
//! reference (found by the scan's walk and lexer, so the same files and
//! aliases) is listed with why it was left. The change is printed as a
//! unified diff; files are written only with `--write`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use edgeflags::Value;
use tree_sitter::{Node, Parser};

use crate::args::{self, Args, Item};
use crate::fail::Fail;
use crate::scan::{is_key, walk, How, Matcher, Ref, USAGE};
use crate::scan_config::Config;
use crate::scan_lex::Lang;

/// The languages the rewrite parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grammar {
    TypeScript,
    Tsx,
    Rust,
    Python,
}

impl Grammar {
    fn of(lang: Lang) -> Option<Grammar> {
        match lang {
            Lang::TypeScript => Some(Grammar::TypeScript),
            // JavaScript and JSX read as TSX: TypeScript's grammar is a superset.
            Lang::Tsx | Lang::JavaScript => Some(Grammar::Tsx),
            Lang::Rust => Some(Grammar::Rust),
            Lang::Python => Some(Grammar::Python),
            _ => None,
        }
    }

    fn language(self) -> tree_sitter::Language {
        match self {
            Grammar::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Grammar::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Grammar::Rust => tree_sitter_rust::LANGUAGE.into(),
            Grammar::Python => tree_sitter_python::LANGUAGE.into(),
        }
    }

    /// The node kinds of a call, of its callee's name and of a string.
    fn call_kind(self) -> &'static str {
        if self == Grammar::Python {
            "call"
        } else {
            "call_expression"
        }
    }

    /// `keep` written as a literal of this language, if it has one.
    fn literal(self, keep: &Value) -> Option<String> {
        match (self, keep) {
            (Grammar::Python, Value::Bool(b)) => Some(if *b { "True" } else { "False" }.into()),
            (Grammar::Python, Value::Null) => Some("None".into()),
            (_, Value::Bool(b)) => Some(b.to_string()),
            (_, Value::Number(x)) if x.is_finite() => {
                Some(if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", *x as i64) } else { format!("{x:?}") })
            }
            // Rust's own escapes (JSON's \u0001 is not Rust).
            (Grammar::Rust, Value::String(t)) => Some(format!("{t:?}")),
            (Grammar::TypeScript | Grammar::Tsx | Grammar::Python, Value::String(_)) => Some(keep.to_json()),
            (Grammar::TypeScript | Grammar::Tsx, Value::Null) => Some("null".into()),
            _ => None,
        }
    }
}

/// The name a callee calls: `m` in `m(...)`, `a.m(...)`, `A::m(...)`, `a.m::<T>(...)`.
fn callee_name<'t>(callee: Node, text: &'t str) -> Option<&'t str> {
    let name = match callee.kind() {
        "identifier" => Some(callee),
        "member_expression" => callee.child_by_field_name("property"),
        "field_expression" => callee.child_by_field_name("field"),
        "scoped_identifier" => callee.child_by_field_name("name"),
        "attribute" => callee.child_by_field_name("attribute"),
        "generic_function" => return callee.child_by_field_name("function").and_then(|f| callee_name(f, text)),
        _ => None,
    }?;
    name.utf8_text(text.as_bytes()).ok()
}

/// The content of a plain string literal node (no interpolation, no escapes needed).
fn string_content<'t>(node: Node, text: &'t str) -> Option<&'t str> {
    let t = node.utf8_text(text.as_bytes()).ok()?;
    match node.kind() {
        "string" | "string_literal" | "template_string" => {
            if (node.kind() == "template_string" && node.named_child_count() > 0)
                || (node.kind() == "string" && has_child(node, "interpolation"))
            {
                return None;
            }
            let t = t.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            let q = if t.starts_with("\"\"\"") || t.starts_with("'''") { 3 } else { 1 };
            t.get(q..t.len().checked_sub(q)?)
        }
        "raw_string_literal" => {
            let t = t.trim_start_matches(['r', 'b', 'c']);
            let hashes = t.bytes().take_while(|&b| b == b'#').count();
            t.get(hashes + 1..t.len().checked_sub(hashes + 1)?)
        }
        _ => None,
    }
}

fn has_child(node: Node, kind: &str) -> bool {
    let mut c = node.walk();
    let found = node.children(&mut c).any(|n| n.kind() == kind);
    found
}

/// One replacement: a byte range and its new text.
struct Edit {
    start: usize,
    end: usize,
    with: String,
}

/// The calls in `text` that ask `flag` through one of `methods`, as edits.
fn rewrite_calls(g: Grammar, text: &str, flag: &str, methods: &[String], literal: &str) -> Result<Vec<Edit>, String> {
    let mut p = Parser::new();
    p.set_language(&g.language()).map_err(|e| e.to_string())?;
    let tree = p.parse(text, None).ok_or("the parser gave up")?;
    if tree.root_node().has_error() {
        return Err("the file does not parse cleanly".into());
    }
    let mut edits: Vec<Edit> = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.kind() == g.call_kind() {
            let name = node.child_by_field_name("function").and_then(|f| callee_name(f, text));
            let first = node.child_by_field_name("arguments").and_then(|a| a.named_child(0));
            let key = first.and_then(|a| string_content(a, text));
            if name.is_some_and(|n| methods.iter().any(|m| m == n)) && key == Some(flag) {
                edits.push(Edit { start: node.start_byte(), end: node.end_byte(), with: literal.to_string() });
                continue;
            }
        }
        let mut c = node.walk();
        stack.extend(node.children(&mut c));
    }
    edits.sort_by_key(|e| e.start);
    Ok(edits)
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for e in edits {
        out.push_str(&text[pos..e.start]);
        out.push_str(&e.with);
        pos = e.end;
    }
    out.push_str(&text[pos..]);
    out
}

/// Why a reference was left as it was.
fn why_left(r: &Ref, file_problem: Option<&str>) -> String {
    if let Some(p) = file_problem {
        return p.to_string();
    }
    match &r.how {
        How::Call(m) => format!("a call to {m} that is not a plain call with the key as its first argument"),
        How::Literal => "the key is not the first argument of a call to an evaluation method".into(),
        other => format!("{}, not a call", other.describe()),
    }
}

/// `--keep VALUE`: JSON (`true`, `3`, `"blue"`, `null`), else the text as a string.
fn keep_value(v: &str) -> Value {
    Value::parse(v).unwrap_or_else(|_| Value::String(v.to_string()))
}

pub fn run(args: &[String]) -> ExitCode {
    match cleanup(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            f.print("cleanup", USAGE);
            f.exit_code()
        }
    }
}

fn cleanup(args: &[String]) -> Result<(), Fail> {
    let (mut flag, mut dir, mut keep, mut config, mut write) = (None, None, None, None, false);
    let mut a = Args::new(args);
    while let Some(item) = a.next()? {
        match item {
            Item::Pos(p) if flag.is_none() => flag = Some(p),
            Item::Pos(p) if dir.is_none() => dir = Some(p),
            Item::Pos(p) => return Err(Fail::usage(format!("unexpected argument \"{p}\""))),
            Item::Opt(n) => match n.as_str() {
                "--keep" => keep = Some(keep_value(&a.value(&n)?)),
                "--config" => config = Some(a.value(&n)?),
                "--write" => write = true,
                _ => return Err(args::unknown(&n)),
            },
        }
    }
    let Some(flag) = flag else { return Err(Fail::usage("the FLAG to remove is required")) };
    if !is_key(&flag) {
        return Err(Fail::usage(format!("\"{flag}\" is not a flag key (1-256 of A-Z a-z 0-9 _ - . :)")));
    }
    let Some(keep) = keep else { return Err(Fail::usage("--keep VALUE (the value the code keeps) is required")) };
    let root = PathBuf::from(dir.unwrap_or_else(|| ".".into()));
    if !root.is_dir() {
        return Err(Fail::usage(format!("{}: not a directory", root.display())));
    }
    let cfg = Config::load(&root, config.as_deref())?;
    let m = Matcher::new(&[flag.as_str()], &cfg)?;
    let found = walk(&root, &cfg, &m)?;
    let refs: Vec<&Ref> = found.refs.iter().filter(|r| r.flag == flag).collect();

    let mut diff = String::new();
    let (mut calls, mut files) = (0, 0);
    let mut left: Vec<(&Ref, String)> = Vec::new();
    let mut i = 0;
    while i < refs.len() {
        let path = &refs[i].path;
        let group: Vec<&Ref> = refs[i..].iter().take_while(|r| &r.path == path).copied().collect();
        i += group.len();
        let (text, edits) = match file_edits(&root, path, group[0].lang, &flag, &cfg.methods, &keep) {
            Ok(found) => found,
            Err(problem) => {
                left.extend(group.into_iter().map(|r| (r, why_left(r, Some(&problem)))));
                continue;
            }
        };
        if !edits.is_empty() {
            let new = apply(&text, &edits);
            let d = similar::TextDiff::from_lines(&text, &new);
            diff += &d.unified_diff().context_radius(3).header(&format!("a/{path}"), &format!("b/{path}")).to_string();
            if write {
                std::fs::write(root.join(path), &new).map_err(|e| Fail::usage(format!("{path}: {e}")))?;
            }
            calls += edits.len();
            files += 1;
            for r in group {
                if !edits.iter().any(|e| (e.start..e.end).contains(&r.offset)) {
                    left.push((r, why_left(r, None)));
                }
            }
        } else {
            left.extend(group.into_iter().map(|r| (r, why_left(r, None))));
        }
    }
    print!("{diff}");
    let verb = if write { "rewrote" } else { "would rewrite" };
    eprintln!(
        "edgeflags cleanup: {verb} {calls} call{} of \"{flag}\" in {files} file{} (keep {})",
        if calls == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" },
        keep.to_json()
    );
    if !left.is_empty() {
        eprintln!("not rewritten ({}), edit by hand:", left.len());
        for (r, why) in &left {
            eprintln!("  {}:{}:{}  {why}", r.path, r.line, r.col);
        }
    }
    if !write && calls > 0 {
        eprintln!("(a dry run: --write writes the files)");
    }
    Ok(())
}

/// The file's text and the edits for its calls, or why there can be none.
fn file_edits(
    root: &Path,
    path: &str,
    lang: Lang,
    flag: &str,
    methods: &[String],
    keep: &Value,
) -> Result<(String, Vec<Edit>), String> {
    let g = Grammar::of(lang).ok_or_else(|| format!("no rewriter for {}", lang.name()))?;
    let literal = g.literal(keep).ok_or_else(|| format!("{} has no literal for {}", lang.name(), keep.to_json()))?;
    let text = std::fs::read_to_string(root.join(path)).map_err(|e| format!("unreadable: {e}"))?;
    let edits = rewrite_calls(g, &text, flag, methods, &literal)?;
    Ok((text, edits))
}
