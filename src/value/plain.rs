//! The JSON writer of builds without serde_json (the browser package,
//! where JS does JSON text): it only quotes values in the loader's
//! messages. It writes what serde_json writes (same escapes, integers
//! without a fraction, other numbers in Rust's shortest round-trip form),
//! except that numbers below 1e-4 use an exponent here where serde_json
//! (ryu) starts it at 1e-5: the same number either way.

use std::fmt::Write;

use super::{as_integer, Value};

pub(super) fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Writing to a String cannot fail.
        Value::Number(n) => match as_integer(*n) {
            Some(i) => drop(write!(out, "{i}")),
            None if n.is_finite() => {
                let start = out.len();
                let _ = write!(out, "{n:?}");
                // serde_json writes a positive exponent with its sign.
                if let Some(e) = out[start..].find('e').filter(|&e| !out[start + e + 1..].starts_with('-')) {
                    out.insert(start + e + 1, '+');
                }
            }
            None => out.push_str("null"),
        },
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write_value(v, out);
            }
            out.push('}');
        }
    }
}

pub(super) fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => drop(write!(out, "\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(v: &Value) -> String {
        let mut s = String::new();
        write_value(v, &mut s);
        s
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let all_controls: String = (0u8..0x20).map(char::from).collect();
        let v = Value::Object(vec![
            ("s".into(), Value::String(all_controls + "\"\\/ü😀\u{7f}")),
            ("a".into(), Value::Array(vec![Value::Null, Value::Bool(true), Value::Bool(false)])),
            ("k\n".into(), Value::Object(vec![])),
        ]);
        assert_eq!(plain(&v), serde_json::to_string(&v).unwrap());
        for n in [
            0.0,
            -0.0,
            1.0,
            -300.0,
            2.5,
            0.1,
            1e-7,
            1e16,
            1e17,
            9007199254740992.0,
            1e300,
            5e-324,
            f64::NAN,
            1e-5,
            5e-5,
            2e-4,
            1e21,
            1.5e20,
            123456.789,
            -1.25e-10,
        ] {
            let v = Value::Number(n);
            let (ours, theirs) = (plain(&v), serde_json::to_string(&v).unwrap());
            let read = |t: &str| serde_json::from_str::<Value>(t).unwrap();
            assert_eq!(read(&ours).as_f64().map(f64::to_bits), read(&theirs).as_f64().map(f64::to_bits), "{n}");
            if !(n != 0.0 && n.abs() < 1e-4) {
                assert_eq!(ours, theirs, "{n}");
            }
        }
    }
}
