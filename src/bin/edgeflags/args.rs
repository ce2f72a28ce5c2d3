//! Every command's arguments, read with lexopt (`--name value`,
//! `--name=value`, `-y`, positionals; `-` is a positional: stdin), and
//! the usage failures for what a command does not take.

use lexopt::{Arg, Parser, ValueExt};

use super::fail::Fail;

/// One argument.
pub enum Item {
    /// An option, as written without its value: `--url`, `-y`.
    Opt(String),
    /// A positional argument.
    Pos(String),
}

/// The arguments after the command.
pub struct Args {
    p: Parser,
}

impl Args {
    pub fn new(args: &[String]) -> Args {
        Args { p: Parser::from_args(args.iter().cloned()) }
    }

    /// The next argument; a failure for one that is not UTF-8, or for a
    /// value given to an option that takes none (`--json=1`).
    pub fn next(&mut self) -> Result<Option<Item>, Fail> {
        Ok(match self.p.next().map_err(|e| Fail::usage(e.to_string()))? {
            None => None,
            Some(Arg::Long(n)) => Some(Item::Opt(format!("--{n}"))),
            Some(Arg::Short(c)) => Some(Item::Opt(format!("-{c}"))),
            Some(Arg::Value(v)) => Some(Item::Pos(v.string().map_err(|e| Fail::usage(e.to_string()))?)),
        })
    }

    /// The value of option `name` (the next argument, or after `=`).
    pub fn value(&mut self, name: &str) -> Result<String, Fail> {
        let v = self.p.value().map_err(|_| Fail::usage(format!("{name} needs a value")))?;
        v.string().map_err(|e| Fail::usage(e.to_string()))
    }
}

/// The failure for an option a command does not take.
pub fn unknown(name: &str) -> Fail {
    Fail::usage(format!("unknown option \"{name}\""))
}
