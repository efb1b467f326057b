//! The `kafka:` sink's options: every one parses and prints back, hostile values are
//! errors naming the option, and the producer properties follow the options.

use super::*;

fn click(user_id: u64, session: Option<u64>) -> Click {
    Click {
        seq: 7,
        ts_ms: 1_700_000_000_000,
        user_id,
        group_id: 2,
        product_id: None,
        run_key: 0xfeed,
        session,
    }
}

#[test]
fn parses_every_option_and_prints_it_back() {
    let spec = "key=field:group_id&acks=1&idempotence=false&compression=zstd&linger=20ms\
                &batch-records=500&batch-bytes=65536&max-in-flight=20&buffer-records=5000\
                &client-id=gen-7&flush-timeout=5s";
    let o = KafkaOptions::parse(spec).unwrap();
    assert_eq!(o.key, MessageKey::Field(ClickField::GroupId));
    assert_eq!(o.acks, Acks::Leader);
    assert!(!o.idempotence);
    assert_eq!(o.compression, Compression::Zstd);
    assert_eq!(o.linger, Duration::from_millis(20));
    assert_eq!(o.batch_records.get(), 500);
    assert_eq!(o.batch_bytes.get(), 65536);
    assert_eq!(o.max_in_flight.get(), 20);
    assert_eq!(o.buffer_records.get(), 5000);
    assert_eq!(o.client_id, "gen-7");
    assert_eq!(o.flush_timeout, Some(Duration::from_secs(5)));
    assert_eq!(
        o.flush_timeout(Some(Duration::from_secs(9))),
        Duration::from_secs(5)
    );
    let d = KafkaOptions::default();
    assert_eq!(
        d.flush_timeout(Some(Duration::from_secs(9))),
        Duration::from_secs(9)
    );
    assert_eq!(d.flush_timeout(None), DEFAULT_FLUSH_TIMEOUT);
    assert_eq!(o.to_string(), format!("?{spec}"));
    let d = KafkaOptions::parse("").unwrap();
    assert_eq!((d.to_string(), d), (String::new(), KafkaOptions::default()));
    for key in ["random", "user", "session", "field:event_id"] {
        let o = KafkaOptions::parse(&format!("key={key}")).unwrap();
        let printed = if key == "random" {
            String::new()
        } else {
            format!("?key={key}")
        };
        assert_eq!(o.to_string(), printed);
    }
}

#[test]
fn hostile_values_are_errors_naming_the_option() {
    for (query, want) in [
        (
            "key=colour",
            "key=\"colour\": expected random, user, session or field:NAME",
        ),
        ("key=field:price", "key=\"field:price\""),
        ("acks=2", "acks=\"2\": expected one of all, 1, 0"),
        ("acks=-1", "acks=\"-1\""),
        (
            "idempotence=yes",
            "idempotence=\"yes\": expected one of true, false",
        ),
        (
            "compression=lzma",
            "compression=\"lzma\": expected one of none, gzip, snappy, lz4, zstd",
        ),
        (
            "linger=61s",
            "linger: \"61s\" is out of range: expected 0s to 1m",
        ),
        ("linger=NaNms", "linger: \"NaNms\" is not a duration"),
        ("linger=-5ms", "linger: \"-5ms\" is not a duration"),
        (
            "batch-records=0",
            "batch-records=\"0\": expected a number from 1 to 1000000",
        ),
        ("batch-records=1e3", "batch-records=\"1e3\""),
        ("batch-bytes=100000001", "batch-bytes=\"100000001\""),
        ("max-in-flight=0", "max-in-flight=\"0\""),
        (
            "buffer-records=99999999999999999999999",
            "buffer-records=\"99999999999999999999999\"",
        ),
        (
            "client-id=",
            "client-id=\"\": expected 1 to 255 printable ASCII characters",
        ),
        ("client-id=a b", "client-id=\"a b\""),
        ("client-id=ü", "client-id=\"ü\""),
        ("flush-timeout=2d", "flush-timeout: \"2d\" is out of range"),
        ("acks=1", "acks=1 needs idempotence=false"),
        ("acks=0&idempotence=true", "acks=0 needs idempotence=false"),
        ("max-in-flight=6", "max-in-flight=6 needs idempotence=false"),
        ("key=user&key=session", "option \"key\" is given twice"),
        (
            "partition-key=user",
            "unknown option \"partition-key\"; expected one of: key, acks",
        ),
        ("linger", "option \"linger\" needs a value"),
    ] {
        let e = KafkaOptions::parse(query).unwrap_err();
        assert!(e.contains(want), "{query}: {e}");
    }
    let long = format!("client-id={}", "x".repeat(256));
    assert!(
        KafkaOptions::parse(&long)
            .unwrap_err()
            .contains("client-id=")
    );
}

#[test]
fn the_producer_properties_follow_the_options() {
    let o = KafkaOptions::parse("linger=500us&compression=lz4&max-in-flight=1").unwrap();
    let settings = o.settings("b1:9092,b2:9092".into());
    let value = |key: &str| {
        settings
            .iter()
            .find(|s| s.key == key)
            .and_then(|s| s.value.clone())
    };
    assert_eq!(
        value("bootstrap.servers").as_deref(),
        Some("b1:9092,b2:9092")
    );
    assert_eq!(value("linger.ms").as_deref(), Some("0.5"));
    assert_eq!(value("compression.type").as_deref(), Some("lz4"));
    assert_eq!(value("acks").as_deref(), Some("all"));
    assert_eq!(value("enable.idempotence").as_deref(), Some("true"));
    assert_eq!(
        value("max.in.flight.requests.per.connection").as_deref(),
        Some("1")
    );
    assert_eq!(value("client.id").as_deref(), Some("csgen"));
    // Aliases and what csgen's accounting needs are owned without a value.
    for key in [
        "queue.buffering.max.ms",
        "delivery.report.only.error",
        "metadata.broker.list",
    ] {
        let s = settings.iter().find(|s| s.key == key).unwrap();
        assert_eq!(s.value, None, "{key}");
    }
}

#[test]
fn keys_follow_the_choice_and_a_classic_session_is_its_user() {
    let mut out = String::new();
    assert!(!MessageKey::Random.write(&click(77, None), &mut out));
    assert!(MessageKey::User.write(&click(77, None), &mut out));
    assert_eq!(out, "77");
    let realistic = click(77, Some(0x1234_5678));
    assert!(MessageKey::Session.write(&realistic, &mut out));
    assert_eq!(out, realistic.session_id().unwrap().to_string());
    assert!(MessageKey::Session.write(&click(77, None), &mut out));
    assert_eq!(out, "77");
    assert!(MessageKey::Field(ClickField::GroupId).write(&click(77, None), &mut out));
    assert_eq!(out, "2");
}
