//! Currencies and amounts: an ISO 4217 code, its number of minor digits, and exact
//! decimal text for integer minor units ("12.99" for 1299 US cents, "1980" yen).

use std::fmt;

/// Codes whose minor unit is not the cent (ISO 4217): no decimals, or three.
const NO_DECIMALS: [&str; 17] = [
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];
const THREE_DECIMALS: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

/// A currency: three upper-case letters and the digits of its minor unit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    digits: u8,
}

impl Currency {
    pub const USD: Currency = Currency {
        code: *b"USD",
        digits: 2,
    };

    /// A code of three upper-case letters; its minor digits from ISO 4217 (2 unless
    /// listed otherwise there).
    pub fn parse(code: &str) -> Result<Currency, String> {
        let b = code.as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_uppercase) {
            return Err(format!(
                "{code:?} is not a currency: use a three-letter upper-case ISO 4217 code, \
                 such as USD or EUR"
            ));
        }
        let digits = if NO_DECIMALS.contains(&code) {
            0
        } else if THREE_DECIMALS.contains(&code) {
            3
        } else {
            2
        };
        Ok(Currency {
            code: [b[0], b[1], b[2]],
            digits,
        })
    }

    pub fn code(&self) -> &str {
        // Three ASCII letters, checked by `parse`.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Digits after the decimal point (2 for USD, 0 for JPY).
    pub fn digits(&self) -> u8 {
        self.digits
    }

    /// Minor units in one unit (100 for USD).
    pub fn minor_per_unit(&self) -> u64 {
        10u64.pow(u32::from(self.digits))
    }

    /// `minor` units as exact decimal text with the currency's digits: "12.99", "5.00".
    pub fn write_amount(&self, minor: u64, out: &mut Vec<u8>) {
        let per = self.minor_per_unit();
        out.extend_from_slice(itoa::Buffer::new().format(minor / per).as_bytes());
        if self.digits > 0 {
            out.push(b'.');
            let mut frac = minor % per;
            let start = out.len();
            for _ in 0..self.digits {
                out.push(b'0' + (frac % 10) as u8);
                frac /= 10;
            }
            out[start..].reverse();
        }
    }

    /// See [`Currency::write_amount`].
    pub fn amount(&self, minor: u64) -> String {
        let mut out = Vec::new();
        self.write_amount(minor, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} digits)", self.code(), self.digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_decimal_text() {
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(usd, Currency::USD);
        assert_eq!(usd.amount(1299), "12.99");
        assert_eq!(usd.amount(5), "0.05");
        assert_eq!(usd.amount(500), "5.00");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!((jpy.digits(), jpy.amount(1980)), (0, "1980".to_owned()));
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(kwd.amount(12_345), "12.345");
        assert_eq!(usd.amount(u64::MAX), "184467440737095516.15");
        for bad in ["usd", "US", "EURO", "€UR", ""] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }
}
