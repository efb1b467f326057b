//! The sink registry: every form parses, prints back as written, and is in the help;
//! parse errors reach the user as the endpoint wrote them.

use super::*;

#[test]
fn every_registered_form_parses_prints_back_and_is_in_the_help() {
    let cases = [
        ("stdout", "stdout"),
        ("-", "stdout"),
        ("file:/tmp/a b.jsonl", "file:/tmp/a b.jsonl"),
        ("kinesis:clicks", "kinesis:clicks"),
        ("kinesis", "kinesis:"),
        ("kinesis:?partition-key=user", "kinesis:?partition-key=user"),
        (
            "kinesis:clicks?partition-key=field:user_id&linger=200ms&max-in-flight=8&batch-records=100&buffer-records=2000&flush-timeout=5s",
            "kinesis:clicks?partition-key=field:user_id&linger=200ms&max-in-flight=8&batch-records=100&buffer-records=2000&flush-timeout=5s",
        ),
        ("kinesis:clicks?linger-ms=50", "kinesis:clicks?linger=50ms"),
        ("firehose:lake", "firehose:lake"),
        ("firehose:lake?linger=1s", "firehose:lake?linger=1s"),
        ("kafka:127.0.0.1:9092/clicks", "kafka:127.0.0.1:9092/clicks"),
        (
            "kafka:b1:9092,b2:9092/clicks?key=user",
            "kafka:b1:9092,b2:9092/clicks?key=user",
        ),
        (
            "kafka:[::1]:9092/c.v2?key=session&compression=zstd&linger=20ms&batch-records=500&batch-bytes=65536&max-in-flight=1&buffer-records=5000&client-id=gen-1&flush-timeout=5s",
            "kafka:[::1]:9092/c.v2?key=session&compression=zstd&linger=20ms&batch-records=500&batch-bytes=65536&max-in-flight=1&buffer-records=5000&client-id=gen-1&flush-timeout=5s",
        ),
        (
            "kafka:b:1/t?idempotence=false&acks=1&key=field:group_id",
            "kafka:b:1/t?key=field:group_id&acks=1&idempotence=false",
        ),
        ("kafka:b:1/t?linger=5ms&key=random", "kafka:b:1/t"),
        (
            "http:http://127.0.0.1:8080/collect",
            "http:http://127.0.0.1:8080/collect",
        ),
        (
            "http:https://c.example/v1/batch?format=json-array&gzip=true&batch-records=100&linger=50ms&timeout=2s&query=writeKey%3Dabc&header.X-Source=csgen&header-env.Authorization=COLLECTOR_TOKEN&headers-file=/run/h",
            "http:https://c.example/v1/batch?format=json-array&gzip=true&batch-records=100&linger=50ms&timeout=2s&query=writeKey%3Dabc&header.X-Source=csgen&header-env.Authorization=COLLECTOR_TOKEN&headers-file=/run/h",
        ),
        ("http:http://h/c?linger=200ms", "http:http://h/c"),
        ("browse", "browse:"),
        ("browse:", "browse:"),
        (
            "browse:http://127.0.0.1:8080",
            "browse:http://127.0.0.1:8080",
        ),
        (
            "browse:http://127.0.0.1:8080/shop?connections=64&follow-redirects=true&ok-status=2xx&session=header",
            "browse:http://127.0.0.1:8080/shop?connections=64&follow-redirects=true&ok-status=2xx&session=header",
        ),
        ("browse:?timeout=1s", "browse:?timeout=1s"),
        ("lake:./lake", "lake:./lake"),
        ("lake:s3://bucket/pre/fix", "lake:s3://bucket/pre/fix"),
        (
            "lake:/data/lake?max-age=10s&max-buffer-mib=16&compression=snappy",
            "lake:/data/lake?max-age=10s&max-buffer-mib=16&compression=snappy",
        ),
        // max-partitions was read but not printed back.
        (
            "lake:./l?max-partitions=64&flush-behind=true",
            "lake:./l?max-partitions=64&flush-behind=true",
        ),
        ("lake:./l?flush-behind=false", "lake:./l"),
    ];
    for (spec, printed) in cases {
        let parsed: SinkSpec = spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(parsed.to_string(), printed, "{spec}");
        assert_eq!(printed.parse::<SinkSpec>().unwrap(), parsed, "{printed}");
    }
    let help = SinkSpec::help();
    for entry in SINKS {
        assert!(
            help.contains(entry.form.form),
            "{} missing in:\n{help}",
            entry.form.form
        );
        assert!(help.contains(entry.form.about));
    }
}

#[test]
fn the_precise_parse_error_reaches_the_user() {
    // The first release said `unknown sink "kinesis:x?linger-ms=999999"` here.
    let e = "kinesis:x?linger-ms=999999"
        .parse::<SinkSpec>()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "sink \"kinesis:x?linger-ms=999999\": linger-ms=\"999999\": expected a number from 0 to 60000"
    );
    for (bad, want) in [
        ("kinesis:clicks?speed=9", "unknown option \"speed\""),
        ("file:", "no file name"),
        ("stdout:x", "stdout takes no name or options"),
        (
            "lake:",
            "lake \"\": expected a folder or s3://BUCKET/PREFIX",
        ),
        ("lake:gs://b/x", "expected a folder or s3://BUCKET/PREFIX"),
        ("lake:./l?max-buffer-mib=0", "max-buffer-mib=\"0\""),
        ("lake:./l?max-age=0s", "max-age: \"0s\" is out of range"),
        (
            "lake:./l?flush-behind=yes",
            "flush-behind=\"yes\": expected one of true, false",
        ),
        (
            "lake:./l?compression=lzma",
            "compression=\"lzma\": expected one of zstd, snappy, none",
        ),
        ("firehose:?linger=1s", "stream name \"\""),
        ("kafka:", "expected BROKERS/TOPIC"),
        ("kafka", "expected BROKERS/TOPIC"),
        ("kafka:clicks", "expected BROKERS/TOPIC"),
        ("kafka:b:99999/t", "broker \"b:99999\": the port must be"),
        ("kafka:b:1/a b", "topic \"a b\""),
        ("kafka:b:1/t?acks=1", "acks=1 needs idempotence=false"),
        (
            "kafka:b:1/t?partition-key=user",
            "unknown option \"partition-key\"",
        ),
        ("kafka:b:1/t?key=colour", "key=\"colour\""),
        ("http:", "no URL"),
        ("http:?gzip=true", "no URL"),
        ("http:127.0.0.1:8080", "expected http://HOST"),
        (
            "http:http://h/c?header.Authorization=Bearer%20x",
            "credentials are never on the command line",
        ),
        ("browse:ftp://x", "expected http://HOST"),
        ("browse:?connections=0", "connections=\"0\""),
    ] {
        let e = bad.parse::<SinkSpec>().unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("sink {bad:?}: ")) && e.contains(want),
            "{bad}: {e}"
        );
    }
}

#[test]
fn unknown_schemes_are_refused_with_the_list() {
    for bad in ["nope", "mqtt:b:1883/t", ""] {
        let e = bad.parse::<SinkSpec>().unwrap_err();
        assert!(matches!(e, SpecError::UnknownScheme { .. }), "{bad}: {e}");
        let text = e.to_string();
        assert!(
            text.contains("expected one of: stdout, -, file:PATH"),
            "{text}"
        );
        assert!(
            text.contains("lake:PATH|s3://BUCKET/PREFIX[?options]"),
            "{text}"
        );
    }
}
