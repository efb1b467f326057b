//! The manifest describes exactly what was emitted: a recount of the records from
//! their bytes alone must give the same numbers.

use std::collections::{BTreeMap, HashMap, HashSet};

use csgen_model::realistic::{HourTruth, TruthBuilder};
use csgen_model::{Format, Shard};
use serde_json::Value;

use super::{DAY, HOUR, MONDAY, encode, model, whole};

const FAULTY: &str =
    "[faults]\nduplicate = 0.02\nlate = 0.02\nout_of_order = 0.02\nmalformed = 0.03\n";

fn hour_of(ts: &str) -> String {
    ts[..13].to_owned()
}

#[test]
fn manifest_matches_a_recount_of_the_records() {
    let m = model(&format!("{FAULTY}{}", super::orders::REMOVALS), 99);
    let events = whole(&m, MONDAY, MONDAY + DAY);
    let batch = encode(&m, &events, Format::Json);
    let mut builder = TruthBuilder::new(&m, Format::Json, Shard::ALL);
    builder.add_all(&events);
    let manifest = builder.finish();

    let mut hours: BTreeMap<String, HourTruth> = BTreeMap::new();
    let mut users: HashMap<String, HashSet<u64>> = HashMap::new();
    let mut steps: HashMap<(String, String), HashSet<String>> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    let (mut bad_json, mut missing, mut broken, mut dups) = (0u64, 0u64, 0u64, 0u64);
    let mut malformed_ids = Vec::new();
    let mut dup_ids = Vec::new();
    let mut max_ts = String::new();
    let mut behind = Vec::new();
    for record in batch.records() {
        let Ok(v) = serde_json::from_slice::<Value>(record) else {
            // A record cut in half still starts with its id and time.
            let text = std::str::from_utf8(record).unwrap();
            let field = |name: &str, len: usize| {
                let at = text.find(&format!("\"{name}\":\"")).unwrap() + name.len() + 4;
                text[at..at + len].to_owned()
            };
            bad_json += 1;
            let hour = hours.entry(hour_of(&field("ts", 24))).or_default();
            hour.records += 1;
            hour.malformed += 1;
            malformed_ids.push(field("event_id", 36));
            continue;
        };
        let id = v["event_id"].as_str().unwrap().to_owned();
        let ts = v["ts"].as_str().unwrap().to_owned();
        let hour = hours.entry(hour_of(&ts)).or_default();
        hour.records += 1;
        let Some(url) = v["url"].as_str() else {
            missing += 1;
            hour.malformed += 1;
            malformed_ids.push(id);
            continue;
        };
        if url::Url::parse(url).is_err() {
            broken += 1;
            hour.malformed += 1;
            malformed_ids.push(id);
            continue;
        }
        if !seen.insert(id.clone()) {
            dups += 1;
            hour.duplicates += 1;
            dup_ids.push(id);
            continue;
        }
        if ts < max_ts {
            behind.push(id.clone());
        }
        max_ts = max_ts.max(ts.clone());
        hour.events += 1;
        let kind = v["event_type"].as_str().unwrap().to_owned();
        *hour.by_type.entry(kind.clone()).or_default() += 1;
        if let Some(rest) = url.split("/api/group/").nth(1) {
            let g = rest.split(['/', '?']).next().unwrap().to_owned();
            *hour.by_group.entry(g).or_default() += 1;
        }
        match kind.as_str() {
            "landing" => hour.sessions_started += 1,
            "purchase" => {
                hour.purchases += 1;
                let currency = v["currency"].as_str().unwrap().to_owned();
                *hour.orders.entry(currency.clone()).or_default() += 1;
                *hour.revenue.entry(currency).or_default() +=
                    u128::from(super::orders::cents(&v["revenue"]));
            }
            _ => {}
        }
        let user = v["user_id"].as_u64().unwrap();
        if users.entry(hour_of(&ts)).or_default().insert(user) {
            hour.distinct_users += 1;
        }
        let session = v["session_id"].as_str().unwrap().to_owned();
        steps
            .entry((hour_of(&ts), kind))
            .or_default()
            .insert(session);
    }

    assert_eq!(manifest.records as usize, batch.len());
    assert!(
        bad_json > 0 && missing > 0 && broken > 0 && dups > 0,
        "every fault occurs"
    );
    let mf = &manifest.faults;
    assert_eq!(mf.malformed.bad_json, bad_json);
    assert_eq!(mf.malformed.missing_field, missing);
    assert_eq!(mf.malformed.broken_url, broken);
    assert_eq!(mf.duplicate.count, dups);
    dup_ids.sort();
    assert_eq!(mf.duplicate.event_ids, dup_ids);
    for id in &malformed_ids {
        assert!(
            mf.malformed.event_ids.binary_search(id).is_ok(),
            "{id} is labelled malformed"
        );
    }
    // Every record that arrives behind a later event time is a labelled late or
    // out-of-order event (bad JSON records hide their ids, so recount the rest).
    for id in &behind {
        let labelled = mf.late.event_ids.binary_search(id).is_ok()
            || mf.out_of_order.event_ids.binary_search(id).is_ok();
        assert!(labelled, "{id} arrived out of order without a label");
    }
    assert!(
        behind.len() as u64 * 2 > mf.late.count,
        "late events do arrive late"
    );

    assert_eq!(hours.len(), manifest.hours.len());
    for (key, mine) in &hours {
        let theirs = &manifest.hours[key];
        assert_eq!(mine.records, theirs.records, "{key} records");
        assert_eq!(mine.events, theirs.events, "{key} events");
        assert_eq!(mine.by_type, theirs.by_type, "{key} by_type");
        assert_eq!(mine.by_group, theirs.by_group, "{key} by_group");
        assert_eq!(
            mine.sessions_started, theirs.sessions_started,
            "{key} sessions"
        );
        assert_eq!(mine.purchases, theirs.purchases, "{key} purchases");
        assert_eq!(mine.orders, theirs.orders, "{key} orders");
        assert_eq!(mine.revenue, theirs.revenue, "{key} revenue, to the cent");
        assert_eq!(mine.distinct_users, theirs.distinct_users, "{key} users");
        assert_eq!(mine.duplicates, theirs.duplicates, "{key} duplicates");
        assert_eq!(mine.malformed, theirs.malformed, "{key} malformed");
        for (kind, count) in [
            ("landing", theirs.funnel.landing),
            ("group_view", theirs.funnel.group_view),
            ("product_view", theirs.funnel.product_view),
            ("add_to_cart", theirs.funnel.add_to_cart),
            ("cart_view", theirs.funnel.cart_view),
            ("checkout", theirs.funnel.checkout),
            ("purchase", theirs.funnel.purchase),
            ("remove_from_cart", theirs.funnel.remove_from_cart),
        ] {
            let mine = steps
                .get(&(key.clone(), kind.to_owned()))
                .map_or(0, HashSet::len);
            assert_eq!(mine as u64, count, "{key} funnel {kind}");
        }
    }
    let malformed_in_hours: u64 = manifest.hours.values().map(|h| h.malformed).sum();
    assert_eq!(malformed_in_hours, mf.malformed.count);
    assert_eq!(
        manifest.events + mf.duplicate.count + mf.malformed.count,
        manifest.records
    );
    let revenue: u128 = manifest
        .hours
        .values()
        .filter_map(|h| h.revenue.get("USD"))
        .sum();
    assert!(revenue > 100_000, "{revenue} cents of orders");
    assert!(
        manifest
            .hours
            .values()
            .any(|h| h.funnel.remove_from_cart > 0)
    );

    let json = manifest.to_json();
    assert_eq!(
        csgen_model::Manifest::from_json(&json).unwrap(),
        manifest,
        "round trip"
    );
}

#[test]
fn url_format_shows_every_malformed_record_as_a_broken_url() {
    let m = model("[faults]\nmalformed = 0.05\n", 4);
    let events = whole(&m, MONDAY + 19 * HOUR, MONDAY + 20 * HOUR);
    let batch = encode(&m, &events, Format::Url);
    let broken = batch
        .records()
        .filter(|r| url::Url::parse(std::str::from_utf8(r).unwrap()).is_err())
        .count() as u64;
    let mut t = TruthBuilder::new(&m, Format::Url, Shard::ALL);
    t.add_all(&events);
    let manifest = t.finish();
    assert!(broken > 0);
    assert_eq!(manifest.faults.malformed.broken_url, broken);
    assert_eq!(manifest.faults.malformed.count, broken);
}

#[test]
fn an_older_manifest_without_orders_still_reads() {
    let m = model("", 3);
    let mut t = TruthBuilder::new(&m, Format::Json, Shard::ALL);
    t.add_all(&whole(&m, MONDAY + 19 * HOUR, MONDAY + 20 * HOUR));
    let manifest = t.finish();
    let mut json: Value = serde_json::from_str(&manifest.to_json()).unwrap();
    for hour in json["hours"].as_object_mut().unwrap().values_mut() {
        let hour = hour.as_object_mut().unwrap();
        hour.remove("orders");
        hour.remove("revenue");
        hour["funnel"]
            .as_object_mut()
            .unwrap()
            .remove("remove_from_cart");
    }
    let old = csgen_model::Manifest::from_json(&json.to_string()).expect("still reads");
    assert_eq!(old.events, manifest.events);
    assert!(
        old.hours
            .values()
            .all(|h| h.orders.is_empty() && h.revenue.is_empty())
    );
}
