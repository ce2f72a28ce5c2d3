//! Decimal text <-> `f64`, exactly as the standard library does it
//! (correctly rounded parsing; shortest round-trip formatting without an
//! exponent, as `{}` prints), in a fraction of its code size.
//!
//! std's float formatting (Grisu + Dragon) and parsing (Eisel-Lemire with a
//! 10 KB table of powers of five) were a third of the browser package's
//! wasm once the rest was trimmed (twiggy, scripts/size.sh). Here both sides
//! rest on one small big-integer comparison: parsing guesses with f64
//! arithmetic and corrects the guess ulp by ulp against the exact value;
//! formatting tries 1, 2, ... 17 significant digits and keeps the first
//! that parses back to the same bits. It is slower than std on long or
//! extreme numbers, which only ever occur at load time; the common cases
//! (integers, short decimals) take fast paths. The same code runs in every
//! build, so every runtime reads and writes the same numbers; the tests
//! check it against std on random bit patterns and random decimal text.

use std::cmp::Ordering;

/// Unsigned big integer, little-endian base-2^32 limbs.
#[derive(Clone)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(x: u64) -> Big {
        let mut b = Big(vec![x as u32, (x >> 32) as u32]);
        b.trim();
        b
    }
    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
    fn mul_add_small(&mut self, m: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }
    fn mul_pow5(&mut self, mut k: u32) {
        while k >= 13 {
            self.mul_add_small(1_220_703_125, 0); // 5^13
            k -= 13;
        }
        self.mul_add_small(5u32.pow(k), 0);
    }
    fn mul_pow2(&mut self, k: u32) {
        let (words, bits) = ((k / 32) as usize, k % 32);
        if bits > 0 {
            self.mul_add_small(1 << bits, 0);
        }
        if words > 0 && !self.0.is_empty() {
            self.0.splice(0..0, std::iter::repeat_n(0, words));
        }
    }
    fn cmp(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
    /// Divides by `d` in place, returning the remainder.
    fn div_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let v = (rem << 32) | u64::from(*limb);
            *limb = (v / u64::from(d)) as u32;
            rem = v % u64::from(d);
        }
        self.trim();
        rem as u32
    }
    /// Decimal digits, most significant first (empty for zero).
    fn digits(mut self) -> Vec<u8> {
        let mut chunks = Vec::new();
        while !self.0.is_empty() {
            chunks.push(self.div_small(1_000_000_000));
        }
        let mut out = Vec::with_capacity(chunks.len() * 9);
        for (i, c) in chunks.iter().rev().enumerate() {
            let mut s = String::new();
            write_u64(u64::from(*c), &mut s);
            if i > 0 {
                out.extend(std::iter::repeat_n(b'0', 9 - s.len()));
            }
            out.extend_from_slice(s.as_bytes());
        }
        out
    }
}

/// A positive finite f64 as `m * 2^k`, `m` an integer.
fn decompose(x: f64) -> (u64, i32) {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    if exp == 0 {
        (frac, -1074)
    } else {
        (frac | 1 << 52, exp - 1075)
    }
}

/// Compares `digits * 10^e10` with `(a*2^ka + b*2^kb) / 2`, the midpoint of
/// two neighbouring floats, exactly.
fn cmp_with_midpoint(digits: &Big, e10: i32, a: (u64, i32), b: (u64, i32)) -> Ordering {
    let kmin = a.1.min(b.1);
    // 2 * value  vs  (a.m*2^(a.k-kmin) + b.m*2^(b.k-kmin)) * 2^kmin
    let mut rhs = Big::from_u64(a.0);
    rhs.mul_pow2((a.1 - kmin) as u32);
    let mut rb = Big::from_u64(b.0);
    rb.mul_pow2((b.1 - kmin) as u32);
    // rhs += rb
    let mut carry = 0u64;
    let n = rhs.0.len().max(rb.0.len());
    rhs.0.resize(n, 0);
    for i in 0..n {
        let v = u64::from(rhs.0[i]) + u64::from(*rb.0.get(i).unwrap_or(&0)) + carry;
        rhs.0[i] = v as u32;
        carry = v >> 32;
    }
    if carry > 0 {
        rhs.0.push(carry as u32);
    }
    let mut lhs = digits.clone();
    lhs.mul_add_small(2, 0);
    if e10 >= 0 {
        lhs.mul_pow5(e10 as u32);
        lhs.mul_pow2(e10 as u32);
    } else {
        rhs.mul_pow5((-e10) as u32);
        rhs.mul_pow2((-e10) as u32);
    }
    if kmin >= 0 {
        rhs.mul_pow2(kmin as u32);
    } else {
        lhs.mul_pow2((-kmin) as u32);
    }
    lhs.cmp(&rhs)
}

const MAX_DIGITS: usize = 800;

/// Parses decimal text (`-12.5e3`, `+5`, `.5`, `5.`) into the correctly
/// rounded `f64`, like `str::parse::<f64>`. `None` for anything else,
/// including `inf`/`nan` and values too large for an `f64` (which std
/// turns into infinity).
pub fn parse_f64(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let negative = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut digits: Vec<u8> = Vec::new();
    let mut e10: i64 = 0;
    let mut seen_digit = false;
    let mut sticky = false;
    let mut push = |d: u8, e10: &mut i64, after_point: bool| {
        if digits.is_empty() && d == 0 {
            if after_point {
                *e10 -= 1;
            }
            return;
        }
        if digits.len() < MAX_DIGITS {
            digits.push(d);
            if after_point {
                *e10 -= 1;
            }
        } else {
            sticky |= d != 0;
            if !after_point {
                *e10 += 1;
            }
        }
    };
    while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
        push(c - b'0', &mut e10, false);
        seen_digit = true;
        i += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            push(c - b'0', &mut e10, true);
            seen_digit = true;
            i += 1;
        }
    }
    if !seen_digit {
        return None;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        let neg_exp = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut exp: i64 = 0;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            exp = (exp * 10 + i64::from(c - b'0')).min(1_000_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        e10 += if neg_exp { -exp } else { exp };
    }
    if i != b.len() {
        return None;
    }
    if sticky {
        digits.push(1);
        e10 -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
        e10 += 1;
    }
    let v = magnitude(&digits, e10)?;
    Some(if negative { -v } else { v })
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// The correctly rounded value of `digits * 10^e10` (digits without
/// leading or trailing zeros).
fn magnitude(digits: &[u8], e10: i64) -> Option<f64> {
    if digits.is_empty() {
        return Some(0.0);
    }
    let n = digits.len() as i64;
    if n + e10 > 310 {
        return None; // at least 1e310: not a finite f64
    }
    if n + e10 < -330 {
        return Some(0.0); // below half the smallest subnormal
    }
    let lead: u64 = digits.iter().take(19).fold(0, |acc, &d| acc * 10 + u64::from(d));
    // Exact fast path: every operand exact, one correctly rounded operation.
    if n <= 15 && e10.abs() <= 22 {
        let (m, p) = (lead as f64, POW10[e10.unsigned_abs() as usize]);
        return Some(if e10 >= 0 { m * p } else { m / p });
    }
    // A guess from the leading digits, then ulp steps against the exact value.
    let e = e10 + n - n.min(19);
    let half = (e / 2) as i32;
    let mut z = lead as f64 * 10f64.powi(half) * 10f64.powi(e as i32 - half);
    if !z.is_finite() {
        z = f64::MAX;
    }
    let mut exact = Big(Vec::new());
    for &d in digits {
        exact.mul_add_small(10, u32::from(d));
    }
    let e10 = e10 as i32;
    for _ in 0..4096 {
        let here = decompose(z);
        if z < f64::MAX {
            let up = f64::from_bits(z.to_bits() + 1);
            match cmp_with_midpoint(&exact, e10, here, decompose(up)) {
                Ordering::Greater => {
                    z = up;
                    continue;
                }
                Ordering::Equal => return Some(if here.0 % 2 == 0 { z } else { up }),
                Ordering::Less => {}
            }
        } else {
            // Past the largest finite f64 by half an ulp or more: overflow.
            let beyond = (here.0 + 1, here.1);
            if cmp_with_midpoint(&exact, e10, here, beyond) != Ordering::Less {
                return None;
            }
        }
        if z > 0.0 {
            let down = f64::from_bits(z.to_bits() - 1);
            match cmp_with_midpoint(&exact, e10, decompose(down), here) {
                Ordering::Less => {
                    z = down;
                    continue;
                }
                Ordering::Equal => return Some(if here.0 % 2 == 0 { z } else { down }),
                Ordering::Greater => {}
            }
        } else {
            // Compare with half the smallest subnormal.
            if cmp_with_midpoint(&exact, e10, (0, -1074), (1, -1074)) == Ordering::Greater {
                z = f64::from_bits(1);
                continue;
            }
        }
        return Some(z);
    }
    Some(z)
}

/// Writes `n` in decimal, as `{}` does (without `core::fmt`, see
/// `crate::error::msg`).
pub fn write_u64(mut n: u64, out: &mut String) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

/// Writes `x` as `{}` on an `f64` does: the shortest decimal that parses
/// back to the same bits, without an exponent. Non-finite values write
/// `null` (they cannot come from JSON).
pub fn write_f64(x: f64, out: &mut String) {
    if !x.is_finite() {
        out.push_str("null");
        return;
    }
    if x.is_sign_negative() {
        out.push('-');
    }
    let x = x.abs();
    if x.fract() == 0.0 && x < 9_007_199_254_740_992.0 {
        write_u64(x as u64, out);
        return;
    }
    let (m, k) = decompose(x);
    let mut big = Big::from_u64(m);
    let mut e10 = 0i32;
    if k >= 0 {
        big.mul_pow2(k as u32);
    } else {
        big.mul_pow5((-k) as u32);
        e10 = k;
    }
    let all = big.digits();
    let (digits, q) = shortest(&all, e10, x);
    // digits * 10^q, printed without an exponent.
    let text = std::str::from_utf8(&digits).unwrap_or("0");
    if q >= 0 {
        out.push_str(text);
        out.extend(std::iter::repeat_n('0', q as usize));
    } else {
        let point = digits.len() as i32 + q;
        if point > 0 {
            out.push_str(&text[..point as usize]);
            out.push('.');
            out.push_str(&text[point as usize..]);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(text);
        }
    }
}

/// The shortest digits `d` (and exponent `q`) with `d * 10^q` parsing back
/// to `x`, nearest first (ties up) when two of the same length do.
fn shortest(all: &[u8], e10: i32, x: f64) -> (Vec<u8>, i32) {
    let last_exp = e10; // exponent of the last digit of `all`
    for p in 1..all.len() {
        let q = last_exp + (all.len() - p) as i32;
        let down: Vec<u8> = all[..p].to_vec();
        let mut up = down.clone();
        let mut carry_q = q;
        // up = down + 1 in the last place
        let mut i = up.len();
        loop {
            if i == 0 {
                up.insert(0, b'1');
                up.pop();
                carry_q += 1;
                break;
            }
            i -= 1;
            if up[i] == b'9' {
                up[i] = b'0';
            } else {
                up[i] += 1;
                break;
            }
        }
        let rest = &all[p..];
        // Nearest first; an exact tie goes up, as std's shortest formatting does.
        let up_first = rest[0] >= b'5';
        let candidates = if up_first { [(up, carry_q), (down, q)] } else { [(down, q), (up, carry_q)] };
        for (d, cq) in candidates {
            if round_trips(&d, cq, x) {
                let mut d = d;
                let mut cq = cq;
                while d.len() > 1 && d.last() == Some(&b'0') {
                    d.pop();
                    cq += 1;
                }
                return (d, cq);
            }
        }
    }
    let mut d = all.to_vec();
    let mut q = last_exp;
    while d.len() > 1 && d.last() == Some(&b'0') {
        d.pop();
        q += 1;
    }
    (d, q)
}

fn round_trips(d: &[u8], q: i32, x: f64) -> bool {
    let digits: Vec<u8> = d.iter().map(|c| c - b'0').collect();
    let start = digits.iter().position(|&c| c != 0).unwrap_or(digits.len());
    let mut digits = digits[start..].to_vec();
    let mut q = i64::from(q);
    while digits.last() == Some(&0) {
        digits.pop();
        q += 1;
    }
    magnitude(&digits, q) == Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(x: f64) -> String {
        let mut s = String::new();
        write_f64(x, &mut s);
        s
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn writes_integers_like_std() {
        for n in [0, 1, 9, 10, 99, 100, 1_000_000_007, u64::from(u32::MAX), u64::MAX - 1, u64::MAX] {
            let mut s = String::new();
            write_u64(n, &mut s);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn formats_like_std() {
        for x in [
            0.0,
            -0.0,
            1.0,
            0.1,
            17.89072070221666,
            1e-7,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            9007199254740993.0,
            1e21,
            1e22,
            123456789.125,
            2.5e-308,
            0.3,
            2.0f64.powi(60),
            33.33,
            100.0 / 3.0,
        ] {
            assert_eq!(fmt(x), format!("{x}"), "{x:e}");
        }
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let x = f64::from_bits(r.next());
            if x.is_finite() {
                assert_eq!(fmt(x), format!("{x}"), "bits {:#x}", x.to_bits());
            }
        }
        for _ in 0..20_000 {
            // Values a ruleset or bucket would hold.
            let x = (r.next() % 100_000_000) as f64 / 1_000_000.0 + (r.next() % 1000) as f64 * 1e-9;
            assert_eq!(fmt(x), format!("{x}"));
        }
    }

    #[test]
    fn parses_like_std() {
        let cases = [
            "0",
            "-0",
            "1",
            "0.1",
            "17.89072070221666",
            "1e-7",
            "5e-324",
            "2e-324",
            "3e-324",
            "1e-400",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "4.9406564584124654e-324",
            "2.2250738585072011e-308",
            "9007199254740993",
            "9007199254740993.0000000000000000000001",
            "0.30000000000000004",
            "123456789012345678901234567890",
            "+5",
            ".5",
            "5.",
            "1E5",
            "00001.5000",
            "1e22",
            "1e23",
            "8.98846567431158e307",
        ];
        for s in cases {
            assert_eq!(parse_f64(s).map(f64::to_bits), s.parse::<f64>().ok().map(f64::to_bits), "{s}");
        }
        for s in ["", "-", ".", "e5", "1e", "1e+", "inf", "NaN", "1.5x", " 1", "0x10", "1..2", "--1"] {
            assert_eq!(parse_f64(s), None, "{s:?}");
        }
        assert_eq!(parse_f64("1e310"), None, "too large for an f64");
        let mut r = Rng(0x1234_5678_9abc_def1);
        for _ in 0..20_000 {
            let x = f64::from_bits(r.next());
            if !x.is_finite() {
                continue;
            }
            // Round trips, and std's longer and shorter renderings.
            for s in [format!("{x}"), format!("{x:e}"), format!("{x:.3e}"), format!("{x:.25e}")] {
                let want = s.parse::<f64>().ok().filter(|v| v.is_finite()).map(f64::to_bits);
                assert_eq!(parse_f64(&s).map(f64::to_bits), want, "{s}");
            }
        }
        for _ in 0..20_000 {
            // Random decimal text, halfway cases included by long mantissas.
            let digits = 1 + r.next() % 30;
            let mut s: String = (0..digits).map(|_| char::from(b'0' + (r.next() % 10) as u8)).collect();
            if r.next() % 2 == 0 {
                s.insert(1, '.');
            }
            let exp = (r.next() % 700) as i64 - 350;
            let s = format!("{s}e{exp}");
            let want = s.parse::<f64>().ok().filter(|v| v.is_finite()).map(f64::to_bits);
            assert_eq!(parse_f64(&s).map(f64::to_bits), want, "{s}");
        }
    }
}
