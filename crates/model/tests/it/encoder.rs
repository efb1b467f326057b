//! The record encoder: JSON that `serde_json` reads back, the exact URL shapes of the
//! original (DESIGN.md section 2), and timestamps that never panic.

use csgen_model::record::click_url;
use csgen_model::{Click, Encoder, Format, Generator, Schedule, Shard, StoreConfig, produce};
use proptest::prelude::*;

const STORE: &str = "https://webstore.demo.com";

fn click(group_id: u32, product_id: Option<u64>, user_id: u64, ts_ms: i64) -> Click {
    Click {
        seq: 5,
        ts_ms,
        user_id,
        group_id,
        product_id,
        run_key: 0x0123_4567_89ab_cdef,
        session: None,
    }
}

fn encode(encoder: &mut Encoder, click: &Click) -> String {
    let mut out = Vec::new();
    encoder.encode(click, &mut out);
    String::from_utf8(out).expect("records are UTF-8")
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`: RFC 3339, UTC, exactly three fractional digits.
fn assert_ts_shape(ts: &str) {
    let b = ts.as_bytes();
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];
    assert_eq!(b.len(), 24, "{ts}");
    assert!(digits.iter().all(|&i| b[i].is_ascii_digit()), "{ts}");
    for (i, c) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (23, b'Z'),
    ] {
        assert_eq!(b[i], c, "{ts}");
    }
}

fn json_ts(encoder: &mut Encoder, ts_ms: i64) -> String {
    let record = encode(encoder, &click(1, None, 1, ts_ms));
    let v: serde_json::Value = serde_json::from_str(&record).expect("valid JSON");
    v["ts"].as_str().expect("ts is a string").to_owned()
}

#[test]
fn every_json_record_has_the_raw_click_fields() {
    let config = StoreConfig::defaults();
    let generator = Generator::new(&config, 42);
    let schedule = Schedule::new(0, 1_795_000_000_123, 777.0);
    let mut encoder = Encoder::new(Format::Json, &config.store_url);
    let batch = produce(&generator, &mut encoder, &schedule, Shard::ALL, 0, 5_000);
    for (click, record) in batch.clicks.iter().zip(batch.records()) {
        let v: serde_json::Value = serde_json::from_slice(record).expect("valid JSON");
        let obj = v.as_object().expect("an object");
        for key in ["event_id", "ts", "url", "user_id"] {
            assert!(obj.contains_key(key), "{key} missing in {v}");
        }
        let id = uuid::Uuid::parse_str(obj["event_id"].as_str().unwrap()).expect("a UUID");
        assert_eq!(id, click.event_id());
        assert_eq!(id.get_version_num(), 8);
        let ts = obj["ts"].as_str().unwrap();
        assert_ts_shape(ts);
        let parsed = chrono::DateTime::parse_from_rfc3339(ts).expect("RFC 3339");
        assert_eq!(parsed.timestamp_millis(), click.ts_ms, "{ts}");
        assert_eq!(obj["url"], click_url(&config.store_url, click));
        assert_eq!(obj["user_id"].as_u64(), Some(click.user_id));
    }
}

#[test]
fn url_format_is_the_originals_payload() {
    let mut e = Encoder::new(Format::Url, STORE);
    assert_eq!(
        encode(&mut e, &click(2, None, 77, 0)),
        "https://webstore.demo.com/api/group/2?userid=77"
    );
    assert_eq!(
        encode(&mut e, &click(1, Some(2042), 5, 0)),
        "https://webstore.demo.com/api/group/1/product/2042?userid=5"
    );
    assert_eq!(
        encode(&mut e, &click(u32::MAX, Some(u64::MAX), 0, 0)),
        "https://webstore.demo.com/api/group/4294967295/product/18446744073709551615?userid=0"
    );
}

#[test]
fn url_object_format_is_the_originals_kinesis_payload() {
    let mut e = Encoder::new(Format::UrlObject, STORE);
    assert_eq!(
        encode(&mut e, &click(2, None, 77, 0)),
        r#"{"url":"https://webstore.demo.com/api/group/2?userid=77"}"#
    );
    assert_eq!(
        encode(&mut e, &click(1, Some(2042), 5, 0)),
        r#"{"url":"https://webstore.demo.com/api/group/1/product/2042?userid=5"}"#
    );
}

#[test]
fn json_format_field_order_and_values() {
    let mut e = Encoder::new(Format::Json, STORE);
    let c = click(1, Some(2042), 5, 1_795_000_000_007);
    assert_eq!(
        encode(&mut e, &c),
        format!(
            r#"{{"event_id":"{}","ts":"2026-11-18T11:06:40.007Z","url":"https://webstore.demo.com/api/group/1/product/2042?userid=5","user_id":5}}"#,
            c.event_id()
        )
    );
}

#[test]
fn format_names_round_trip() {
    for name in Format::NAMES {
        let f: Format = name.parse().unwrap();
        assert_eq!(f.to_string(), name);
    }
    let err = "xml".parse::<Format>().unwrap_err();
    assert!(err.contains("xml") && err.contains("url-object"), "{err}");
}

#[test]
fn timestamps_at_the_edges() {
    let mut e = Encoder::new(Format::Json, STORE);
    for (ms, want) in [
        (0, "1970-01-01T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (-1000, "1969-12-31T23:59:59.000Z"),
        (-1001, "1969-12-31T23:59:58.999Z"),
        (999, "1970-01-01T00:00:00.999Z"),
        (-86_400_000 * 365, "1969-01-01T00:00:00.000Z"),
        (-62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
        (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
    ] {
        assert_eq!(json_ts(&mut e, ms), want, "{ms}");
    }
}

/// Times outside years 0000..=9999 cannot be written in RFC 3339; they are clamped
/// to the nearest representable instant (keeping the order of events) and never
/// panic.
#[test]
fn timestamps_beyond_rfc_3339_are_clamped_not_panics() {
    let mut e = Encoder::new(Format::Json, STORE);
    for ms in [
        i64::MIN,
        i64::MIN + 1,
        -62_167_219_200_001,
        -8_000_000_000_000_000,
    ] {
        assert_eq!(json_ts(&mut e, ms), "0000-01-01T00:00:00.000Z", "{ms}");
    }
    for ms in [i64::MAX, 253_402_300_800_000, 8_000_000_000_000_000] {
        assert_eq!(json_ts(&mut e, ms), "9999-12-31T23:59:59.999Z", "{ms}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn event_ids_are_written_as_uuid_writes_them(
        keys in prop::collection::vec(any::<u64>(), 1..4),
        seqs in prop::collection::vec(any::<u64>(), 1..4),
    ) {
        // One encoder across run keys and sequence numbers, as a long-lived sink has.
        let mut e = Encoder::new(Format::Json, STORE);
        for &run_key in &keys {
            for &seq in &seqs {
                let c = Click { run_key, seq, ..click(1, None, 1, 0) };
                let v: serde_json::Value = serde_json::from_str(&encode(&mut e, &c)).unwrap();
                let want = csgen_model::click::event_id(run_key, seq).hyphenated().to_string();
                prop_assert_eq!(v["event_id"].as_str(), Some(want.as_str()));
            }
        }
    }

    #[test]
    fn any_time_encodes_to_a_well_formed_timestamp(ms in any::<i64>(), near in -10_000i64..10_000) {
        let mut e = Encoder::new(Format::Json, STORE);
        // A second time close to the first exercises the per-second cache.
        for t in [ms, ms.saturating_add(near)] {
            let ts = json_ts(&mut e, t);
            assert_ts_shape(&ts);
            if (-62_167_219_200_000..=253_402_300_799_999).contains(&t) {
                let parsed = chrono::DateTime::parse_from_rfc3339(&ts).unwrap();
                prop_assert_eq!(parsed.timestamp_millis(), t);
            }
        }
    }

    #[test]
    fn any_store_url_gives_valid_json_with_the_click_url(
        store in r#"(https?://)?[a-z0-9"\\/:?&=%é€😀\u{0}-\u{1f}\u{7f}\u{2028}]{0,40}"#,
        group in prop_oneof![1u32..100, any::<u32>()],
        product in proptest::option::of(prop_oneof![0u64..1000, any::<u64>()]),
        user in prop_oneof![0u64..1000, any::<u64>()],
    ) {
        let c = click(group, product, user, 1_795_000_000_000);
        let want = match product {
            Some(p) => format!("{store}/api/group/{group}/product/{p}?userid={user}"),
            None => format!("{store}/api/group/{group}?userid={user}"),
        };
        prop_assert_eq!(click_url(&store, &c), want.as_str());
        let mut json = Encoder::new(Format::Json, &store);
        let v: serde_json::Value = serde_json::from_str(&encode(&mut json, &c)).unwrap();
        prop_assert_eq!(v["url"].as_str(), Some(want.as_str()));
        prop_assert_eq!(v["user_id"].as_u64(), Some(user));
        let mut object = Encoder::new(Format::UrlObject, &store);
        let v: serde_json::Value = serde_json::from_str(&encode(&mut object, &c)).unwrap();
        prop_assert_eq!(v["url"].as_str(), Some(want.as_str()));
        prop_assert_eq!(v.as_object().map(|o| o.len()), Some(1));
        let mut url = Encoder::new(Format::Url, &store);
        prop_assert_eq!(encode(&mut url, &c), want);
    }
}
