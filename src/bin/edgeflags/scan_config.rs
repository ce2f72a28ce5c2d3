//! The scan's config file, `.edgeflags-scan.toml` at the scanned root (or
//! `--config FILE`): folders to leave out, aliases of the keys, the
//! evaluation methods whose first argument is a flag key, and whether
//! comments count. Every field is optional; docs/code-references.md has the
//! format.

use regex::Regex;

use crate::fail::Fail;

/// The config's default name, looked for at the scanned root.
pub const DEFAULT_FILE: &str = ".edgeflags-scan.toml";

/// The evaluation methods of the SDKs (ours, OpenFeature's, the common
/// ones) when the config names none: a string literal first argument of a
/// call to one of them is a flag key, in the ruleset or not.
pub const DEFAULT_METHODS: &[&str] = &[
    "isEnabled",
    "is_enabled",
    "enabled",
    "variant",
    "value",
    "getVariant",
    "get_variant",
    "getBooleanValue",
    "getStringValue",
    "getNumberValue",
    "getObjectValue",
    "getBooleanDetails",
    "getStringDetails",
    "getNumberDetails",
    "getObjectDetails",
    "get_boolean_value",
    "get_string_value",
    "get_integer_value",
    "get_float_value",
    "get_object_value",
    "useFlag",
    "useBooleanFlagValue",
    "useStringFlagValue",
    "useNumberFlagValue",
    "useObjectFlagValue",
    "useBooleanFlagDetails",
    "useStringFlagDetails",
    "useNumberFlagDetails",
    "useObjectFlagDetails",
    "boolVariation",
    "stringVariation",
];

/// A case transform of a key, matched as a whole identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Camel,
    Pascal,
    ScreamingSnake,
    Snake,
    Kebab,
}

impl Case {
    pub const ALL: [Case; 5] = [Case::Camel, Case::Pascal, Case::ScreamingSnake, Case::Snake, Case::Kebab];

    /// Its name in the config and the reports.
    pub fn name(self) -> &'static str {
        match self {
            Case::Camel => "camelCase",
            Case::Pascal => "PascalCase",
            Case::ScreamingSnake => "SCREAMING_SNAKE_CASE",
            Case::Snake => "snake_case",
            Case::Kebab => "kebab-case",
        }
    }

    fn parse(s: &str) -> Option<Case> {
        Case::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(s) || c.short().eq_ignore_ascii_case(s))
    }

    fn short(self) -> &'static str {
        match self {
            Case::Camel => "camel",
            Case::Pascal => "pascal",
            Case::ScreamingSnake => "screaming_snake",
            Case::Snake => "snake",
            Case::Kebab => "kebab",
        }
    }

    /// `key` in this case: its words split at `_ - . :` and at a lower to
    /// upper change (`newSearch_v2` -> new, search, v2).
    pub fn apply(self, key: &str) -> String {
        let words = words(key);
        let cap = |w: &str| {
            let mut c = w.chars();
            c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
        };
        match self {
            Case::Camel => words.iter().enumerate().map(|(i, w)| if i == 0 { w.clone() } else { cap(w) }).collect(),
            Case::Pascal => words.iter().map(|w| cap(w)).collect(),
            Case::ScreamingSnake => words.join("_").to_uppercase(),
            Case::Snake => words.join("_"),
            Case::Kebab => words.join("-"),
        }
    }
}

fn words(key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if matches!(c, '_' | '-' | '.' | ':') {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The scan's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Gitignore-style globs left out of the walk, beside `.gitignore`.
    pub exclude: Vec<String>,
    /// Whether a key written as a whole word in a comment is a reference.
    pub comments: bool,
    pub cases: Vec<Case>,
    /// Regexes whose `key` group (or first group) is a flag key.
    pub patterns: Vec<Regex>,
    pub methods: Vec<String>,
    /// Where the config came from (none: the defaults).
    pub source: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            exclude: Vec::new(),
            comments: false,
            cases: Vec::new(),
            patterns: Vec::new(),
            methods: DEFAULT_METHODS.iter().map(|m| m.to_string()).collect(),
            source: None,
        }
    }
}

impl Config {
    /// The config at `path`; `None`: `root`'s `.edgeflags-scan.toml` if it
    /// exists, else the defaults.
    pub fn load(root: &std::path::Path, path: Option<&str>) -> Result<Config, Fail> {
        let (file, required) = match path {
            Some(p) => (std::path::PathBuf::from(p), true),
            None => (root.join(DEFAULT_FILE), false),
        };
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(Fail::usage(format!("{}: {e}", file.display()))),
        };
        let mut c = Config::parse(&text).map_err(|e| Fail::usage(format!("{}: {e}", file.display())))?;
        c.source = Some(file.display().to_string());
        Ok(c)
    }

    /// Reads the TOML text of a config.
    pub fn parse(text: &str) -> Result<Config, String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.message().to_string())?;
        let mut c = Config::default();
        for (k, v) in &table {
            match k.as_str() {
                "exclude" => c.exclude = strings(k, v)?,
                "comments" => c.comments = v.as_bool().ok_or("\"comments\" must be true or false")?,
                "methods" => c.methods = strings(k, v)?,
                "aliases" => {
                    let t = v.as_table().ok_or("\"aliases\" must be a table ([aliases])")?;
                    for (k, v) in t {
                        match k.as_str() {
                            "cases" => {
                                c.cases = strings(k, v)?
                                    .iter()
                                    .map(|s| Case::parse(s).ok_or_else(|| unknown_case(s)))
                                    .collect::<Result<_, _>>()?
                            }
                            "patterns" => {
                                c.patterns = strings(k, v)?.iter().map(|p| pattern(p)).collect::<Result<_, _>>()?
                            }
                            _ => return Err(format!("unknown setting \"aliases.{k}\" (cases, patterns)")),
                        }
                    }
                }
                _ => return Err(format!("unknown setting \"{k}\" (exclude, comments, methods, [aliases])")),
            }
        }
        Ok(c)
    }
}

fn unknown_case(s: &str) -> String {
    let names: Vec<&str> = Case::ALL.iter().map(|c| c.name()).collect();
    format!("unknown case \"{s}\" (one of {})", names.join(", "))
}

fn pattern(p: &str) -> Result<Regex, String> {
    let re = Regex::new(p).map_err(|e| format!("pattern {p:?}: {e}"))?;
    if re.captures_len() < 2 {
        return Err(format!("pattern {p:?} has no capture group: put the key in (?P<key>...)"));
    }
    Ok(re)
}

fn strings(key: &str, v: &toml::Value) -> Result<Vec<String>, String> {
    let err = || format!("\"{key}\" must be a list of strings");
    v.as_array().ok_or_else(err)?.iter().map(|s| s.as_str().map(str::to_string).ok_or_else(err)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(Case::Camel.apply("new_search"), "newSearch");
        assert_eq!(Case::Pascal.apply("new-search.v2"), "NewSearchV2");
        assert_eq!(Case::ScreamingSnake.apply("newSearch"), "NEW_SEARCH");
        assert_eq!(Case::Kebab.apply("new_search"), "new-search");
    }

    #[test]
    fn parse() {
        let c = Config::parse("exclude = [\"a/\"]\n[aliases]\ncases = [\"camelCase\", \"screaming_snake\"]\npatterns = ['F\\.(?P<key>\\w+)']").unwrap();
        assert_eq!(c.cases, [Case::Camel, Case::ScreamingSnake]);
        assert_eq!(c.patterns.len(), 1);
        assert!(Config::parse("[aliases]\npatterns = ['x']").unwrap_err().contains("no capture group"));
        assert!(Config::parse("nope = 1").unwrap_err().contains("unknown setting"));
    }
}
