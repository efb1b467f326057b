//! A one-pass scanner for the common shape of a raw JSON record.
//!
//! Collectors send flat objects of strings and integers without escapes; for those,
//! this scanner reads the fields csgen wants straight out of the bytes, in a fraction
//! of the instructions of serde's derived visitor. It accepts a strict subset of what
//! [`super::parse`]'s serde path accepts and gives the same [`RawClick`]: anything
//! else — a backslash or a control character anywhere (even a tab between tokens), a
//! nested value, a float, a duplicate field, a field of the wrong type, trailing
//! bytes — answers `None`, and the serde path decides (so its error messages are
//! unchanged). The proptest in `fast_tests.rs` checks the two agree on arbitrary
//! records.

use std::borrow::Cow;

use super::{RawClick, RawTime};

/// A JSON value as far as the fields csgen reads care.
enum Value<'a> {
    Str(&'a str),
    Int(i64),
    Null,
    /// `true` or `false`: valid JSON, but a type error for every field csgen reads.
    Bool,
}

struct Cursor<'a> {
    text: &'a str,
    i: usize,
}

/// Whether `b` has no backslash and no control character, so that every string in it
/// ends at its next `"` and needs no unescaping. One branch-free pass (the compiler
/// vectorises it), cheaper than checking each string's bytes as it is read.
fn plain(b: &[u8]) -> bool {
    b.iter()
        .fold(true, |ok, &c| ok & (c >= 0x20) & (c != b'\\'))
}

impl<'a> Cursor<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string of a [`plain`] record; the cursor is on its opening `"`.
    fn string(&mut self) -> Option<&'a str> {
        let start = self.i + 1;
        let end = start + memchr::memchr(b'"', self.bytes().get(start..)?)?;
        self.i = end + 1;
        // Both ends are ASCII quotes, so they are char boundaries.
        self.text.get(start..end)
    }

    /// An integer of at most 18 digits, as serde_json reads it into an `i64`/`u64`.
    fn int(&mut self) -> Option<i64> {
        let b = self.bytes();
        let neg = self.peek()? == b'-';
        let start = self.i + usize::from(neg);
        let mut i = start;
        let mut n: i64 = 0;
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            if i - start == 18 {
                return None;
            }
            n = n * 10 + i64::from(c - b'0');
            i += 1;
        }
        let digits = i - start;
        // No digits, a leading zero ("01": an error), or -0 (a float to serde_json).
        if digits == 0 || (b[start] == b'0' && (digits > 1 || neg)) {
            return None;
        }
        // A fraction or an exponent makes a float: a type error or any-value skip,
        // either way the serde path's business.
        if matches!(b.get(i), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.i = i;
        Some(if neg { -n } else { n })
    }

    fn word(&mut self, w: &[u8]) -> Option<()> {
        self.bytes()[self.i..]
            .starts_with(w)
            .then(|| self.i += w.len())
    }

    fn value(&mut self) -> Option<Value<'a>> {
        match self.peek()? {
            b'"' => self.string().map(Value::Str),
            b'-' | b'0'..=b'9' => self.int().map(Value::Int),
            b'n' => self.word(b"null").map(|()| Value::Null),
            b't' => self.word(b"true").map(|()| Value::Bool),
            b'f' => self.word(b"false").map(|()| Value::Bool),
            _ => None, // objects and arrays: the serde path skips or rejects them
        }
    }
}

/// Which of the record's fields have been seen, for serde's duplicate-field error.
#[derive(Clone, Copy)]
enum Field {
    EventId,
    Ts,
    Url,
    UserId,
    SessionId,
    UserAgent,
    Device,
    Referrer,
    Country,
    Os,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    OrderId,
    Currency,
    Quantity,
    /// `price` and `revenue`: amounts, left to the serde path (it reads decimals);
    /// and `items`, whatever its value (its type errors are the serde path's).
    Money,
}

fn field(key: &str) -> Option<Field> {
    Some(match key {
        "event_id" => Field::EventId,
        "ts" => Field::Ts,
        "url" => Field::Url,
        "user_id" => Field::UserId,
        "session_id" => Field::SessionId,
        "user_agent" | "ua" => Field::UserAgent,
        "device" => Field::Device,
        "referrer" | "referer" => Field::Referrer,
        "country" => Field::Country,
        "os" => Field::Os,
        "utm_source" => Field::UtmSource,
        "utm_medium" => Field::UtmMedium,
        "utm_campaign" => Field::UtmCampaign,
        "order_id" => Field::OrderId,
        "currency" => Field::Currency,
        "quantity" => Field::Quantity,
        "price" | "revenue" | "items" => Field::Money,
        _ => return None,
    })
}

/// A text field: a string, or `null` for none.
fn string(v: Value<'_>) -> Option<Option<Cow<'_, str>>> {
    match v {
        Value::Str(s) => Some(Some(Cow::Borrowed(s))),
        Value::Null => Some(None),
        Value::Int(_) | Value::Bool => None,
    }
}

/// A user id: a non-negative integer, or such an integer as a string of digits.
fn user_id(v: Value<'_>) -> Option<Option<i64>> {
    match v {
        Value::Int(n) if n >= 0 => Some(Some(n)),
        Value::Str(s) if (1..=18).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_digit()) => {
            // At most 18 digits: always fits an i64.
            Some(Some(s.bytes().fold(0, |n, c| n * 10 + i64::from(c - b'0'))))
        }
        Value::Null => Some(None),
        _ => None,
    }
}

/// Reads `text` (an object, already trimmed) in one pass, or `None` to let serde decide.
pub(crate) fn parse(text: &str) -> Option<RawClick<'_>> {
    if !plain(text.as_bytes()) {
        return None;
    }
    let mut c = Cursor { text, i: 0 };
    let mut raw = RawClick::default();
    let mut seen = 0u32;
    c.eat(b'{')?;
    c.ws();
    if c.eat(b'}').is_none() {
        loop {
            if c.peek()? != b'"' {
                return None;
            }
            let key = c.string()?;
            c.ws();
            c.eat(b':')?;
            c.ws();
            let value = c.value()?;
            if let Some(f) = field(key) {
                let bit = 1u32 << f as u32;
                if seen & bit != 0 {
                    return None; // serde: "duplicate field"
                }
                seen |= bit;
                match f {
                    Field::EventId => raw.event_id = string(value)?,
                    Field::Url => raw.url = string(value)?,
                    Field::SessionId => raw.session_id = string(value)?,
                    Field::UserAgent => raw.user_agent = string(value)?,
                    Field::Device => raw.device = string(value)?,
                    Field::Referrer => raw.referrer = string(value)?,
                    Field::Country => raw.country = string(value)?,
                    Field::Os => raw.os = string(value)?,
                    Field::UtmSource => raw.utm_source = string(value)?,
                    Field::UtmMedium => raw.utm_medium = string(value)?,
                    Field::UtmCampaign => raw.utm_campaign = string(value)?,
                    Field::OrderId => raw.order_id = string(value)?,
                    Field::Currency => raw.currency = string(value)?,
                    Field::Quantity => {
                        raw.quantity = match value {
                            Value::Int(n) => Some(i32::try_from(n).ok().filter(|n| *n >= 0)?),
                            Value::Null => None,
                            _ => return None,
                        }
                    }
                    Field::Money => return None,
                    Field::UserId => raw.user_id = user_id(value)?,
                    Field::Ts => {
                        raw.ts = match value {
                            Value::Str(s) => Some(RawTime::Text(Cow::Borrowed(s))),
                            Value::Int(ms) => Some(RawTime::Millis(ms)),
                            Value::Null => None,
                            Value::Bool => return None,
                        }
                    }
                }
            }
            c.ws();
            match c.peek()? {
                b',' => {
                    c.i += 1;
                    c.ws();
                }
                b'}' => {
                    c.i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    c.ws();
    (c.i == text.len()).then_some(raw)
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
