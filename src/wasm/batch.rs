//! The batch: how a context's attributes reach wasm without a call or an
//! allocation per attribute. JS writes `(slot, code)` header pairs, the
//! UTF-8 bytes of strings back to back, and numbers (one `f64` per entry)
//! straight into three areas of wasm memory that the engine owns; arrays
//! and objects are staged first through serde-wasm-bindgen
//! (`Engine::stage`). The call that evaluates (or lays out a prepared
//! context) applies the entries first: one crossing per evaluation.
//!
//! The input comes from JS and is checked, never trusted: a bad entry
//! clears its slot and is reported, never a panic.

use super::abi::{SET_FALSE, SET_NULL, SET_NUMBER, SET_STAGED, SET_TRUE, STRING_MAX};
use crate::{Context, Value};

/// The batch areas (their addresses are handed to JS) and the staged
/// structured values.
#[derive(Default)]
pub struct Batch {
    /// `(slot, code)` pairs; one pair per attribute: a batch sets a slot at most once.
    pub header: Vec<u32>,
    /// Strings' UTF-8 bytes, back to back.
    pub bytes: Vec<u8>,
    /// Numbers, by entry.
    pub nums: Vec<f64>,
    /// Arrays and objects, in entry order (each `SET_STAGED` takes the next).
    pub staged: Vec<Value>,
}

impl Batch {
    /// Areas for a ruleset reading `attributes` attributes (the byte area
    /// keeps its size: it grows on demand).
    pub fn resize(&mut self, attributes: usize) {
        self.header = vec![0; 2 * attributes];
        self.nums = vec![0.0; attributes];
        self.staged.clear();
    }

    /// Applies the first `count` entries to `ctx`, then drops the staged
    /// values; `false` when one could not be used.
    pub fn apply(&mut self, count: u32, ctx: &mut Context) -> bool {
        let ok = apply(&self.header, &self.bytes, &self.nums, &mut self.staged, count, ctx);
        self.staged.clear();
        ok
    }
}

/// Applies batch entries to `ctx`'s slots: header pair `k` names the slot
/// and its code (a string length, or one of the `SET_*` codes); strings lie
/// back to back in `bytes`. A slot's string buffer is reused. `false` when
/// an entry could not be used (bytes past the area, not UTF-8, no staged
/// value left): its slot is cleared, the other entries still apply.
pub fn apply(header: &[u32], bytes: &[u8], nums: &[f64], staged: &mut [Value], count: u32, ctx: &mut Context) -> bool {
    let mut ok = true;
    let mut off = 0usize;
    let mut next_staged = 0usize;
    for (k, pair) in header.chunks_exact(2).take(count as usize).enumerate() {
        let (slot, code) = (pair[0] as usize, pair[1]);
        let new = match code {
            SET_NULL => Some(Value::Null),
            SET_FALSE => Some(Value::Bool(false)),
            SET_TRUE => Some(Value::Bool(true)),
            SET_NUMBER => nums.get(k).map(|&n| if n.is_finite() { Value::Number(n) } else { Value::Null }),
            SET_STAGED => {
                next_staged += 1;
                staged.get_mut(next_staged - 1).map(|v| std::mem::replace(v, Value::Null))
            }
            len if len < STRING_MAX => {
                let (start, len) = (off, len as usize);
                off += len;
                let text = bytes.get(start..start + len).and_then(|b| std::str::from_utf8(b).ok());
                match (text, ctx.value_at_mut(slot)) {
                    (Some(t), Some(Value::String(s))) => {
                        s.clear();
                        s.push_str(t);
                        continue;
                    }
                    (t, _) => t.map(|t| Value::String(t.to_string())),
                }
            }
            _ => None,
        };
        ok &= new.is_some();
        if let Some(v) = ctx.value_at_mut(slot) {
            *v = new.unwrap_or(Value::Null);
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ruleset;

    fn ctx3() -> Context {
        let rs = Ruleset::from_json(
            r#"{"flags": {"f": {"rules": [{"conditions": [
                {"attribute": "a", "op": "eq", "value": "x"}, {"attribute": "b", "op": "eq", "value": "y"}], "variant": "on"}]}}}"#,
        )
        .unwrap();
        rs.new_context() // slots: a, b, user_id
    }

    fn values(c: &Context) -> Vec<Value> {
        c.iter().map(|(_, v)| v.clone()).collect()
    }

    #[test]
    fn applies_every_kind_of_entry() {
        let mut c = ctx3();
        let header = [0, 3, 1, SET_STAGED, 2, SET_NUMBER, 0, SET_TRUE];
        let list = Value::Array(vec![Value::Number(1.0), Value::String("z".into())]);
        let mut staged = vec![list.clone()];
        let nums = [0.0, 0.0, 2.5, 0.0];
        assert!(apply(&header, b"abc", &nums, &mut staged, 3, &mut c));
        assert_eq!(values(&c), [Value::String("abc".into()), list, Value::Number(2.5)]);
        // Count limits what applies; a later batch replaces values, and a
        // string slot's buffer is reused.
        assert!(apply(&header[6..], b"", &nums, &mut [], 1, &mut c));
        assert_eq!(values(&c)[0], Value::Bool(true));
        assert!(apply(&[0, 2, 1, SET_NULL, 2, SET_FALSE], b"hi", &[], &mut [], 3, &mut c));
        assert_eq!(values(&c), [Value::String("hi".into()), Value::Null, Value::Bool(false)]);
        assert!(apply(&[0, 1], b"h", &[], &mut [], 1, &mut c));
        assert_eq!(values(&c)[0], Value::String("h".into()));
    }

    #[test]
    fn hostile_input_clears_slots_and_never_panics() {
        let mut c = ctx3();
        assert!(apply(&[0, 1, 1, 1], b"xy", &[], &mut [], 2, &mut c));
        // Bytes past the area, invalid UTF-8, no staged value, a number
        // past the number area, an unknown code: the slot is cleared and
        // the batch reports it.
        for (header, bytes, nums) in [
            (vec![0, 5], &b"abc"[..], &[][..]),
            (vec![1, 2], &b"\xff\xfe"[..], &[][..]),
            (vec![0, SET_STAGED], &b""[..], &[][..]),
            (vec![1, SET_NUMBER], &b""[..], &[][..]),
            (vec![0, STRING_MAX + 3], &b"abc"[..], &[][..]),
        ] {
            let mut c = c.clone();
            assert!(!apply(&header, bytes, nums, &mut [], 1, &mut c), "{header:?}");
            assert_eq!(values(&c)[header[0] as usize], Value::Null, "{header:?}");
        }
        // Slots past the context, counts past the header, odd headers, and
        // non-finite numbers (null, as JSON.stringify writes them).
        assert!(apply(&[99, SET_TRUE, 7, 0], b"", &[], &mut [], 5, &mut c));
        assert!(apply(&[0, SET_NUMBER, 1], b"", &[f64::NAN], &mut [], 9, &mut c));
        assert_eq!(values(&c), [Value::Null, Value::String("y".into()), Value::Null]);
    }
}
