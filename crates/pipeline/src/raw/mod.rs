//! Raw click records as sources carry them, before enrichment.
//!
//! Three shapes are read: csgen's JSON record (`{"event_id","ts","url","user_id",…}`
//! plus what a collector adds: `session_id`, `user_agent`, `referrer`, `ip`), the
//! original's Kinesis payload `{"url": …}`, and a bare URL line. Unknown JSON fields
//! are ignored (collectors add their own); fields csgen reads must have the right type.
//!
//! JSON goes through a one-pass scanner (`fast.rs`) when the record is plain (no
//! escapes, no nested values but a purchase's flat order lines: what collectors and the
//! realistic model send), else through serde_json.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::money::Money;
use crate::reason::Reason;

pub(crate) mod fast;
mod items;

/// A raw record's fields, borrowed from its bytes where no JSON escape intervenes.
#[derive(Debug, Default, Deserialize, PartialEq)]
pub struct RawClick<'a> {
    #[serde(borrow, default)]
    pub event_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub ts: Option<RawTime<'a>>,
    #[serde(borrow)]
    pub url: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "id")]
    pub user_id: Option<i64>,
    #[serde(borrow, default)]
    pub session_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, alias = "ua")]
    pub user_agent: Option<Cow<'a, str>>,
    /// A device class the collector already knew; used when there is no user agent.
    #[serde(borrow, default)]
    pub device: Option<Cow<'a, str>>,
    #[serde(borrow, default, alias = "referer")]
    pub referrer: Option<Cow<'a, str>>,
    /// ISO 3166 alpha-2, as the realistic model writes it.
    #[serde(borrow, default)]
    pub country: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub os: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub utm_source: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub utm_medium: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub utm_campaign: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub order_id: Option<Cow<'a, str>>,
    /// Units added or removed: a non-negative integer.
    #[serde(default, deserialize_with = "quantity")]
    pub quantity: Option<i32>,
    /// Unit price (`add_to_cart`, `remove_from_cart`), exact.
    #[serde(default, deserialize_with = "crate::money::optional")]
    pub price: Option<Money>,
    /// Order total (`purchase`), exact.
    #[serde(default, deserialize_with = "crate::money::optional")]
    pub revenue: Option<Money>,
    /// ISO 4217 code of `price` and `revenue`.
    #[serde(borrow, default)]
    pub currency: Option<Cow<'a, str>>,
    /// A purchase's order lines; more than [`MAX_ITEMS`] make the record an error.
    #[serde(default, deserialize_with = "items::bounded")]
    pub items: Option<Vec<RawItem>>,
}

pub use items::{MAX_ITEMS, RawItem};

/// A record's `ts`: RFC 3339 text or Unix milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub enum RawTime<'a> {
    Text(Cow<'a, str>),
    Millis(i64),
}

impl<'de: 'a, 'a> Deserialize<'de> for RawTime<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawTime<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RFC 3339 string or Unix milliseconds")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(RawTime::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawTime::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(RawTime::Millis(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v)
                    .map(RawTime::Millis)
                    .map_err(|_| E::custom("ts out of range"))
            }
        }
        d.deserialize_any(V)
    }
}

/// A user id: a non-negative integer, or such an integer as a string.
fn id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a non-negative integer id")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom("id too large"))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            u64::try_from(v)
                .map_err(|_| E::custom("negative id"))
                .and_then(|v| self.visit_u64(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            v.parse::<u64>()
                .map_err(|_| E::custom(format!("{v:?} is not an id")))
                .and_then(|v| self.visit_u64(v))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// A quantity: a non-negative integer that fits the column's `int`.
fn quantity<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<i32>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a non-negative integer quantity")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i32::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format!("quantity {v} is too large")))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            u64::try_from(v)
                .map_err(|_| E::custom(format!("quantity {v} is negative")))
                .and_then(|v| self.visit_u64(v))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// Parses one record (without its line terminator).
pub fn parse(bytes: &[u8]) -> Result<RawClick<'_>, Reason> {
    let text = std::str::from_utf8(bytes).map_err(|e| Reason::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    let text = text.trim_matches([' ', '\t', '\r']);
    if text.starts_with('{') {
        let raw = match fast::parse(text) {
            Some(raw) => raw,
            None => serde_json::from_str(text).map_err(|e| Reason::BadJson(e.to_string()))?,
        };
        if raw.url.is_none() {
            return Err(Reason::MissingField("url"));
        }
        Ok(raw)
    } else if text.is_empty() {
        Err(Reason::MissingField("url"))
    } else {
        Ok(RawClick {
            url: Some(Cow::Borrowed(text)),
            ..RawClick::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_shapes() {
        let r = parse(br#"{"event_id":"e1","ts":"2026-01-01T00:00:00.000Z","url":"https://s/api/group/1?userid=2","user_id":2}"#).unwrap();
        assert_eq!(r.event_id.as_deref(), Some("e1"));
        assert!(matches!(r.ts, Some(RawTime::Text(Cow::Borrowed(_)))));
        assert_eq!(r.user_id, Some(2));
        let r = parse(br#"{"url":"https:\/\/s/api/group/1","ts":1700000000000,"ua":"x","referer":"y","extra":[1]}"#).unwrap();
        assert_eq!(r.url.as_deref(), Some("https://s/api/group/1"));
        assert_eq!(r.ts, Some(RawTime::Millis(1_700_000_000_000)));
        assert_eq!(
            (r.user_agent.as_deref(), r.referrer.as_deref()),
            (Some("x"), Some("y"))
        );
        let r = parse(b"https://s/api/group/1?userid=2\r").unwrap();
        assert_eq!(r.url.as_deref(), Some("https://s/api/group/1?userid=2"));
        assert_eq!(
            parse(br#"{"user_id":"12","url":"/"}"#).unwrap().user_id,
            Some(12)
        );
    }

    #[test]
    fn reads_the_shops_fields() {
        let r = parse(br#"{"url":"/api/purchase","user_id":1,"country":"DE","os":"iOS","utm_source":"news","utm_medium":"email","utm_campaign":"fall","order_id":"o-1","items":[{"product_id":3,"price":1.5}],"revenue":29.98,"currency":"EUR"}"#).unwrap();
        assert_eq!(r.country.as_deref(), Some("DE"));
        assert_eq!(r.os.as_deref(), Some("iOS"));
        assert_eq!(
            (
                r.utm_source.as_deref(),
                r.utm_medium.as_deref(),
                r.utm_campaign.as_deref()
            ),
            (Some("news"), Some("email"), Some("fall"))
        );
        assert_eq!(r.order_id.as_deref(), Some("o-1"));
        let line = RawItem {
            product_id: 3,
            quantity: 1,
            price: Money(1_500),
        };
        assert_eq!(r.items, Some(vec![line]));
        assert_eq!(r.revenue, Some(Money(29_980)));
        assert_eq!(r.currency.as_deref(), Some("EUR"));
        let r = parse(br#"{"url":"/","quantity":2,"price":1980,"currency":"JPY"}"#).unwrap();
        assert_eq!((r.quantity, r.price), (Some(2), Some(Money(1_980_000))));
    }

    #[test]
    fn names_what_is_wrong() {
        for (bytes, code) in [
            (&b"\xff\xfe"[..], "not_utf8"),
            (b"{\"url\":", "bad_json"),
            (b"{\"url\":1}", "bad_json"),
            (b"{\"url\":\"/\",\"user_id\":-3}", "bad_json"),
            (b"{\"ts\":\"x\"}", "missing_field"),
            (b"{\"url\":\"/\",\"quantity\":-1}", "bad_json"),
            (b"{\"url\":\"/\",\"quantity\":3000000000}", "bad_json"),
            (b"{\"url\":\"/\",\"quantity\":1.5}", "bad_json"),
            (b"{\"url\":\"/\",\"price\":-0.01}", "bad_json"),
            (b"{\"url\":\"/\",\"price\":1.2345}", "bad_json"),
            (b"{\"url\":\"/\",\"revenue\":1e300}", "bad_json"),
            (b"{\"url\":\"/\",\"revenue\":\"abc\"}", "bad_json"),
            (b"{\"url\":\"/\",\"country\":7}", "bad_json"),
            (b"  ", "missing_field"),
        ] {
            assert_eq!(parse(bytes).unwrap_err().code(), code, "{bytes:?}");
        }
    }
}
