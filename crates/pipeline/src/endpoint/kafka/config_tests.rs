//! The Kafka client configuration: file and environment, errors that name the line or
//! variable, secrets that never show.

use super::*;

const SECRET: &str = "Pa55-w0rd-never-shown";

fn file(text: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kafka.properties");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
    pairs
        .iter()
        .map(|(k, v)| (OsString::from(k), OsString::from(v)))
        .collect()
}

fn error(text: &[u8], vars: &[(&str, &str)]) -> String {
    let (_dir, path) = file(text);
    KafkaSettings::load(Some(&path), env(vars))
        .unwrap_err()
        .to_string()
        .replace(&path.display().to_string(), "FILE")
}

#[test]
fn reads_the_file_and_the_environment_which_wins() {
    let text = "# a managed cluster\n\n  security.protocol = SASL_SSL \n! also a comment\n\
         sasl.mechanism=SCRAM-SHA-512\nsasl.username=csgen\nsasl.password=wrong\n\
         message.timeout.ms=60000\n";
    let (_dir, path) = file(text.as_bytes());
    let s = KafkaSettings::load(
        Some(&path),
        env(&[
            ("CSGEN_KAFKA_SASL_PASSWORD", SECRET),
            ("CSGEN_KAFKA_CLIENT_RACK", "eu-west-1a"),
            ("PATH", "/usr/bin"),
            ("csgen_kafka_ignored", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(
        s.keys().collect::<Vec<_>>(),
        [
            "security.protocol",
            "sasl.mechanism",
            "sasl.username",
            "sasl.password",
            "message.timeout.ms",
            "client.rack"
        ]
    );
    let config = s
        .client_config(&[Setting {
            key: "linger.ms",
            value: Some("7".into()),
            owner: "the spec option linger",
        }])
        .unwrap();
    assert_eq!(config.get("sasl.password"), Some(SECRET));
    assert_eq!(config.get("security.protocol"), Some("SASL_SSL"));
    assert_eq!(config.get("linger.ms"), Some("7"));
    assert!(KafkaSettings::load(None, env(&[])).unwrap().is_empty());
}

#[test]
fn a_secret_never_shows_in_debug_or_errors() {
    let (_dir, path) = file(format!("sasl.password={SECRET}\n").as_bytes());
    let s = KafkaSettings::load(Some(&path), env(&[])).unwrap();
    let debug = format!("{s:?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(
        debug.contains("sasl.password") && debug.contains("line 1"),
        "{debug}"
    );
    // A secret librdkafka refuses is not echoed in the error either.
    let e = error(
        format!("ssl.key.password={SECRET}\nsasl.password={SECRET}\0x\n").as_bytes(),
        &[],
    );
    assert!(!e.contains(SECRET), "{e}");
    assert!(e.contains("FILE line 2: sasl.password"), "{e}");
    assert!(is_sensitive("sasl.oauthbearer.client.secret"));
    assert!(is_sensitive("ssl.key.pem"));
    assert!(!is_sensitive("sasl.username"));
}

#[test]
fn every_problem_names_its_line_or_variable() {
    let big = vec![b'#'; MAX_FILE_BYTES as usize + 1];
    let many: String = (0..=MAX_PROPERTIES).map(|i| format!("k{i}=1\n")).collect();
    // (file, environment, what the error names)
    type Case<'a> = (Vec<u8>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            b"acks=all\njunk\n".to_vec(),
            vec![],
            "kafka config FILE line 2: expected key=value",
        ),
        (
            b"=x\n".to_vec(),
            vec![],
            "line 1: \"\" is not a librdkafka property name",
        ),
        (
            b"Sasl.Password=x\n".to_vec(),
            vec![],
            "line 1: \"Sasl.Password\" is not",
        ),
        (
            b"sasl.username=a\n\nsasl.username=b\n".to_vec(),
            vec![],
            "FILE line 3: \"sasl.username\" is already set by FILE line 1",
        ),
        (
            b"acks=all\n\xff\xfe=1\n".to_vec(),
            vec![],
            "FILE line 2: not UTF-8 text",
        ),
        (
            b"sasl.pasword=x\n".to_vec(),
            vec![],
            "FILE line 1: sasl.pasword: No such configuration property: \"sasl.pasword\"",
        ),
        (
            b"message.timeout.ms=NaN\n".to_vec(),
            vec![],
            "FILE line 1: message.timeout.ms: Invalid value for configuration property",
        ),
        (
            b"queue.buffering.max.messages=-5\n".to_vec(),
            vec![],
            "FILE line 1: queue.buffering.max.messages: Configuration property",
        ),
        (
            vec![],
            vec![("CSGEN_KAFKA_", "x")],
            "environment variable CSGEN_KAFKA_: \"\" is not a librdkafka property name",
        ),
        (
            vec![],
            vec![("CSGEN_KAFKA_NO_SUCH_THING", "x")],
            "environment variable CSGEN_KAFKA_NO_SUCH_THING: no.such.thing: No such configuration property",
        ),
        (big, vec![], "kafka config FILE: larger than 1048576 bytes"),
        (many.into_bytes(), vec![], "more than 1000 properties"),
    ];
    for (text, vars, want) in cases {
        let e = error(&text, &vars);
        assert!(e.contains(want), "want {want:?} in: {e}");
    }
    let missing = KafkaSettings::load(Some(Path::new("/nonexistent/k.conf")), env(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        missing.starts_with("kafka config /nonexistent/k.conf: "),
        "{missing}"
    );
}

#[test]
fn a_property_the_endpoint_owns_is_refused_with_its_owner() {
    let (_dir, path) = file(b"linger.ms=100\n");
    let s = KafkaSettings::load(Some(&path), env(&[])).unwrap();
    let e = s
        .client_config(&[Setting {
            key: "linger.ms",
            value: None,
            owner: "the spec option linger",
        }])
        .unwrap_err()
        .to_string()
        .replace(&path.display().to_string(), "FILE");
    assert_eq!(
        e,
        "kafka config FILE line 1: linger.ms is set by the spec option linger; set it there"
    );
}

#[test]
fn non_utf8_environment_values_are_errors_naming_the_variable() {
    use std::os::unix::ffi::OsStringExt;
    let vars = vec![(
        OsString::from("CSGEN_KAFKA_SASL_USERNAME"),
        OsString::from_vec(vec![0xff, 0xfe]),
    )];
    let e = KafkaSettings::load(None, vars).unwrap_err().to_string();
    assert_eq!(
        e,
        "kafka config environment variable CSGEN_KAFKA_SASL_USERNAME: the value is not UTF-8 text"
    );
}
