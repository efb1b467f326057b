//! Carts and orders, read back from the emitted JSON alone: every purchase orders
//! exactly what its session added and did not remove, totals are the sums of their
//! items to the cent, and amounts are written as exact decimals.

use std::collections::{HashMap, HashSet};

use csgen_model::Format;
use serde_json::Value;

use super::{HOUR, MONDAY, encode, model, whole};

/// The example's cart row with removals on: 0.05 moved from checkout.
pub const REMOVALS: &str = "[funnel.cart]\ngroup_list = 0.10\nproduct = 0.15\ncheckout = 0.40\nremove_from_cart = 0.05\nexit = 0.30\n";

/// An amount with two decimals (USD) in minor units.
pub fn cents(v: &Value) -> u64 {
    let x = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!(x >= 0.0);
    (x * 100.0).round() as u64
}

/// The JSON number texts that follow `"key":` in a raw record.
fn numbers<'r>(record: &'r str, key: &str) -> Vec<&'r str> {
    let tag = format!("\"{key}\":");
    record
        .match_indices(&tag)
        .map(|(at, _)| {
            let rest = &record[at + tag.len()..];
            let end = rest.find([',', '}', ']']).unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

/// Group and product of a `/api/group/{g}/product/{p}/…` URL.
fn group_and_product(url: &str) -> (u64, u64) {
    let rest = url.split("/api/group/").nth(1).expect("a group URL");
    let mut parts = rest.split(['/', '?']);
    let group = parts.next().unwrap().parse().unwrap();
    assert_eq!(parts.next(), Some("product"));
    (group, parts.next().unwrap().parse().unwrap())
}

#[derive(Debug, Clone, PartialEq)]
struct Line {
    group: u64,
    product: u64,
    quantity: u64,
    price: u64,
}

#[test]
fn every_order_is_what_its_session_added_and_did_not_remove() {
    let m = model(
        &format!("[store]\nsessions_per_day = 60000\n{REMOVALS}"),
        61,
    );
    let events = whole(&m, MONDAY + 17 * HOUR, MONDAY + 23 * HOUR);
    let batch = encode(&m, &events, Format::Json);
    // No faults: records arrive in event order, each session's in index order.
    let mut carts: HashMap<String, Vec<Line>> = HashMap::new();
    let mut order_ids = HashSet::new();
    let (mut orders, mut removals, mut merged, mut multi, mut views) = (0, 0, 0, 0, 0);
    for record in batch.records() {
        let text = std::str::from_utf8(record).unwrap();
        let v: Value = serde_json::from_str(text).unwrap();
        let session = v["session_id"].as_str().unwrap().to_owned();
        let kind = v["event_type"].as_str().unwrap();
        if kind == "landing" {
            carts.insert(session.clone(), Vec::new());
        }
        // Sessions that started before the window have carts we did not see.
        let Some(cart) = carts.get_mut(&session) else {
            continue;
        };
        for key in ["price", "cart_value", "revenue"] {
            for n in numbers(text, key) {
                let (units, cents) = n.split_once('.').unwrap_or((n, ""));
                assert!(
                    !units.is_empty()
                        && units.bytes().all(|b| b.is_ascii_digit())
                        && cents.len() == 2,
                    "{key} {n:?} is not an amount with two decimals in {text}"
                );
            }
        }
        let has_money = v.get("currency").is_some();
        match kind {
            "add_to_cart" => {
                let (group, product) = group_and_product(v["url"].as_str().unwrap());
                let quantity = v["quantity"].as_u64().unwrap();
                let price = cents(&v["price"]);
                assert!(quantity >= 1 && price > 0, "{text}");
                match cart.iter_mut().find(|l| l.product == product) {
                    Some(line) => {
                        assert_eq!(line.price, price, "a product keeps its price");
                        line.quantity += quantity;
                        merged += 1;
                    }
                    None => cart.push(Line {
                        group,
                        product,
                        quantity,
                        price,
                    }),
                }
            }
            "remove_from_cart" => {
                removals += 1;
                let (group, product) = group_and_product(v["url"].as_str().unwrap());
                let at = cart
                    .iter()
                    .position(|l| l.product == product)
                    .unwrap_or_else(|| panic!("removes a product that is not in the cart: {text}"));
                let line = cart.remove(at);
                assert_eq!(line.group, group);
                assert_eq!(
                    v["quantity"].as_u64(),
                    Some(line.quantity),
                    "the whole line"
                );
                assert_eq!(cents(&v["price"]), line.price);
            }
            "cart_view" => {
                views += 1;
                let total: u64 = cart.iter().map(|l| l.quantity * l.price).sum();
                let units: u64 = cart.iter().map(|l| l.quantity).sum();
                assert_eq!(cents(&v["cart_value"]), total, "{text}");
                assert_eq!(v["cart_items"].as_u64(), Some(units), "{text}");
            }
            "purchase" => {
                orders += 1;
                assert!(!cart.is_empty(), "an empty cart never checks out: {text}");
                let id = v["order_id"]
                    .as_str()
                    .expect("every purchase places an order");
                assert!(order_ids.insert(id.to_owned()), "order id {id} twice");
                let items: Vec<Line> = v["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| Line {
                        group: i["group_id"].as_u64().unwrap(),
                        product: i["product_id"].as_u64().unwrap(),
                        quantity: i["quantity"].as_u64().unwrap(),
                        price: cents(&i["price"]),
                    })
                    .collect();
                assert_eq!(&items, cart, "the order is the cart: {text}");
                let sum: u64 = items.iter().map(|l| l.quantity * l.price).sum();
                assert_eq!(cents(&v["revenue"]), sum, "revenue = sum of items: {text}");
                multi += usize::from(items.len() > 1);
                cart.clear();
            }
            _ => assert!(!has_money, "{kind} carries no money: {text}"),
        }
        if has_money {
            assert_eq!(v["currency"], "USD");
        }
    }
    assert!(
        orders > 300 && removals > 50 && views > 1000,
        "{orders} orders, {removals} removals, {views} cart views"
    );
    assert!(
        merged > 0 && multi > 0,
        "{merged} merged adds, {multi} orders of several lines"
    );
}

/// The record of each event type, pinned: the raw-record contract the enrich stage
/// reads (docs/model.md lists the fields).
#[test]
fn the_first_record_of_each_event_type() {
    let m = model(&format!("[faults]\n{REMOVALS}"), 7);
    let events = whole(&m, MONDAY + 19 * HOUR, MONDAY + 20 * HOUR);
    let batch = encode(&m, &events, Format::Json);
    let kinds = [
        "landing",
        "group_view",
        "product_view",
        "add_to_cart",
        "remove_from_cart",
        "cart_view",
        "checkout",
        "purchase",
    ];
    type Wanted = (String, Box<dyn Fn(&Value) -> bool>);
    let mut wanted: Vec<Wanted> = kinds
        .iter()
        .map(|&k| -> Wanted {
            (
                k.to_owned(),
                Box::new(move |v: &Value| v["event_type"] == k),
            )
        })
        .collect();
    wanted.push((
        "purchase of several items".into(),
        Box::new(|v| v["items"].as_array().is_some_and(|i| i.len() > 1)),
    ));
    wanted.push((
        "a later page of a campaign's session".into(),
        Box::new(|v| v["event_type"] != "landing" && v.get("utm_source").is_some()),
    ));
    let mut found = vec![None; wanted.len()];
    for record in batch.records() {
        let v: Value = serde_json::from_slice(record).unwrap();
        for (slot, (_, wants)) in found.iter_mut().zip(&wanted) {
            if slot.is_none() && wants(&v) {
                *slot = Some(String::from_utf8(record.to_vec()).unwrap());
            }
        }
    }
    let text: Vec<String> = wanted
        .iter()
        .zip(found)
        .map(|((name, _), r)| format!("{name}:\n{}", r.unwrap_or_else(|| panic!("no {name}"))))
        .collect();
    insta::assert_snapshot!(text.join("\n\n"));
}
