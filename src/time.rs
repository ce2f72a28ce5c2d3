//! Time as the core sees it: milliseconds since the Unix epoch, passed in by
//! the caller (the core has no clock), and an RFC 3339 reader and writer
//! small enough to keep date libraries out of the wasm build.

/// A point in time: milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

/// Milliseconds in one day.
pub const DAY_MS: i64 = 86_400_000;

/// Parses an RFC 3339 timestamp (`2026-03-01T12:00:00Z`,
/// `2026-03-01T12:00:00.250+02:00`) or a plain date (`2026-03-01`, midnight
/// UTC) into milliseconds since the epoch. Years 0000-9999.
pub fn parse_rfc3339(s: &str) -> Result<Millis, String> {
    let bad = || {
        crate::error::msg![
            "invalid timestamp \"",
            s,
            "\": expected RFC 3339 like 2026-03-01T12:00:00Z or a date 2026-03-01"
        ]
    };
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Result<i64, String> {
        let part = b.get(from..from + len).ok_or_else(bad)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        Ok(part.iter().fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(bad());
    }
    let mut ms = days_from_civil(year, month, day) * DAY_MS;
    if b.len() == 10 {
        return Ok(ms);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let (h, m, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if h > 23 || m > 59 || sec > 60 {
        return Err(bad());
    }
    ms += ((h * 60 + m) * 60 + sec.min(59)) * 1000;
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut frac_ms = 0i64;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if i - start < 3 {
                frac_ms = frac_ms * 10 + i64::from(d - b'0');
            }
            i += 1;
        }
        if i == start {
            return Err(bad());
        }
        for _ in (i - start)..3 {
            frac_ms *= 10;
        }
        ms += frac_ms;
    }
    match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => Ok(ms),
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let (oh, om) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            let offset = (oh * 60 + om) * 60_000;
            Ok(if *sign == b'+' { ms - offset } else { ms + offset })
        }
        _ => Err(bad()),
    }
}

/// Formats milliseconds since the epoch as RFC 3339 in UTC
/// (`2026-03-01T12:00:00Z`, with `.mmm` only when not whole seconds).
pub fn format_rfc3339(ms: Millis) -> String {
    let days = ms.div_euclid(DAY_MS);
    let rem = ms.rem_euclid(DAY_MS);
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s, frac) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    if frac == 0 {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_rfc3339("1970-01-02"), Ok(DAY_MS));
        assert_eq!(parse_rfc3339("2026-03-01T12:00:00Z"), Ok(1_772_366_400_000));
        assert_eq!(parse_rfc3339("2026-03-01T14:00:00.250+02:00"), Ok(1_772_366_400_250));
        assert_eq!(parse_rfc3339("2026-03-01T07:00:00.5-05:00"), Ok(1_772_366_400_500));
        assert_eq!(parse_rfc3339("2000-02-29"), Ok(951_782_400_000));
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2026",
            "2026-13-01",
            "2026-02-30",
            "2026-03-01T25:00:00Z",
            "2026-03-01T12:00:00",
            "x026-03-01",
            "2026-03-01T12:00:00.Z",
            "2026-03-01T12:00:00+0200",
            "2026-03-01Tab:00:00Z",
        ] {
            assert!(parse_rfc3339(s).is_err(), "{s}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for ms in [0, 1_772_366_400_000, 1_772_366_400_250, -86_400_000, 253_402_300_799_000] {
            assert_eq!(parse_rfc3339(&format_rfc3339(ms)), Ok(ms));
        }
        assert_eq!(format_rfc3339(1_772_366_400_000), "2026-03-01T12:00:00Z");
    }
}
