//! Exact amounts: a raw record's `price` and `revenue` as integer thousandths.
//!
//! The lake stores money as `decimal(18,3)`: exact (no float rounding ever reaches a
//! sum), native to every engine that reads the lake (Athena, DuckDB, Spark, pyarrow,
//! DataFusion sum it as a decimal), and scale 3 holds every ISO 4217 currency's minor
//! unit (0 digits for JPY, 2 for USD, 3 for KWD), so one column type serves all
//! currencies and `revenue` means currency units, not cents. Integer minor units
//! would need the currency's digits to read, and a sum over mixed currencies would
//! silently mix scales.
//!
//! Amounts arrive as JSON numbers (`12.99`), integers (`1980`) or decimal strings
//! (`"12.99"`). serde_json hands numbers over as `f64`; Rust prints an `f64` as the
//! shortest text that reads back to it, which for any amount with at most 15
//! significant digits is the text that was sent, so the exact decimal is recovered
//! from it.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// Digits after the point in the lake's money columns.
pub const SCALE: u32 = 3;
/// Total digits of the lake's money columns.
pub const PRECISION: u8 = 18;
/// 10^SCALE.
const UNIT: i64 = 1000;
/// The largest amount in thousandths: 15 integer digits.
const MAX: i64 = 999_999_999_999_999_999;

/// An amount in thousandths of a currency unit (`12.99` is 12990), non-negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i64);

impl Money {
    /// Reads a non-negative decimal with at most 3 digits after the point
    /// (`12.99`, `5`, `0.125`, `1e3` is refused: amounts are written plainly).
    pub fn parse(text: &str) -> Result<Money, String> {
        let bad = || {
            format!(
                "{:?} is not an amount (a non-negative decimal with at most 3 decimals)",
                crate::reason::clip(text)
            )
        };
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty()
            || !digits(int)
            || !digits(frac)
            || (text.contains('.') && frac.is_empty())
        {
            return Err(bad());
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > SCALE as usize {
            return Err(bad());
        }
        let int = int.trim_start_matches('0');
        if int.len() > 15 {
            return Err(format!(
                "{} is too large (at most 15 digits before the point)",
                crate::reason::clip(text)
            ));
        }
        let whole: i64 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| bad())?
        };
        let mut part: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| bad())?
        };
        for _ in frac.len()..SCALE as usize {
            part *= 10;
        }
        let m = whole * UNIT + part;
        (m <= MAX).then_some(Money(m)).ok_or_else(bad)
    }

    /// The amount in minor units of a currency with `digits` decimals (0 to 3), if it
    /// is a whole number of them.
    pub fn minor_units(self, digits: u32) -> Option<i64> {
        let per = 10i64.checked_pow(SCALE.checked_sub(digits)?)?;
        (self.0 % per == 0).then_some(self.0 / per)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / UNIT, self.0 % UNIT)
    }
}

/// serde: an optional [`Money`] from a JSON number, a decimal string or `null`.
pub(crate) fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<Money>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a non-negative amount")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            // `{}` on an f64 is the shortest text that reads back to it (never an
            // exponent), so 12.99 prints as "12.99".
            self.visit_str(&v.to_string())
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Money::parse(v).map(Some).map_err(E::custom)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exact_amounts() {
        for (text, m) in [
            ("12.99", 12_990),
            ("5", 5_000),
            ("5.00", 5_000),
            ("0.125", 125),
            ("0", 0),
            ("007.5", 7_500),
            ("1980", 1_980_000),
            ("999999999999999.999", MAX),
        ] {
            assert_eq!(Money::parse(text), Ok(Money(m)), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for text in [
            "",
            "-1",
            "1.2345",
            "1e3",
            "NaN",
            "inf",
            ".5",
            "5.",
            "1.2.3",
            " 1",
            "1,5",
            "1000000000000000",
            "0x10",
        ] {
            assert!(Money::parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn floats_keep_their_decimals() {
        let read = |json: &str| -> Result<Option<Money>, serde_json::Error> {
            let mut d = serde_json::Deserializer::from_str(json);
            optional(&mut d)
        };
        assert_eq!(read("12.99").unwrap(), Some(Money(12_990)));
        assert_eq!(read("0.1").unwrap(), Some(Money(100)));
        assert_eq!(read("19999.99").unwrap(), Some(Money(19_999_990)));
        assert_eq!(read("\"3.50\"").unwrap(), Some(Money(3_500)));
        assert_eq!(read("null").unwrap(), None);
        assert!(read("-0.5").is_err());
        assert!(read("1e300").is_err());
        assert!(read("true").is_err());
        // Every cent amount up to $100,000 survives the f64 round trip.
        for cents in (0..10_000_000i64).step_by(997) {
            let text = format!("{}.{:02}", cents / 100, cents % 100);
            assert_eq!(read(&text).unwrap(), Some(Money(cents * 10)), "{text}");
        }
    }

    #[test]
    fn minor_units_by_currency_digits() {
        assert_eq!(Money(12_990).minor_units(2), Some(1_299));
        assert_eq!(Money(1_980_000).minor_units(0), Some(1_980));
        assert_eq!(Money(125).minor_units(3), Some(125));
        assert_eq!(Money(125).minor_units(2), None, "not whole cents");
        assert_eq!(Money(1).minor_units(4), None);
        assert_eq!(Money(12_990).to_string(), "12.990");
    }
}
