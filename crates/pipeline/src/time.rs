//! Event times: RFC 3339 text or Unix milliseconds, to UTC milliseconds.
//!
//! csgen writes `YYYY-MM-DDTHH:MM:SS.mmmZ`; that shape is parsed by hand (it is on
//! every record), anything else RFC 3339 goes through chrono.

use crate::reason::{Reason, clip};

/// 1970-01-01T00:00:00Z, the earliest event time the lake accepts.
pub const MIN_MS: i64 = 0;
/// 9999-12-31T23:59:59.999Z, the latest (partition paths have four-digit years).
pub const MAX_MS: i64 = 253_402_300_799_999;

/// Parses an RFC 3339 timestamp to Unix milliseconds (sub-millisecond digits dropped).
pub fn parse_rfc3339(text: &str) -> Result<i64, Reason> {
    let ms = match fast(text.as_bytes()) {
        Some(ms) => ms,
        None => chrono::DateTime::parse_from_rfc3339(text)
            .map_err(|e| Reason::BadTime(format!("{:?}: {e}", clip(text))))?
            .timestamp_millis(),
    };
    check_range(ms)
}

/// Unix milliseconds as RFC 3339 with milliseconds, for messages (the number itself when
/// outside what chrono represents).
pub fn format_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || format!("{ms} ms"),
        |t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    )
}

/// Checks that Unix milliseconds fall in the range the lake accepts.
pub fn check_range(ms: i64) -> Result<i64, Reason> {
    if (MIN_MS..=MAX_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err(Reason::BadTime(format!(
            "{ms} ms is outside years 1970–9999"
        )))
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, or `None` to fall back to the full parser.
fn fast(b: &[u8]) -> Option<i64> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let frac = &b[19..b.len() - 1];
    let milli = match frac {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let mut m = 0;
            for i in 0..3 {
                let d = match digits.get(i) {
                    Some(c) if c.is_ascii_digit() => i64::from(c - b'0'),
                    Some(_) => return None,
                    None => 0,
                };
                m = m * 10 + d;
            }
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            m
        }
        _ => return None,
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || min > 59 || sec > 59 {
        return None; // leap seconds and errors: let chrono decide
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + min) * 60_000 + sec * 1000 + milli)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_csgen_and_other_rfc3339_forms() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(
            parse_rfc3339("2026-11-23T07:26:20.123Z").unwrap(),
            1_795_418_780_123
        );
        assert_eq!(
            parse_rfc3339("2026-11-23T08:26:20.123+01:00").unwrap(),
            1_795_418_780_123
        );
        assert_eq!(
            parse_rfc3339("2026-11-23T07:26:20.123456Z").unwrap(),
            1_795_418_780_123
        );
        for bad in [
            "",
            "yesterday",
            "2026-02-30T00:00:00Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(parse_rfc3339(bad).unwrap_err().code(), "bad_time", "{bad}");
        }
    }

    proptest! {
        #[test]
        fn fast_path_agrees_with_chrono(ms in MIN_MS..=MAX_MS) {
            let t = chrono::DateTime::from_timestamp_millis(ms).unwrap();
            let text = t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            prop_assert_eq!(fast(text.as_bytes()), Some(ms));
        }
    }
}
