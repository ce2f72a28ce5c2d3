//! `edgeflags scan`: the flag references in a source tree, checked against
//! a ruleset (docs/code-references.md).
//!
//! The tree is walked as ripgrep walks it (the `ignore` crate: `.gitignore`
//! even outside a git repository, hidden files and the config's `exclude`
//! left out, binary and oversized files skipped), in parallel. A file is
//! lexed only when a cheap pre-filter finds one of the needles in it (a
//! key, an alias, an evaluation method); the lexer (`scan_lex.rs`) tells
//! string literals, identifiers and comments apart, so that a key matches
//! only as a whole literal and an alias only as a whole identifier.
//!
//! What is stale and which value to keep comes from the core
//! (`Ruleset::stale_flags` and an evaluation), never from here: a reason
//! the core learns later shows up in the scan unchanged.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use edgeflags::time::{parse_rfc3339, Millis};
use edgeflags::{Context, Ruleset, Value};
use ignore::{overrides::OverrideBuilder, WalkBuilder, WalkState};

use crate::args::{self, Args, Item};
use crate::client::Client;
use crate::fail::{Exit, Fail};
use crate::scan_config::{Case, Config};
use crate::scan_lex::{tokens, Kind, Lang, Token};
use crate::scan_output::{self, Format};

pub const USAGE: &str = "  edgeflags scan [DIR] --ruleset FILE|URL [--config FILE] [--format text|json|github|sarif]
                    [--strict] [--now RFC3339] [--token TOKEN]
  edgeflags cleanup FLAG --keep VALUE [DIR] [--config FILE] [--write]";

/// Files larger than this are skipped (bundles, generated code).
pub const MAX_FILE_BYTES: u64 = 8 << 20;
/// How many bytes at a file's start are read for a NUL, ripgrep's test of
/// a binary file.
const BINARY_PROBE_BYTES: usize = 8 << 10;

/// How a reference was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    /// A string literal equal to the key.
    Literal,
    /// The string literal first argument of a call to this evaluation method.
    Call(String),
    /// An identifier (or literal) equal to the key in this case.
    Alias(Case),
    /// A capture of a configured pattern.
    Pattern,
    /// The key as a word in a comment (`comments = true`).
    Comment,
}

impl How {
    pub fn describe(&self) -> String {
        match self {
            How::Literal => "string literal".into(),
            How::Call(m) => format!("call to {m}"),
            How::Alias(c) => format!("alias ({})", c.name()),
            How::Pattern => "pattern".into(),
            How::Comment => "comment".into(),
        }
    }
}

/// One reference to a flag key.
#[derive(Debug, Clone)]
pub struct Ref {
    /// Relative to the scanned root, with `/` separators.
    pub path: String,
    pub line: usize,
    /// 1-based, in characters.
    pub col: usize,
    /// The byte offset in the file.
    pub offset: usize,
    pub flag: String,
    pub how: How,
    pub lang: Lang,
}

/// What finds references: the keys, their aliases, the methods and the
/// patterns, compiled once for the whole walk.
pub struct Matcher {
    keys: HashSet<String>,
    aliases: HashMap<String, (String, Case)>,
    methods: HashSet<String>,
    patterns: Vec<regex::Regex>,
    comments: bool,
    prefilter: Option<regex::bytes::Regex>,
}

impl Matcher {
    pub fn new(keys: &[&str], cfg: &Config) -> Result<Matcher, Fail> {
        let mut aliases = HashMap::new();
        for k in keys {
            for c in &cfg.cases {
                let a = c.apply(k);
                if a != *k && !a.is_empty() {
                    aliases.entry(a).or_insert_with(|| (k.to_string(), *c));
                }
            }
        }
        let needles: Vec<String> = keys
            .iter()
            .map(|k| k.to_string())
            .chain(aliases.keys().cloned())
            .chain(cfg.methods.iter().cloned())
            .map(|n| regex::escape(&n))
            .collect();
        let prefilter = if needles.is_empty() {
            None
        } else {
            Some(
                regex::bytes::Regex::new(&needles.join("|"))
                    .map_err(|e| Fail::usage(format!("too many keys to search for: {e}")))?,
            )
        };
        Ok(Matcher {
            keys: keys.iter().map(|k| k.to_string()).collect(),
            aliases,
            methods: cfg.methods.iter().cloned().collect(),
            patterns: cfg.patterns.clone(),
            comments: cfg.comments,
            prefilter,
        })
    }

    /// Whether the file may hold a reference (no false negatives).
    fn may_match(&self, bytes: &[u8]) -> bool {
        self.prefilter.as_ref().is_some_and(|p| p.is_match(bytes))
            || self.patterns.iter().any(|p| std::str::from_utf8(bytes).is_ok_and(|t| p.is_match(t)))
    }

    /// The references in `text`: `(byte offset, flag key, how)`, in order.
    pub fn find(&self, text: &str, lang: Lang) -> Vec<(usize, String, How)> {
        let toks = tokens(text, lang);
        let mut hits = Vec::new();
        for (i, t) in toks.iter().enumerate() {
            let s = &text[t.start..t.end];
            match t.kind {
                Kind::Str => {
                    let call = self.call_before(&toks, i, text);
                    if self.keys.contains(s) {
                        hits.push((t.start, s.to_string(), call.map_or(How::Literal, How::Call)));
                    } else if let Some((k, c)) = self.aliases.get(s) {
                        hits.push((t.start, k.clone(), How::Alias(*c)));
                    } else if let Some(m) = call.filter(|_| is_key(s)) {
                        hits.push((t.start, s.to_string(), How::Call(m)));
                    }
                }
                Kind::Ident => {
                    if let Some((k, c)) = self.aliases.get(s) {
                        hits.push((t.start, k.clone(), How::Alias(*c)));
                    }
                }
                Kind::Comment if self.comments => {
                    let word_byte = |b: u8| b.is_ascii_alphanumeric() || b"_-.:".contains(&b);
                    let bytes = s.as_bytes();
                    let mut i = 0;
                    while i < bytes.len() {
                        if !word_byte(bytes[i]) {
                            i += 1;
                            continue;
                        }
                        let start = i;
                        while i < bytes.len() && word_byte(bytes[i]) {
                            i += 1;
                        }
                        // Sentence punctuation and symbols' colons are not part of a key.
                        let w = &s[start..i];
                        let word = w.trim_start_matches([':', '.', '-']);
                        let lead = w.len() - word.len();
                        let word = word.trim_end_matches([':', '.', '-']);
                        if self.keys.contains(word) {
                            hits.push((t.start + start + lead, word.to_string(), How::Comment));
                        }
                    }
                }
                _ => {}
            }
        }
        for re in &self.patterns {
            for caps in re.captures_iter(text) {
                let Some(m) = caps.name("key").or_else(|| caps.get(1)) else { continue };
                if !self.comments && in_comment(&toks, m.start()) {
                    continue;
                }
                let flag = match self.aliases.get(m.as_str()) {
                    Some((k, _)) => k.clone(),
                    None if self.keys.contains(m.as_str()) || is_key(m.as_str()) => m.as_str().to_string(),
                    None => continue,
                };
                if !hits.iter().any(|(at, _, _)| *at == m.start()) {
                    hits.push((m.start(), flag, How::Pattern));
                }
            }
        }
        hits.sort_by_key(|h| h.0);
        hits
    }

    /// The method whose call's first argument is the string token `i`:
    /// `m("k"`, `m<T>("k"`, `m::<T>("k"`.
    fn call_before(&self, toks: &[Token], i: usize, text: &str) -> Option<String> {
        let mut j = i.checked_sub(1)?;
        if toks[j].kind != Kind::Punct(b'(') {
            return None;
        }
        j = j.checked_sub(1)?;
        if toks[j].kind == Kind::Punct(b'>') {
            let mut depth = 0;
            let stop = j.saturating_sub(32);
            loop {
                match toks[j].kind {
                    Kind::Punct(b'>') => depth += 1,
                    Kind::Punct(b'<') => depth -= 1,
                    _ => {}
                }
                if depth == 0 || j == stop {
                    break;
                }
                j -= 1;
            }
            j = j.checked_sub(1)?;
            while toks[j].kind == Kind::Punct(b':') {
                j = j.checked_sub(1)?;
            }
        }
        let t = toks[j];
        let name = &text[t.start..t.end];
        (t.kind == Kind::Ident && self.methods.contains(name)).then(|| name.to_string())
    }
}

fn in_comment(toks: &[Token], at: usize) -> bool {
    let i = toks.partition_point(|t| t.start <= at);
    i > 0 && toks[i - 1].kind == Kind::Comment && at < toks[i - 1].end
}

/// A flag key as docs/ruleset.md defines it: 1-256 of `A-Z a-z 0-9 _ - . :`.
pub fn is_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 256 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b))
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Found {
    pub refs: Vec<Ref>,
    /// Files read as source (their language known).
    pub files: usize,
    pub bytes: u64,
    /// Binary, oversized or not UTF-8.
    pub skipped: usize,
}

/// Walks `root` and finds every reference.
pub fn walk(root: &Path, cfg: &Config, m: &Matcher) -> Result<Found, Fail> {
    let mut ov = OverrideBuilder::new(root);
    for p in &cfg.exclude {
        ov.add(&format!("!{p}")).map_err(|e| Fail::usage(format!("exclude {p:?}: {e}")))?;
    }
    let ov = ov.build().map_err(|e| Fail::usage(format!("exclude: {e}")))?;
    let walker = WalkBuilder::new(root).require_git(false).overrides(ov).build_parallel();
    let refs = Mutex::new(Vec::new());
    let (files, bytes, skipped) = (AtomicUsize::new(0), AtomicU64::new(0), AtomicUsize::new(0));
    let errors = Mutex::new(Vec::new());
    walker.run(|| {
        Box::new(|entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    if let Ok(mut errs) = errors.lock() {
                        errs.push(e.to_string());
                    }
                    return WalkState::Continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let Some(lang) = entry.file_name().to_str().and_then(Lang::of) else { return WalkState::Continue };
            files.fetch_add(1, Ordering::Relaxed);
            if entry.metadata().is_ok_and(|md| md.len() > MAX_FILE_BYTES) {
                skipped.fetch_add(1, Ordering::Relaxed);
                return WalkState::Continue;
            }
            let Ok(data) = std::fs::read(entry.path()) else {
                skipped.fetch_add(1, Ordering::Relaxed);
                return WalkState::Continue;
            };
            bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
            if data[..data.len().min(BINARY_PROBE_BYTES)].contains(&0) {
                skipped.fetch_add(1, Ordering::Relaxed);
                return WalkState::Continue;
            }
            if !m.may_match(&data) {
                return WalkState::Continue;
            }
            let Ok(text) = std::str::from_utf8(&data) else {
                skipped.fetch_add(1, Ordering::Relaxed);
                return WalkState::Continue;
            };
            let hits = m.find(text, lang);
            if !hits.is_empty() {
                let path = relative(root, entry.path());
                let found = locate(text, hits, &path, lang);
                if let Ok(mut r) = refs.lock() {
                    r.extend(found);
                }
            }
            WalkState::Continue
        })
    });
    if let Some(e) = errors.into_inner().ok().and_then(|e| e.into_iter().next()) {
        eprintln!("edgeflags scan: warning: {e}");
    }
    let mut refs = refs.into_inner().map_err(|_| Fail::new(Exit::Server, "INTERNAL", "a scan thread panicked"))?;
    refs.sort_by(|a, b| (&a.path, a.offset).cmp(&(&b.path, b.offset)));
    Ok(Found { refs, files: files.into_inner(), bytes: bytes.into_inner(), skipped: skipped.into_inner() })
}

/// `path` relative to `root`, with `/` separators.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Lines and columns of the hits (sorted by offset), in one pass.
fn locate(text: &str, hits: Vec<(usize, String, How)>, path: &str, lang: Lang) -> Vec<Ref> {
    let mut out = Vec::with_capacity(hits.len());
    let (mut line, mut line_start, mut pos) = (1, 0, 0);
    for (offset, flag, how) in hits {
        for (i, b) in text.as_bytes()[pos..offset].iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                line_start = pos + i + 1;
            }
        }
        pos = offset;
        let col = text[line_start..offset].chars().count() + 1;
        out.push(Ref { path: path.to_string(), line, col, offset, flag, how, lang });
    }
    out
}

// ------------------------------------------------------------- the report

/// A cleanup candidate: the core's reasons, the value to keep, and where
/// the code asks for it.
pub struct Candidate<'a> {
    pub flag: &'a str,
    pub reasons: Vec<&'static str>,
    /// What everyone is served now; `None` when no one value is (the flag
    /// only expired): the developer decides.
    pub keep: Option<Value>,
    pub owner: Option<&'a str>,
    pub refs: Vec<&'a Ref>,
}

/// The scan's findings against a ruleset.
pub struct Report<'a> {
    pub found: &'a Found,
    /// Flags of the ruleset and their references, in ruleset order.
    pub flags: Vec<(&'a str, Vec<&'a Ref>)>,
    /// Keys referenced in code that the ruleset does not have.
    pub missing: Vec<(&'a str, Vec<&'a Ref>)>,
    /// Flags no code references, with the line of their key in the
    /// ruleset file (when it is one).
    pub unreferenced: Vec<(&'a str, Option<usize>)>,
    pub candidates: Vec<Candidate<'a>>,
    /// The ruleset file relative to the root (for locations), if it is a file there.
    pub ruleset_path: Option<String>,
    pub strict: bool,
}

/// A flag the Worker's usage telemetry makes a cleanup candidate
/// (`GET /v1/usage`'s `cleanup`, judged by `edgeflags::usage`).
pub struct UsageFinding {
    pub flag: String,
    /// `served_one_variant` or `unused`.
    pub reason: &'static str,
    /// The served variant's value, for `served_one_variant`.
    pub keep: Option<Value>,
}

pub fn report<'a>(
    found: &'a Found,
    rs: &'a Ruleset,
    rs_text: Option<&str>,
    now: Millis,
    usage: &[UsageFinding],
) -> Report<'a> {
    let mut by_flag: HashMap<&str, Vec<&Ref>> = HashMap::new();
    for r in &found.refs {
        by_flag.entry(&r.flag).or_default().push(r);
    }
    let flags: Vec<(&str, Vec<&Ref>)> =
        rs.flags().iter().map(|f| (f.key(), by_flag.get(f.key()).cloned().unwrap_or_default())).collect();
    let mut missing: Vec<(&str, Vec<&Ref>)> =
        by_flag.iter().filter(|(k, _)| rs.flag(k).is_none()).map(|(k, v)| (*k, v.clone())).collect();
    missing.sort_by_key(|m| m.0);
    let unreferenced = flags
        .iter()
        .filter(|(_, refs)| refs.is_empty())
        .map(|(k, _)| (*k, rs_text.and_then(|t| key_line(t, k))))
        .collect();
    let stale = rs.stale_flags(now);
    let candidates = rs
        .flags()
        .iter()
        .filter_map(|f| {
            let why = stale.iter().find(|(s, _)| s.key() == f.key()).map(|(_, w)| w.as_slice()).unwrap_or(&[]);
            let used = usage.iter().find(|u| u.flag == f.key());
            if why.is_empty() && used.is_none() {
                return None;
            }
            let mut reasons: Vec<&'static str> = why.iter().map(|r| r.as_str()).collect();
            reasons.extend(used.map(|u| u.reason));
            let keep = if why.is_empty() { None } else { kept_value(rs, f, why, now) };
            Some(Candidate {
                flag: f.key(),
                keep: keep.or_else(|| used.and_then(|u| u.keep.clone())),
                reasons,
                owner: f.metadata().owner.as_deref(),
                refs: by_flag.get(f.key()).cloned().unwrap_or_default(),
            })
        })
        .collect();
    Report { found, flags, missing, unreferenced, candidates, ruleset_path: None, strict: false }
}

/// The value everyone is served now, through the core's own evaluation (a
/// unit id so that a rollout at 100% serves its variant). `None` for a
/// flag that only expired: it still targets, so no one value is right.
fn kept_value(rs: &Ruleset, f: &edgeflags::Flag, why: &[edgeflags::StaleReason], now: Millis) -> Option<Value> {
    if why.iter().all(|r| *r == edgeflags::StaleReason::Expired) {
        return None;
    }
    let unit = Value::Object(vec![(f.bucket_by().to_string(), Value::String("edgeflags-scan".into()))]);
    let ctx = Context::from_value(unit).ok()?;
    Some(rs.evaluate(f.key(), &ctx, now, &Value::Null).value.clone())
}

/// The line of `"key":` in a ruleset's JSON text.
fn key_line(text: &str, key: &str) -> Option<usize> {
    let needle = format!("\"{key}\"");
    let at = text
        .match_indices(&needle)
        .map(|(i, _)| i)
        .find(|&i| text[i + needle.len()..].trim_start().starts_with(':'))?;
    Some(text[..at].matches('\n').count() + 1)
}

// ------------------------------------------------------------- the command

/// `edgeflags scan`.
pub fn run(args: &[String]) -> ExitCode {
    match scan(args) {
        Ok(code) => code,
        Err(f) => {
            f.print("scan", USAGE);
            f.exit_code()
        }
    }
}

fn scan(args: &[String]) -> Result<ExitCode, Fail> {
    let mut dir = None;
    let (mut ruleset, mut config, mut token, mut now) = (None, None, None, None);
    let mut format = Format::Text;
    let mut strict = false;
    let mut a = Args::new(args);
    while let Some(item) = a.next()? {
        let name = match item {
            Item::Pos(p) if dir.is_none() => {
                dir = Some(p);
                continue;
            }
            Item::Pos(p) => return Err(Fail::usage(format!("unexpected argument \"{p}\""))),
            Item::Opt(n) => n,
        };
        match name.as_str() {
            "--ruleset" => ruleset = Some(a.value(&name)?),
            "--config" => config = Some(a.value(&name)?),
            "--token" => token = Some(a.value(&name)?),
            "--now" => now = Some(parse_rfc3339(&a.value(&name)?).map_err(|e| Fail::usage(format!("--now: {e}")))?),
            "--format" => {
                let v = a.value(&name)?;
                format = Format::parse(&v).ok_or_else(|| Fail::usage(format!("--format: unknown format \"{v}\"")))?;
            }
            "--json" => format = Format::Json,
            "--strict" => strict = true,
            _ => return Err(args::unknown(&name)),
        }
    }
    let Some(ruleset) = ruleset else { return Err(Fail::usage("--ruleset FILE or URL is required")) };
    let root = std::path::PathBuf::from(dir.unwrap_or_else(|| ".".into()));
    if !root.is_dir() {
        return Err(Fail::usage(format!("{}: not a directory", root.display())));
    }
    let now = match now {
        Some(n) => n,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .map_err(|e| Fail::usage(format!("the clock: {e}")))?,
    };
    let (rs, rs_text) = load_ruleset(&ruleset, token.clone())?;
    let usage = if ruleset.starts_with("http://") || ruleset.starts_with("https://") {
        // Supplementary: a Worker without usage (or D1) still gets its scan.
        load_usage(&ruleset, token).unwrap_or_else(|f| {
            eprintln!("edgeflags scan: no usage telemetry from {ruleset}: {}", f.message);
            Vec::new()
        })
    } else {
        Vec::new()
    };
    let cfg = Config::load(&root, config.as_deref())?;
    let keys: Vec<&str> = rs.flags().iter().map(|f| f.key()).collect();
    let m = Matcher::new(&keys, &cfg)?;
    let found = walk(&root, &cfg, &m)?;
    let mut r = report(&found, &rs, rs_text.as_deref(), now, &usage);
    r.strict = strict;
    r.ruleset_path = rs_text.as_ref().and_then(|_| {
        let p = Path::new(&ruleset);
        let (p, root) = (p.canonicalize().ok()?, root.canonicalize().ok()?);
        p.strip_prefix(&root).ok().map(|_| relative(&root, &p))
    });
    scan_output::print(&r, format).map_err(|e| Fail::usage(format!("stdout: {e}")))?;
    Ok(if strict && !r.missing.is_empty() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// A ruleset file, or the live one at a Worker's URL: its full document
/// (`GET /v1/versions/current`) with an admin token, else the client view
/// (`GET /v1/ruleset`), which has no server-only flags and no metadata.
/// Returns the file's text too (for the lines of unreferenced keys).
fn load_ruleset(src: &str, token: Option<String>) -> Result<(Ruleset, Option<String>), Fail> {
    if src.starts_with("http://") || src.starts_with("https://") {
        let c = Client::new(Some(src))?.with_token(token);
        let a = if c.has_token() {
            c.get("/v1/versions/current")?
        } else {
            eprintln!(
                "edgeflags scan: no token ({}): reading the client view, without server-only flags or expiry dates",
                crate::client::TOKEN_ENV
            );
            c.get("/v1/ruleset")?
        };
        let rs = Ruleset::from_value(&a.body).map_err(|e| invalid(src, &e))?;
        return Ok((rs, None));
    }
    let text = std::fs::read_to_string(src).map_err(|e| Fail::usage(format!("{src}: {e}")))?;
    let rs = Ruleset::from_json(&text).map_err(|e| invalid(src, &e))?;
    Ok((rs, Some(text)))
}

/// The Worker's usage findings (`GET /v1/usage`, docs/worker.md "Flag
/// usage"), with a token; none without one (the endpoint is never
/// anonymous).
fn load_usage(src: &str, token: Option<String>) -> Result<Vec<UsageFinding>, Fail> {
    let c = Client::new(Some(src))?.with_token(token);
    if !c.has_token() {
        return Ok(Vec::new());
    }
    let a = c.get("/v1/usage")?;
    let Some(Value::Array(flags)) = a.body.get("flags") else { return Ok(Vec::new()) };
    Ok(flags
        .iter()
        .filter_map(|u| {
            let cleanup = u.get("cleanup")?;
            let reason = match cleanup.get("reason")?.as_str()? {
                "served_one_variant" => "served_one_variant",
                "unused" => "unused",
                _ => return None,
            };
            Some(UsageFinding {
                flag: u.get("flag")?.as_str()?.to_string(),
                reason,
                keep: cleanup.get("keep").cloned(),
            })
        })
        .collect())
}

/// An invalid ruleset is the scan's input error: exit 2, with every problem.
fn invalid(src: &str, e: &edgeflags::LoadError) -> Fail {
    let mut f = Fail::invalid(src, e);
    f.exit = Exit::Usage;
    f
}
