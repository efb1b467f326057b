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
