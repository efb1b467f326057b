//! A purchase's `items`: its order lines, `[{"product_id", "quantity", "price"}, …]`.
//!
//! Read element by element with a cap, so a hostile record of a million lines costs
//! an error at line [`MAX_ITEMS`] + 1, not a million-element vector. Each line needs
//! a non-negative product id and a non-negative exact price, and may give a quantity
//! of at least 1 (1 when absent); other keys, such as the model's `group_id`, are
//! ignored.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::money::Money;

/// The most order lines one purchase may carry; a record with more is dead-lettered
/// (`bad_json`, naming `items`).
pub const MAX_ITEMS: usize = 1000;

/// One order line of a purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct RawItem {
    #[serde(deserialize_with = "product_id")]
    pub product_id: i64,
    /// 1 when absent.
    #[serde(default = "one", deserialize_with = "quantity")]
    pub quantity: i32,
    #[serde(deserialize_with = "price")]
    pub price: Money,
}

/// `items`: `null`, or an array of at most [`MAX_ITEMS`] order lines.
pub(super) fn bounded<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<RawItem>>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Vec<RawItem>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "an array of at most {MAX_ITEMS} order lines")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
            while let Some(item) = seq.next_element::<RawItem>()? {
                if out.len() == MAX_ITEMS {
                    return Err(de::Error::custom(format!(
                        "items: more than {MAX_ITEMS} order lines"
                    )));
                }
                out.push(item);
            }
            Ok(Some(out))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

fn product_id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    super::id(d)?.ok_or_else(|| de::Error::custom("items: a line without product_id"))
}

fn one() -> i32 {
    1
}

fn quantity<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    match super::quantity(d)? {
        Some(q) if q >= 1 => Ok(q),
        Some(q) => Err(de::Error::custom(format!(
            "items: quantity {q} (at least 1)"
        ))),
        None => Err(de::Error::custom("items: a line without quantity")),
    }
}

fn price<'de, D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
    crate::money::optional(d)?.ok_or_else(|| de::Error::custom("items: a line without price"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::parse;

    fn record(items: &str) -> String {
        format!(r#"{{"url":"/api/purchase","user_id":1,"items":{items}}}"#)
    }

    #[test]
    fn reads_order_lines_and_ignores_their_other_keys() {
        let text = record(
            r#"[{"product_id":3,"group_id":1,"quantity":2,"price":15.99},{"product_id":"4","quantity":1,"price":"0.5"}]"#,
        );
        let r = parse(text.as_bytes()).unwrap();
        assert_eq!(
            r.items.unwrap(),
            [
                RawItem {
                    product_id: 3,
                    quantity: 2,
                    price: Money(15_990)
                },
                RawItem {
                    product_id: 4,
                    quantity: 1,
                    price: Money(500)
                },
            ]
        );
        assert_eq!(parse(record("null").as_bytes()).unwrap().items, None);
        let no_quantity = record(r#"[{"product_id":3,"price":1}]"#);
        assert_eq!(
            parse(no_quantity.as_bytes()).unwrap().items.unwrap()[0].quantity,
            1
        );
        assert_eq!(parse(record("[]").as_bytes()).unwrap().items, Some(vec![]));
    }

    #[test]
    fn hostile_order_lines_are_errors_naming_items() {
        let line = r#"{"product_id":3,"quantity":1,"price":1}"#;
        let at_cap = format!("[{}]", vec![line; MAX_ITEMS].join(","));
        assert_eq!(
            parse(record(&at_cap).as_bytes())
                .unwrap()
                .items
                .unwrap()
                .len(),
            MAX_ITEMS
        );
        let over = format!("[{}]", vec![line; MAX_ITEMS + 1].join(","));
        for (items, says) in [
            (over.as_str(), "more than 1000 order lines"),
            (r#"[{"product_id":3,"quantity":1,"price":-1}]"#, "amount"),
            (r#"[{"product_id":3,"quantity":1,"price":"NaN"}]"#, "amount"),
            (r#"[{"product_id":3,"quantity":1,"price":1e400}]"#, ""),
            (
                r#"[{"product_id":3,"quantity":1,"price":1.2345}]"#,
                "amount",
            ),
            (r#"[{"product_id":3,"quantity":0,"price":1}]"#, "quantity 0"),
            (r#"[{"product_id":3,"quantity":-2,"price":1}]"#, "negative"),
            (
                r#"[{"product_id":-3,"quantity":1,"price":1}]"#,
                "negative id",
            ),
            (
                r#"[{"product_id":3,"quantity":null,"price":1}]"#,
                "without quantity",
            ),
            (r#"[{"quantity":1,"price":1}]"#, "product_id"),
            (r#"[{"product_id":3,"quantity":1}]"#, "price"),
            (
                r#"[{"product_id":3,"quantity":1,"price":null}]"#,
                "without price",
            ),
            (
                r#"[{"product_id":3,"quantity":1,"price":1,"price":2}]"#,
                "duplicate",
            ),
            (r#"[1,2]"#, ""),
            (r#"{"product_id":3}"#, "order lines"),
            (r#""many""#, "order lines"),
        ] {
            let e = parse(record(items).as_bytes()).unwrap_err();
            assert_eq!(e.code(), "bad_json", "{items:.60}");
            assert!(e.to_string().contains(says), "{items:.60}: {e}");
        }
    }
}
