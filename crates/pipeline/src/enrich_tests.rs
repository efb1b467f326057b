use super::*;
use crate::event::EventType;
use csgen_model::{Encoder, Format, Generator};
use proptest::prelude::*;

fn enricher() -> Enricher {
    Enricher::new(&StoreConfig::defaults(), &EnrichOptions::default())
}

#[test]
fn enriches_what_csgen_generates() {
    let config = StoreConfig::defaults();
    let g = Generator::new(&config, 42);
    let mut enc = Encoder::new(Format::Json, &config.store_url);
    let mut e = enricher();
    for seq in 0..200 {
        let click = g.click(seq, 1_795_418_780_000 + seq as i64 * 1000);
        let mut line = Vec::new();
        enc.encode(&click, &mut line);
        let ev = e.enrich(&line, Position::default()).unwrap();
        assert_eq!(ev.event_id, click.event_id().to_string());
        assert_eq!(ev.event_time_ms, click.ts_ms);
        assert_eq!(ev.user_id as u64, click.user_id);
        assert_eq!(ev.group_id, Some(click.group_id as i32));
        assert_eq!(ev.product_id.map(|p| p as u64), click.product_id);
        let want = if click.product_id.is_some() {
            EventType::ProductView
        } else {
            EventType::GroupView
        };
        assert_eq!(ev.event_type, want);
        let name = &config.groups[click.group_id as usize - 1].name;
        assert_eq!(ev.group_name, Some(name.as_str()));
        assert!(matches!(ev.session_id, SessionId::Derived { .. }));
    }
}

#[test]
fn a_full_collector_record_becomes_a_snapshotted_event() {
    let mut e = enricher();
    let line = br#"{"event_id":"0b4c8f9e-0000-8000-8000-000000000001","ts":"2026-11-23T07:26:20.123Z","url":"https://webstore.demo.com/api/group/2/product/17/cart?userid=5","user_id":5,"session_id":"s-9","user_agent":"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0","referrer":"https://search.example/?q=dvd","ip":"192.0.2.1"}"#;
    let ev = e.enrich(line, Position::default()).unwrap();
    insta::assert_debug_snapshot!(ev);
}

#[test]
fn bare_urls_get_arrival_time_and_a_stable_derived_id() {
    let mut e = enricher();
    let line = b"https://webstore.demo.com/api/group/1?userid=9";
    let pos = Position {
        line: 3,
        offset: 120,
        arrival_ms: 1_700_000_000_000,
    };
    let a = e.enrich(line, pos).unwrap();
    assert_eq!(a.event_time_ms, pos.arrival_ms);
    assert_eq!(a.user_id, 9);
    assert_eq!(a.group_name, Some("Books"));
    let a_id = a.event_id.into_owned();
    let b = e.enrich(line, pos).unwrap();
    assert_eq!(a_id, b.event_id, "same record, same position, same id");
    let c = e.enrich(line, Position { offset: 167, ..pos }).unwrap();
    assert_ne!(a_id, c.event_id, "a repeated line is another event");
}

#[test]
fn sessions_come_from_the_gap_when_the_record_has_none() {
    let mut e = enricher();
    let rec = |ts: &str| format!(r#"{{"ts":"{ts}","url":"/api/group/1?userid=4"}}"#);
    let s1 = e
        .enrich(rec("2026-01-01T10:00:00Z").as_bytes(), Position::default())
        .unwrap()
        .session_id
        .to_string();
    let s2 = e
        .enrich(rec("2026-01-01T10:29:00Z").as_bytes(), Position::default())
        .unwrap()
        .session_id
        .to_string();
    let s3 = e
        .enrich(rec("2026-01-01T11:00:00Z").as_bytes(), Position::default())
        .unwrap()
        .session_id
        .to_string();
    assert_eq!(s1, s2);
    assert_ne!(s2, s3);
    assert_eq!(s1, "4-1767261600000");
}

#[test]
fn bad_records_are_rejected_with_a_reason() {
    let mut e = enricher();
    for (line, code) in [
        (&br#"{"url":"/api/group/1"}"#[..], "missing_field"),
        (
            br#"{"url":"/api/group/1?userid=2","user_id":3}"#,
            "bad_value",
        ),
        (
            br#"{"url":"/api/group/1?userid=2","ts":"nope"}"#,
            "bad_time",
        ),
        (br#"{"url":"/api/group/1?userid=2","ts":-5}"#, "bad_time"),
        (
            br#"{"url":"/api/group/1?userid=2","event_id":""}"#,
            "bad_value",
        ),
        (b"https://x/api/nothing?userid=1", "unknown_path"),
        (b"{not json", "bad_json"),
    ] {
        let err = e
            .enrich(
                line,
                Position {
                    arrival_ms: 1,
                    ..Position::default()
                },
            )
            .unwrap_err();
        assert_eq!(err.code(), code, "{}: {err}", String::from_utf8_lossy(line));
    }
}

#[test]
fn unknown_groups_keep_the_event_without_a_name() {
    let mut e = enricher();
    let ev = e
        .enrich(b"/api/group/77?userid=1", Position::default())
        .unwrap();
    assert_eq!((ev.group_id, ev.group_name), (Some(77), None));
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut e = enricher();
        let _ = e.enrich(&bytes, Position::default());
    }

    #[test]
    fn never_panics_on_url_like_text(s in "(https?://[a-z.]{0,10})?(/[a-z0-9]{0,8}){0,6}(\\?[a-z]{0,8}=[0-9a-z-]{0,21}(&[a-z]{0,8}=[0-9]{0,21}){0,3})?") {
        let mut e = enricher();
        let _ = e.enrich(s.as_bytes(), Position::default());
        let json = serde_json::json!({"url": s, "ts": "2026-01-01T00:00:00Z", "user_id": 1}).to_string();
        let _ = e.enrich(json.as_bytes(), Position::default());
    }
}

/// The JSON records of an evening hour (Monday 2026-11-02, 19:00 UTC) of the realistic
/// model at 20,000 sessions a day, with `toml`'s settings beside, and seed `seed`; the
/// raw scanner's tests read them too.
pub(crate) fn realistic_hour(toml: &str, seed: u64) -> (csgen_model::RealisticConfig, Vec<u8>) {
    use csgen_model::{Batch, EventEncoder, EventStream, RealisticConfig, RealisticModel};
    let config = RealisticConfig::from_toml(&format!("[store]\nsessions_per_day = 20000\n{toml}"))
        .expect("valid config");
    let model = RealisticModel::new(&config, seed);
    let from = 1_793_577_600_000 + 19 * 3_600_000;
    let mut stream = EventStream::new(&model, csgen_model::Shard::ALL, from);
    let mut events = Vec::new();
    stream.fill_until(from + 3_600_000, &mut events);
    let mut encoder = EventEncoder::new(Format::Json, &model);
    let mut batch = Batch::default();
    for ev in &events {
        encoder.push(&model, ev, &mut batch);
    }
    (config, std::mem::take(&mut batch.data))
}

/// The realistic model's cart row with removals on (0 in the default funnel).
const REMOVALS: &str = "[funnel.cart]\ngroup_list = 0.10\nproduct = 0.15\ncheckout = 0.40\nremove_from_cart = 0.05\nexit = 0.30\n";

/// Regression: the model's `…/remove-from-cart` records were dead-lettered as unknown
/// paths. Every record of an evening hour enriches, to the model's event type, with
/// the record's country, OS, campaign, order and exact amounts.
#[test]
fn every_realistic_record_enriches_with_its_type_and_details() {
    let (config, records) = realistic_hour(REMOVALS, 3);
    let mut e = Enricher::new(&config.store, &EnrichOptions::default());
    let mut types = std::collections::BTreeSet::new();
    let (mut campaigns, mut orders) = (0, 0);
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    let money = |v: &serde_json::Value| {
        (!v.is_null()).then(|| crate::money::Money::parse(&v.to_string()).expect("an amount"))
    };
    for line in records.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let json: serde_json::Value = serde_json::from_slice(line).expect("JSON");
        let ev = e
            .enrich(line, Position::default())
            .unwrap_or_else(|r| panic!("{r}: {}", String::from_utf8_lossy(line)));
        assert_eq!(ev.event_type.as_str(), json["event_type"], "{json}");
        types.insert(ev.event_type);
        let d = &ev.details;
        assert_eq!(
            d.country.as_deref().map(str::to_owned),
            text(&json["country"])
        );
        assert_eq!(d.os.as_deref().map(str::to_owned), text(&json["os"]));
        assert_eq!(
            d.utm_source.as_deref().map(str::to_owned),
            text(&json["utm_source"])
        );
        assert_eq!(
            d.utm_medium.as_deref().map(str::to_owned),
            text(&json["utm_medium"])
        );
        assert_eq!(
            d.utm_campaign.as_deref().map(str::to_owned),
            text(&json["utm_campaign"])
        );
        assert_eq!(
            d.order_id.as_deref().map(str::to_owned),
            text(&json["order_id"])
        );
        assert_eq!(
            d.currency.as_deref().map(str::to_owned),
            text(&json["currency"])
        );
        assert_eq!(d.quantity.map(i64::from), json["quantity"].as_i64());
        assert_eq!(d.price, money(&json["price"]));
        assert_eq!(d.revenue, money(&json["revenue"]));
        campaigns += usize::from(d.utm_campaign.is_some());
        orders += usize::from(d.order_id.is_some());
    }
    let all: std::collections::BTreeSet<_> = EventType::ALL.into_iter().collect();
    assert_eq!(
        types, all,
        "an hour of 20,000 sessions a day has every type"
    );
    assert!(
        campaigns > 0 && orders > 0,
        "{campaigns} campaign events, {orders} orders"
    );
}

#[test]
fn bad_currencies_and_amounts_are_dead_letters_naming_the_field() {
    let mut e = enricher();
    for (line, field) in [
        (
            r#"{"url":"/api/purchase?userid=1","revenue":1.5,"currency":"usd"}"#,
            "currency",
        ),
        (
            r#"{"url":"/api/purchase?userid=1","revenue":1.5,"currency":"DOLLARS"}"#,
            "currency",
        ),
        (
            r#"{"url":"/api/purchase?userid=1","revenue":1.505,"currency":"USD"}"#,
            "revenue",
        ),
        (
            r#"{"url":"/api/group/1/product/2/add-to-cart?userid=1","price":19.5,"currency":"JPY"}"#,
            "price",
        ),
        (
            r#"{"url":"/api/purchase?userid=1","items":[{"product_id":2,"price":1.005}],"currency":"USD"}"#,
            "items",
        ),
    ] {
        let err = e.enrich(line.as_bytes(), Position::default()).unwrap_err();
        assert_eq!(err.code(), "bad_value", "{line}");
        assert!(err.to_string().contains(field), "{line}: {err}");
    }
    let ok = e
        .enrich(
            br#"{"url":"/api/purchase?userid=1","revenue":1.505,"currency":"KWD"}"#,
            Position::default(),
        )
        .unwrap();
    assert_eq!(ok.details.revenue, Some(crate::money::Money(1_505)));
    // Order lines reach the event as they were sent.
    let ok = e
        .enrich(
            br#"{"url":"/api/purchase?userid=1","items":[{"product_id":2,"quantity":3,"price":1.5}],"revenue":4.5,"currency":"USD"}"#,
            Position::default(),
        )
        .unwrap();
    let line = crate::raw::RawItem {
        product_id: 2,
        quantity: 3,
        price: crate::money::Money(1_500),
    };
    assert_eq!(ok.details.items, Some(vec![line]));
}
