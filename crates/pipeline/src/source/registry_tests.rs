//! The source registry: every form parses, prints back as written, and is in the help.

use std::time::Duration;

use super::*;

#[test]
fn every_registered_form_parses_prints_back_and_is_in_the_help() {
    let help = SourceSpec::help();
    let cases = [
        ("stdin", "stdin"),
        ("file:/tmp/a b.jsonl", "file:/tmp/a b.jsonl"),
        ("kinesis:clicks", "kinesis:clicks"),
        (
            "kinesis:clicks?until-idle=1s500ms",
            "kinesis:clicks?until-idle=1s500ms",
        ),
    ];
    for (spec, printed) in cases {
        let parsed: SourceSpec = spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(parsed.to_string(), printed, "{spec}");
        assert_eq!(printed.parse::<SourceSpec>().unwrap(), parsed, "{printed}");
    }
    for entry in SOURCES {
        assert!(
            help.contains(entry.form.form),
            "{} missing in:\n{help}",
            entry.form.form
        );
        assert!(help.contains(entry.form.about));
    }
}

#[test]
fn bare_forms_are_stdin_and_files() {
    assert_eq!(
        "-".parse::<SourceSpec>().unwrap(),
        SourceSpec::Stdin(stdin::StdinSpec)
    );
    assert_eq!(
        "a.jsonl".parse::<SourceSpec>().unwrap().to_string(),
        "file:a.jsonl"
    );
    assert_eq!(
        "./kafka:x".parse::<SourceSpec>().unwrap().to_string(),
        "file:./kafka:x"
    );
    assert_eq!(
        "file:kafka:x".parse::<SourceSpec>().unwrap().to_string(),
        "file:kafka:x"
    );
    assert!(
        SourceSpec::Stdin(stdin::StdinSpec)
            .checkpoint_name()
            .is_none()
    );
    assert_ne!(
        SourceSpec::Stdin(stdin::StdinSpec).key(),
        "x".parse::<SourceSpec>().unwrap().key()
    );
}

#[test]
fn unknown_scheme_is_an_error_listing_the_known_ones_not_a_file() {
    let e = "pulsar:foo".parse::<SourceSpec>().unwrap_err().to_string();
    assert_eq!(
        e,
        "source \"pulsar:foo\": unknown scheme \"pulsar\"; expected one of: -, stdin, \
         file:PATH, PATH, kinesis:STREAM[?until-idle=DURATION], \
         kafka:BROKERS/TOPIC?group=NAME[&until-idle=DURATION] (a file whose name holds a \
         colon: file:NAME or ./NAME)"
    );
    // Once taken for a file name (`No such file or directory`), now a source of its own.
    let k: SourceSpec = "kafka:127.0.0.1:9092/clicks?group=lake".parse().unwrap();
    assert_eq!(k.to_string(), "kafka:127.0.0.1:9092/clicks?group=lake");
    assert_eq!(k.checkpoint_name().unwrap(), "kafka-clicks-lake");
    for bad in ["", "file:", "stdin:x"] {
        let e = bad.parse::<SourceSpec>().unwrap_err().to_string();
        assert!(e.starts_with(&format!("source {bad:?}: ")), "{e}");
    }
}

#[test]
fn kinesis_options_are_checked() {
    let s: SourceSpec = "kinesis:x?until-idle=2m".parse().unwrap();
    assert!(matches!(&s, SourceSpec::Kinesis(k) if k.until_idle == Some(Duration::from_secs(120))));
    assert_eq!(s.checkpoint_name().unwrap(), "kinesis-x");
    for (bad, want) in [
        ("kinesis:", "no stream name"),
        ("kinesis:?until-idle=5s", "no stream name"),
        (
            "kinesis:s?until-idle=5",
            "until-idle: \"5\" is not a duration",
        ),
        (
            "kinesis:s?until-idle=xs",
            "until-idle: \"xs\" is not a duration",
        ),
        (
            "kinesis:s?idle=5s",
            "unknown option \"idle\"; expected one of: until-idle",
        ),
        ("kinesis:s?until-idle=1s&until-idle=2s", "given twice"),
        ("kinesis:a/b", "stream name \"a/b\""),
        ("kinesis:s?until-idle=99999999999d", "out of range"),
    ] {
        let e = bad.parse::<SourceSpec>().unwrap_err().to_string();
        assert!(e.contains(bad) && e.contains(want), "{bad}: {e}");
    }
}
