//! The range of event rates csgen accepts, wherever a rate comes from: the
//! properties file's `clicks-per-second`, `--rate`, and the control API's `/rate`.
//!
//! Below [`MIN`] the pacer's schedule would wait longer than any run lasts (and its
//! arithmetic loses precision); above [`MAX`] no sink keeps up and the schedule's
//! per-event step rounds to nothing. One range, one message, so every entry point
//! refuses the same values the same way.

use std::ops::RangeInclusive;

/// Fewest events per second: one event every 1,000 s.
pub const MIN: f64 = 0.001;
/// Most events per second.
pub const MAX: f64 = 100_000_000.0;
/// [`MIN`]`..=`[`MAX`].
pub const RANGE: RangeInclusive<f64> = MIN..=MAX;

/// Why a rate was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "rate {0:?} is outside the accepted range {min} to {max} events per second",
    min = MIN,
    max = MAX
)]
pub struct RateError(pub f64);

/// `rate` if it is a number within [`RANGE`].
pub fn check(rate: f64) -> Result<f64, RateError> {
    if RANGE.contains(&rate) {
        Ok(rate)
    } else {
        Err(RateError(rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_the_pacer_cannot_honour() {
        for bad in [0.0, -1.0, 1e-20, 1e-300, 1e308, f64::NAN, f64::INFINITY] {
            assert!(check(bad).is_err(), "{bad}");
        }
        for good in [MIN, 0.5, 3.0, 1e6, MAX] {
            assert_eq!(check(good), Ok(good));
        }
        assert_eq!(
            check(1e-20).unwrap_err().to_string(),
            "rate 1e-20 is outside the accepted range 0.001 to 100000000 events per second"
        );
    }
}
