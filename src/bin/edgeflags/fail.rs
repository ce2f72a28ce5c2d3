//! Why a command failed, and its exit code. Every failure has a stable
//! `code` (the server's own code when it answered with one), a message in
//! words, and the exit code a script can branch on:
//!
//! | exit | when |
//! |---|---|
//! | 0 | done (also a dry run, and nothing to publish) |
//! | 1 | the ruleset is invalid: local validation, or the server's 422 |
//! | 2 | usage or input: bad arguments, unreadable file, bad `--contexts` line |
//! | 3 | network: cannot connect, name not found, TLS, timeout |
//! | 4 | auth: no token, a refused token, the management API is off (401/403) |
//! | 5 | conflict: the live version changed meanwhile (412), or the store asked to retry (409) |
//! | 6 | not published: confirmation declined, or none possible (no terminal, `--json`) without `--yes` |
//! | 7 | anything else the server refused or answered unexpectedly (404 unknown version, 5xx, not JSON) |

use std::process::ExitCode;

use edgeflags::{LoadError, Value};

/// The exit codes above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Invalid = 1,
    Usage = 2,
    Network = 3,
    Auth = 4,
    Conflict = 5,
    NotConfirmed = 6,
    Server = 7,
}

/// A failed command.
#[derive(Debug)]
pub struct Fail {
    pub exit: Exit,
    pub code: String,
    pub message: String,
    /// More members of the `--json` error object (`problems`, `current`, ...).
    pub extra: Vec<(String, Value)>,
    /// Lines printed under the message (the problems of an invalid ruleset).
    pub details: Vec<String>,
}

impl Fail {
    pub fn new(exit: Exit, code: &str, message: impl Into<String>) -> Fail {
        Fail { exit, code: code.to_string(), message: message.into(), extra: Vec::new(), details: Vec::new() }
    }

    pub fn usage(message: impl Into<String>) -> Fail {
        Fail::new(Exit::Usage, "USAGE", message)
    }

    pub fn with(mut self, key: &str, v: Value) -> Fail {
        self.extra.push((key.to_string(), v));
        self
    }

    /// An invalid ruleset: every problem with its path.
    pub fn invalid(what: &str, e: &LoadError) -> Fail {
        let n = e.problems.len();
        let mut f = Fail::new(
            Exit::Invalid,
            "INVALID_RULESET",
            format!("{what}: invalid ruleset ({n} problem{})", if n == 1 { "" } else { "s" }),
        );
        f.details = e.problems.iter().map(|p| p.to_string()).collect();
        f.with("problems", problems_value(e))
    }

    /// Writes the failure to stderr as every command does: `edgeflags
    /// CMD: message`, the detail lines, and `usage` after a usage error.
    pub fn print(&self, cmd: &str, usage: &str) {
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "edgeflags {cmd}: {}", self.message);
        for d in &self.details {
            let _ = writeln!(err, "  {d}");
        }
        if self.exit == Exit::Usage && self.code == "USAGE" {
            let _ = writeln!(err, "usage:\n{usage}");
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit as u8)
    }

    /// `{"code", "message", "exit", ...extra}`.
    pub fn to_value(&self) -> Value {
        let mut m = vec![
            ("code".to_string(), Value::String(self.code.clone())),
            ("message".to_string(), Value::String(self.message.clone())),
            ("exit".to_string(), Value::Number(self.exit as u8 as f64)),
        ];
        m.extend(self.extra.iter().cloned());
        Value::Object(m)
    }
}

/// `[{"path", "message"}]`, the Worker's 422 shape.
pub fn problems_value(e: &LoadError) -> Value {
    edgeflags::Problem::list_value(&e.problems)
}
