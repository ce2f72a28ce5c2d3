//! JSON text pieces for the response writers that splice JSON by hand
//! for speed (the evaluate endpoints' per-flag members, pre-escaped once
//! per load): every piece is written by serde_json, so escaping and
//! numbers are the same as in every other body.

/// Appends `s` as a JSON string literal.
pub fn write_string(s: &str, out: &mut String) {
    // Serializing a str cannot fail.
    if let Ok(text) = serde_json::to_string(s) {
        out.push_str(&text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_json() {
        let mut out = String::from("x");
        write_string("a\"b\\c\nd\u{1}ü", &mut out);
        assert_eq!(out, "x\"a\\\"b\\\\c\\nd\\u0001ü\"");
        assert_eq!(serde_json::from_str::<String>(&out[1..]).unwrap(), "a\"b\\c\nd\u{1}ü");
    }
}
