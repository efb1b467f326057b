//! The one duration syntax of csgen: command-line flags, sink and source options.
//!
//! A duration is a number and a unit, or several run together: `500ms`, `5s`, `2m`,
//! `1h`, `1d`, `1h30m` (humantime's units, so `min`, `sec`, `hours` … work too).
//! Every place that takes one also bounds it: a duration outside its range is an error
//! that states the range, never a panic or an overflow further down (`10000000000000000000s`
//! used to panic inside tokio's timer).

use std::fmt;
use std::time::Duration;

/// Longest duration any option accepts: ten years, far beyond any run, far below
/// where `Instant + Duration` overflows.
pub const MAX: Duration = Duration::from_secs(10 * 365 * 86_400);

/// Parses `text` as a duration in `min..=max`.
pub fn parse(text: &str, min: Duration, max: Duration) -> Result<Duration, String> {
    let d = humantime::parse_duration(text.trim())
        .map_err(|e| format!("{text:?} is not a duration like 500ms, 5s, 2m or 1h ({e})"))?;
    if d < min || d > max {
        return Err(format!(
            "{text:?} is out of range: expected {} to {}",
            Shown(min),
            Shown(max)
        ));
    }
    Ok(d)
}

/// Parses `text` as a duration from 0 to [`MAX`].
pub fn parse_any(text: &str) -> Result<Duration, String> {
    parse(text, Duration::ZERO, MAX)
}

/// A duration written back in the syntax [`parse`] reads: the fewest parts, largest
/// units first (`1h30m`, `500ms`, `0s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown(pub Duration);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(&str, u128); 6] = [
            ("d", 86_400_000_000_000),
            ("h", 3_600_000_000_000),
            ("m", 60_000_000_000),
            ("s", 1_000_000_000),
            ("ms", 1_000_000),
            ("us", 1_000),
        ];
        let mut left = self.0.as_nanos();
        if left == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in UNITS {
            if left >= size {
                write!(f, "{}{unit}", left / size)?;
                left %= size;
            }
        }
        if left > 0 {
            write!(f, "{left}ns")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms_and_prints_them_back() {
        for (text, ms) in [
            ("500ms", 500),
            ("5s", 5_000),
            ("2m", 120_000),
            ("1h", 3_600_000),
            ("1h30m", 5_400_000),
            ("1d", 86_400_000),
            ("0s", 0),
        ] {
            let d = parse_any(text).unwrap();
            assert_eq!(d, Duration::from_millis(ms), "{text}");
            assert_eq!(Shown(d).to_string(), text);
        }
        assert_eq!(Shown(Duration::from_millis(1500)).to_string(), "1s500ms");
    }

    #[test]
    fn huge_durations_are_refused_with_the_range_not_a_panic() {
        for text in ["10000000000000000000s", "99999999999d", "11y"] {
            let e = parse_any(text).unwrap_err();
            assert!(e.contains(text), "{e}");
        }
        let e = parse("2m", Duration::ZERO, Duration::from_secs(60)).unwrap_err();
        assert_eq!(e, "\"2m\" is out of range: expected 0s to 1m");
        let e = parse("0s", Duration::from_millis(1), MAX).unwrap_err();
        assert!(e.contains("expected 1ms to 3650d"), "{e}");
    }

    #[test]
    fn garbage_is_a_clear_error() {
        for text in ["", "5", "xs", "-5s", "5 parsecs", "NaNs", "1e9s"] {
            let e = parse_any(text).unwrap_err();
            assert!(e.contains("is not a duration like"), "{text}: {e}");
        }
    }
}
