//! A one-pass scanner for the common shape of a raw JSON record.
//!
//! Collectors send flat objects of strings and integers without escapes; for those,
//! this scanner reads the fields csgen wants straight out of the bytes, in a fraction
//! of the instructions of serde's derived visitor. Amounts (`price`, `revenue`) and a
//! purchase's `items` (an array of flat order lines) are read too, so the realistic
//! model's records take this path as well. It accepts a strict subset of what
//! [`super::parse`]'s serde path accepts and gives the same [`RawClick`]: anything
//! else — a backslash or a control character anywhere (even a tab between tokens), a
//! nested value outside `items`, a float outside an amount, an amount with more than
//! 15 digits or 3 decimals or an exponent, a duplicate field, a field of the wrong
//! type, trailing bytes — answers `None`, and the serde path decides (so its error
//! messages are unchanged). The proptest in `fast_tests.rs` checks the two agree on
//! arbitrary records.

use std::borrow::Cow;

use super::{MAX_ITEMS, RawClick, RawItem, RawTime};
use crate::money::Money;

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
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        let start = self.i + 1;
        let end = start + memchr::memchr(b'"', self.bytes().get(start..)?)?;
        self.i = end + 1;
        // Both ends are ASCII quotes, so they are char boundaries.
        self.text.get(start..end)
    }

    /// An integer of at most 18 digits, as serde_json reads it into an `i64`/`u64`.
    #[inline(always)]
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

    /// An amount as the serde path reads it (see [`crate::money`]): a decimal string,
    /// `null`, or a non-negative number of at most 15 digits with at most 3 after the
    /// point and no exponent. Within those bounds serde_json's `f64` (an exact
    /// significand divided by an exact power of ten, rounded once) prints back as the
    /// digits that were sent, so reading them directly gives the same thousandths.
    fn money(&mut self) -> Option<Option<Money>> {
        match self.peek()? {
            b'"' => Money::parse(self.string()?).ok().map(Some),
            b'n' => self.word(b"null").map(|()| None),
            b'0'..=b'9' => {
                let b = self.bytes();
                let mut i = self.i;
                let mut whole: i64 = 0;
                while let Some(&c @ b'0'..=b'9') = b.get(i) {
                    whole = whole.checked_mul(10)? + i64::from(c - b'0');
                    i += 1;
                }
                let int_digits = i - self.i;
                if b[self.i] == b'0' && int_digits > 1 {
                    return None; // a leading zero: a JSON error
                }
                let mut part: i64 = 0;
                let mut frac_digits = 0;
                if b.get(i) == Some(&b'.') {
                    i += 1;
                    while let Some(&c @ b'0'..=b'9') = b.get(i) {
                        if frac_digits == 3 {
                            return None;
                        }
                        part = part * 10 + i64::from(c - b'0');
                        frac_digits += 1;
                        i += 1;
                    }
                    if frac_digits == 0 {
                        return None;
                    }
                }
                if int_digits + frac_digits > 15 || matches!(b.get(i), Some(b'e' | b'E')) {
                    return None;
                }
                for _ in frac_digits..3 {
                    part *= 10;
                }
                self.i = i;
                Some(Some(Money(whole * 1000 + part)))
            }
            _ => None, // negative, boolean, nested: the serde path's error
        }
    }

    /// `items`: `null`, or an array of at most [`MAX_ITEMS`] flat order lines.
    // Out of line: only purchases have order lines; the common path stays small.
    #[inline(never)]
    fn items(&mut self) -> Option<Option<Vec<RawItem>>> {
        if self.peek()? == b'n' {
            return self.word(b"null").map(|()| None);
        }
        self.eat(b'[')?;
        self.ws();
        let mut out = Vec::new();
        if self.eat(b']').is_some() {
            return Some(Some(out));
        }
        loop {
            if out.len() == MAX_ITEMS {
                return None; // the serde path names the cap
            }
            out.push(self.item()?);
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b']' => {
                    self.i += 1;
                    return Some(Some(out));
                }
                _ => return None,
            }
        }
    }

    /// One order line `{"product_id", "quantity", "price", …}`; other keys with
    /// scalar values are skipped, as serde's derived visitor skips them.
    // Out of line: only purchases have order lines; the common path stays small.
    #[inline(never)]
    fn item(&mut self) -> Option<RawItem> {
        self.eat(b'{')?;
        self.ws();
        let (mut product_id, mut quantity, mut price) = (None, None, None);
        if self.eat(b'}').is_none() {
            loop {
                let key = self.key()?;
                match key {
                    "product_id" if product_id.is_none() => {
                        product_id = Some(user_id(self.value()?)??);
                    }
                    "quantity" if quantity.is_none() => match self.value()? {
                        Value::Int(n) => {
                            quantity = Some(i32::try_from(n).ok().filter(|q| *q >= 1)?)
                        }
                        _ => return None,
                    },
                    "price" if price.is_none() => price = Some(self.money()??),
                    "product_id" | "quantity" | "price" => return None, // a duplicate
                    _ => self.skip()?,
                }
                if self.next_member(b'}')? {
                    break;
                }
            }
        }
        Some(RawItem {
            product_id: product_id?,
            quantity: quantity.unwrap_or(1),
            price: price?,
        })
    }

    /// A member's key and its colon; the cursor is on the key's opening `"`.
    #[inline(always)]
    fn key(&mut self) -> Option<&'a str> {
        if self.peek()? != b'"' {
            return None;
        }
        let key = self.string()?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(key)
    }

    /// After a member: `,` (another follows: `false`) or `close` (the end: `true`).
    #[inline(always)]
    fn next_member(&mut self, close: u8) -> Option<bool> {
        self.ws();
        match self.peek()? {
            b',' => {
                self.i += 1;
                self.ws();
                Some(false)
            }
            c if c == close => {
                self.i += 1;
                Some(true)
            }
            _ => None,
        }
    }

    /// The value of a key csgen does not read: any scalar, numbers of any JSON form
    /// included (serde skips them by syntax alone, never converting: the realistic
    /// model's `cart_value` is a float).
    fn skip(&mut self) -> Option<()> {
        if !matches!(self.peek()?, b'-' | b'0'..=b'9') {
            return self.value().map(drop);
        }
        let b = self.bytes();
        let mut i = self.i + usize::from(b[self.i] == b'-');
        let digits = |i: &mut usize| {
            let start = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - start
        };
        let whole = i;
        match digits(&mut i) {
            0 => return None,
            n if n > 1 && b[whole] == b'0' => return None,
            _ => {}
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return None;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                return None;
            }
        }
        self.i = i;
        Some(())
    }

    #[inline(always)]
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
    Price,
    Revenue,
    Items,
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
        "price" => Field::Price,
        "revenue" => Field::Revenue,
        "items" => Field::Items,
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

/// A top-level quantity: a non-negative integer that fits an `i32`, or `null`.
fn quantity(v: Value<'_>) -> Option<Option<i32>> {
    match v {
        Value::Int(n) => Some(Some(i32::try_from(n).ok().filter(|n| *n >= 0)?)),
        Value::Null => Some(None),
        Value::Str(_) | Value::Bool => None,
    }
}

/// `ts`: RFC 3339 text (checked later, by the enricher) or Unix milliseconds.
fn ts(v: Value<'_>) -> Option<Option<RawTime<'_>>> {
    match v {
        Value::Str(s) => Some(Some(RawTime::Text(Cow::Borrowed(s)))),
        Value::Int(ms) => Some(Some(RawTime::Millis(ms))),
        Value::Null => Some(None),
        Value::Bool => None,
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
            let key = c.key()?;
            let Some(f) = field(key) else {
                c.skip()?; // a key csgen does not read
                if c.next_member(b'}')? {
                    break;
                }
                continue;
            };
            let bit = 1u32 << f as u32;
            if seen & bit != 0 {
                return None; // serde: "duplicate field"
            }
            seen |= bit;
            match f {
                Field::Price => raw.price = c.money()?,
                Field::Revenue => raw.revenue = c.money()?,
                Field::Items => raw.items = c.items()?,
                Field::EventId => raw.event_id = string(c.value()?)?,
                Field::Url => raw.url = string(c.value()?)?,
                Field::SessionId => raw.session_id = string(c.value()?)?,
                Field::UserAgent => raw.user_agent = string(c.value()?)?,
                Field::Device => raw.device = string(c.value()?)?,
                Field::Referrer => raw.referrer = string(c.value()?)?,
                Field::Country => raw.country = string(c.value()?)?,
                Field::Os => raw.os = string(c.value()?)?,
                Field::UtmSource => raw.utm_source = string(c.value()?)?,
                Field::UtmMedium => raw.utm_medium = string(c.value()?)?,
                Field::UtmCampaign => raw.utm_campaign = string(c.value()?)?,
                Field::OrderId => raw.order_id = string(c.value()?)?,
                Field::Currency => raw.currency = string(c.value()?)?,
                Field::Quantity => raw.quantity = quantity(c.value()?)?,
                Field::UserId => raw.user_id = user_id(c.value()?)?,
                Field::Ts => raw.ts = ts(c.value()?)?,
            }
            if c.next_member(b'}')? {
                break;
            }
        }
    }
    c.ws();
    (c.i == text.len()).then_some(raw)
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
