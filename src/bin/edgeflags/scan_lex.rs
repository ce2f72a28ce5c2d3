//! The scan's lexer: just enough of each language to tell a string literal
//! from a comment and an identifier from a word inside either.
//!
//! One lexer serves every language; a [`Syntax`] (one per comment family:
//! `//` and `/* */`, `#`, `--`) says which comment markers and which string
//! quotes the language has: Python's triple quotes and prefixes, Rust's raw
//! strings and lifetimes, JavaScript's template literals (their `${}` parts
//! are lexed as code), Go's raw strings, Ruby's and Elixir's symbols. It
//! never fails: text it does not understand is skipped byte by byte, and a
//! one-line string left open ends at its line, so one odd construct cannot
//! swallow the rest of a file.

/// A language the scan reads, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    JavaScript,
    TypeScript,
    Tsx,
    Rust,
    Python,
    Go,
    Java,
    Kotlin,
    Ruby,
    CSharp,
    Swift,
    Php,
    Scala,
    C,
    Dart,
    Elixir,
    Lua,
    Shell,
}

impl Lang {
    /// The language of a file name, if the scan reads it.
    pub fn of(name: &str) -> Option<Lang> {
        let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
        Some(match ext {
            "js" | "jsx" | "mjs" | "cjs" | "vue" | "svelte" => Lang::JavaScript,
            "ts" | "mts" | "cts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "rs" => Lang::Rust,
            "py" | "pyi" => Lang::Python,
            "go" => Lang::Go,
            "java" | "groovy" => Lang::Java,
            "kt" | "kts" => Lang::Kotlin,
            "rb" | "rake" => Lang::Ruby,
            "cs" => Lang::CSharp,
            "swift" => Lang::Swift,
            "php" => Lang::Php,
            "scala" => Lang::Scala,
            "c" | "h" | "cc" | "cpp" | "hpp" | "m" | "mm" => Lang::C,
            "dart" => Lang::Dart,
            "ex" | "exs" => Lang::Elixir,
            "lua" => Lang::Lua,
            "sh" | "bash" | "zsh" => Lang::Shell,
            _ => return None,
        })
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Lang::JavaScript => "JavaScript",
            Lang::TypeScript => "TypeScript",
            Lang::Tsx => "TSX",
            Lang::Rust => "Rust",
            Lang::Python => "Python",
            Lang::Go => "Go",
            Lang::Java => "Java",
            Lang::Kotlin => "Kotlin",
            Lang::Ruby => "Ruby",
            Lang::CSharp => "C#",
            Lang::Swift => "Swift",
            Lang::Php => "PHP",
            Lang::Scala => "Scala",
            Lang::C => "C/C++",
            Lang::Dart => "Dart",
            Lang::Elixir => "Elixir",
            Lang::Lua => "Lua",
            Lang::Shell => "Shell",
        }
    }

    fn syntax(self) -> Syntax {
        let c = Syntax {
            line: &["//"],
            block: Some(("/*", "*/")),
            nested_block: false,
            single_quote: Single::Char,
            backtick: Backtick::None,
            triple: false,
            rust_raw: false,
            py_prefix: false,
            symbols: false,
            multiline: false,
        };
        let hash = Syntax { line: &["#"], block: None, single_quote: Single::String, ..c };
        match self {
            Lang::JavaScript | Lang::TypeScript | Lang::Tsx => {
                Syntax { single_quote: Single::String, backtick: Backtick::Template, ..c }
            }
            Lang::Rust => Syntax { nested_block: true, rust_raw: true, multiline: true, ..c },
            Lang::Go => Syntax { backtick: Backtick::Raw, ..c },
            Lang::Java | Lang::C | Lang::CSharp => Syntax { triple: self == Lang::Java, ..c },
            Lang::Kotlin | Lang::Scala | Lang::Swift => Syntax { nested_block: true, triple: true, ..c },
            Lang::Dart => Syntax { single_quote: Single::String, triple: true, ..c },
            Lang::Php => Syntax { line: &["//", "#"], single_quote: Single::String, multiline: true, ..c },
            Lang::Python => Syntax { triple: true, py_prefix: true, ..hash },
            Lang::Ruby => Syntax { symbols: true, multiline: true, backtick: Backtick::Raw, ..hash },
            Lang::Elixir => Syntax { symbols: true, multiline: true, triple: true, ..hash },
            Lang::Shell => Syntax { multiline: true, ..hash },
            Lang::Lua => Syntax { line: &["--"], block: Some(("--[[", "]]")), single_quote: Single::String, ..c },
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Single {
    /// `'x'` is a character (Rust, C, Java, Go...); a `'` that does not
    /// close one is a lifetime or a label.
    Char,
    String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backtick {
    None,
    /// JavaScript: `${...}` parts are code.
    Template,
    /// Go's raw strings, Ruby's commands: no escapes.
    Raw,
}

#[derive(Clone, Copy)]
struct Syntax {
    line: &'static [&'static str],
    block: Option<(&'static str, &'static str)>,
    nested_block: bool,
    single_quote: Single,
    backtick: Backtick,
    /// `"""` (and `'''` where `'` quotes strings).
    triple: bool,
    /// `r"..."`, `r#"..."#`, `b"..."`, `br"..."`, `c"..."`.
    rust_raw: bool,
    /// `r"..."`, `f"..."`, `rb'...'` ...
    py_prefix: bool,
    /// `:name` is a symbol (Ruby, Elixir), read like a string.
    symbols: bool,
    /// `"` strings may span lines.
    multiline: bool,
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string literal (or a symbol); the token's range is its content.
    Str,
    Ident,
    Comment,
    /// One punctuation byte.
    Punct(u8),
}

/// A token: its kind and byte range in the file.
#[derive(Debug, Clone, Copy)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// The tokens of `text` read as `lang`: strings, identifiers, comments and
/// the punctuation the matcher looks at around calls.
pub fn tokens(text: &str, lang: Lang) -> Vec<Token> {
    let mut lx = Lexer { b: text.as_bytes(), i: 0, syn: lang.syntax(), out: Vec::new() };
    lx.code(false);
    lx.out
}

fn ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
    syn: Syntax,
    out: Vec<Token>,
}

impl Lexer<'_> {
    fn at(&self, s: &str) -> bool {
        self.b[self.i..].starts_with(s.as_bytes())
    }

    fn push(&mut self, kind: Kind, start: usize, end: usize) {
        self.out.push(Token { kind, start, end });
    }

    /// Code up to the end, or (in a template's `${}`) up to its `}`.
    fn code(&mut self, in_braces: bool) {
        let mut depth = 0usize;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if let Some(l) = self.syn.line.iter().find(|l| self.at(l)) {
                if !(self.syn.block.is_some_and(|(open, _)| self.at(open))) {
                    let start = self.i;
                    self.i += l.len();
                    while self.i < self.b.len() && self.b[self.i] != b'\n' {
                        self.i += 1;
                    }
                    self.push(Kind::Comment, start, self.i);
                    continue;
                }
            }
            if let Some((open, close)) = self.syn.block {
                if self.at(open) {
                    self.block_comment(open, close);
                    continue;
                }
            }
            match c {
                b'"' => self.quoted(b'"', self.syn.multiline, true),
                b'\'' if self.syn.single_quote == Single::String => self.quoted(b'\'', self.syn.multiline, true),
                b'\'' => self.char_or_lifetime(),
                b'`' if self.syn.backtick == Backtick::Template => self.template(),
                b'`' if self.syn.backtick == Backtick::Raw => self.quoted(b'`', true, false),
                b':' if self.syn.symbols && self.b.get(self.i + 1).is_some_and(|&n| ident_byte(n) && n != b'$') => {
                    let before = self.i.checked_sub(1).map(|p| self.b[p]);
                    if before.is_some_and(|p| ident_byte(p) || p == b':') {
                        self.punct();
                    } else {
                        let start = self.i + 1;
                        self.i = start;
                        self.ident_end();
                        self.push(Kind::Str, start, self.i);
                    }
                }
                b'{' if in_braces => {
                    depth += 1;
                    self.punct();
                }
                b'}' if in_braces => {
                    if depth == 0 {
                        self.i += 1;
                        return;
                    }
                    depth -= 1;
                    self.punct();
                }
                b'0'..=b'9' => {
                    self.ident_end();
                }
                c if ident_byte(c) => self.ident(),
                c if c.is_ascii_whitespace() => self.i += 1,
                _ => self.punct(),
            }
        }
    }

    fn punct(&mut self) {
        let c = self.b[self.i];
        self.push(Kind::Punct(c), self.i, self.i + 1);
        self.i += 1;
    }

    fn ident_end(&mut self) {
        while self.i < self.b.len() && ident_byte(self.b[self.i]) {
            self.i += 1;
        }
    }

    /// An identifier, or the prefix of a string (`r"..."`, `f'...'`).
    fn ident(&mut self) {
        let start = self.i;
        self.ident_end();
        let word = &self.b[start..self.i];
        let next = self.b.get(self.i).copied();
        if self.syn.rust_raw && matches!(word, b"r" | b"br" | b"b" | b"c" | b"cr") && matches!(next, Some(b'"' | b'#'))
        {
            if word.contains(&b'r') {
                self.rust_raw();
            } else if next == Some(b'"') {
                self.quoted(b'"', true, true);
            }
            return;
        }
        if self.syn.py_prefix && word.len() <= 2 && matches!(next, Some(b'"' | b'\'')) {
            let lower = word.to_ascii_lowercase();
            if matches!(&lower[..], b"r" | b"b" | b"f" | b"u" | b"rb" | b"br" | b"fr" | b"rf") {
                let q = next.unwrap_or(b'"');
                self.quoted(q, false, !lower.contains(&b'r'));
                return;
            }
        }
        self.push(Kind::Ident, start, self.i);
    }

    fn block_comment(&mut self, open: &str, close: &str) {
        let start = self.i;
        self.i += open.len();
        let mut depth = 1;
        while self.i < self.b.len() {
            if self.at(close) {
                self.i += close.len();
                depth -= 1;
                if depth == 0 {
                    break;
                }
            } else if self.syn.nested_block && self.at(open) {
                self.i += open.len();
                depth += 1;
            } else {
                self.i += 1;
            }
        }
        self.push(Kind::Comment, start, self.i.min(self.b.len()));
    }

    /// A string quoted by `q` (the opening quote at `self.i`), or its
    /// triple-quoted form where the language has one.
    fn quoted(&mut self, q: u8, multiline: bool, escapes: bool) {
        let triple = self.syn.triple && q != b'`' && self.b[self.i..].starts_with(&[q, q, q]);
        let open = if triple { 3 } else { 1 };
        let start = self.i + open;
        self.i = start;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if escapes && c == b'\\' {
                self.i += 2;
                continue;
            }
            if c == q && (!triple || self.b[self.i..].starts_with(&[q, q, q])) {
                self.push(Kind::Str, start, self.i);
                self.i += open;
                return;
            }
            if c == b'\n' && !multiline && !triple {
                // An unclosed one-line string: what follows is code again.
                return;
            }
            self.i += 1;
        }
        self.i = self.b.len();
    }

    /// `r"..."`, `r#"..."#`, `br##"..."##` at `self.i` (just after the prefix).
    fn rust_raw(&mut self) {
        let hashes = self.b[self.i..].iter().take_while(|&&c| c == b'#').count();
        if self.b.get(self.i + hashes) != Some(&b'"') {
            self.i += hashes;
            return;
        }
        let start = self.i + hashes + 1;
        let mut close = vec![b'"'];
        close.extend(std::iter::repeat_n(b'#', hashes));
        self.i = start;
        while self.i < self.b.len() {
            if self.b[self.i..].starts_with(&close) {
                self.push(Kind::Str, start, self.i);
                self.i += close.len();
                return;
            }
            self.i += 1;
        }
    }

    /// `'x'`, `'\n'`, `'\u{1F600}'` or a lifetime / label (`'a`).
    fn char_or_lifetime(&mut self) {
        let rest = &self.b[self.i + 1..];
        let len = if rest.first() == Some(&b'\\') {
            rest.iter().take(12).skip(1).position(|&c| c == b'\'').map(|p| p + 1)
        } else {
            let width = match rest.first() {
                Some(&c) if c >= 0xF0 => 4,
                Some(&c) if c >= 0xE0 => 3,
                Some(&c) if c >= 0xC0 => 2,
                _ => 1,
            };
            (rest.get(width) == Some(&b'\'')).then_some(width)
        };
        match len {
            Some(n) => self.i += n + 2,
            None => self.i += 1,
        }
    }

    /// A JavaScript template literal; its `${}` parts are lexed as code.
    /// The content counts as a string only without them.
    fn template(&mut self) {
        let start = self.i + 1;
        self.i = start;
        let mut plain = true;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'`' => {
                    if plain {
                        self.push(Kind::Str, start, self.i);
                    }
                    self.i += 1;
                    return;
                }
                b'$' if self.b.get(self.i + 1) == Some(&b'{') => {
                    plain = false;
                    self.i += 2;
                    self.code(true);
                }
                _ => self.i += 1,
            }
        }
        self.i = self.b.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(text: &str, lang: Lang) -> Vec<&str> {
        tokens(text, lang).iter().filter(|t| t.kind == Kind::Str).map(|t| &text[t.start..t.end]).collect()
    }

    #[test]
    fn strings_and_comments() {
        assert_eq!(strs("a('x') // 'y'\n/* \"z\" */ `w` `${'v'}u`", Lang::TypeScript), ["x", "w", "v"]);
        assert_eq!(strs("r#\"a\"b\"# 'a' 'static \"s\" /* /* */ \"n\" */", Lang::Rust), ["a\"b", "s"]);
        assert_eq!(strs("# 'no'\nx = f'y' + '''t\n'u'''", Lang::Python), ["y", "t\n'u"]);
        assert_eq!(strs("x(:sym, \"s\") # 'c'", Lang::Ruby), ["sym", "s"]);
        assert_eq!(strs("'\\'' \"ok\"", Lang::Go), ["ok"]);
        assert_eq!(strs("x = `a` // `b`", Lang::Go), ["a"]);
        assert_eq!(strs("val s = \"\"\"k\"\"\" /* /* \"n\" */ \"n\" */ 'c'", Lang::Kotlin), ["k"]);
        assert_eq!(strs("f(:atom, \"s\") # \"c\"\nx::y", Lang::Elixir), ["atom", "s"]);
        assert_eq!(strs("x('a') -- 'c'\n--[[ 'd' ]] \"e\"", Lang::Lua), ["a", "e"]);
        assert_eq!(strs("b\"bytes\" br\"raw\" b'q' r#ident \"s\"", Lang::Rust), ["bytes", "raw", "s"]);
    }

    #[test]
    fn an_unclosed_string_ends_at_its_line() {
        // A regex literal with a quote must not swallow the next line's key.
        assert_eq!(strs("const re = /\"/;\nf(\"k\")", Lang::JavaScript), ["k"]);
    }

    #[test]
    fn identifiers_and_calls() {
        let text = "flags.isEnabled(\"k\")";
        let kinds: Vec<Kind> = tokens(text, Lang::TypeScript).iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            [Kind::Ident, Kind::Punct(b'.'), Kind::Ident, Kind::Punct(b'('), Kind::Str, Kind::Punct(b')')]
        );
    }
}
