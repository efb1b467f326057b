//! The Kinesis handler end to end: a realistic csgen run in Kinesis batches through the
//! function into moto's S3, checked by `csgen verify`; retries; malformed records;
//! failed writes.

use csgen_testkit::{RuntimeApi, Server};

use crate::support::{
    Function, csgen, csgen_binary, function_command, kinesis_event, seq, snapshot, store_toml, text,
};

/// A raw record set: an hour of the example store (faults on), its ground truth.
struct Run {
    _dir: tempfile::TempDir,
    lines: Vec<Vec<u8>>,
    truth: String,
}

fn generate(csgen_bin: &std::path::Path, moto: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (raw, truth) = (dir.path().join("raw.jsonl"), dir.path().join("truth.json"));
    let out = csgen(
        csgen_bin,
        moto,
        &[
            "generate",
            "--config",
            &store_toml(),
            "--seed",
            "3",
            "--from",
            "2026-11-02T10:00:00Z",
            "--to",
            "2026-11-02T11:00:00Z",
            "--format",
            "json",
            "--output",
            raw.to_str().unwrap(),
            "--truth",
            truth.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "generate: {}", text(&out.stderr));
    let lines = std::fs::read(&raw)
        .unwrap()
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    Run {
        lines,
        truth: truth.display().to_string(),
        _dir: dir,
    }
}

/// The run's arrival time, 2026-11-02T11:00:00Z: the end of its hour (records carry
/// their own `ts`).
const ARRIVAL_S: f64 = 1_793_617_200.0;

fn batch(lines: &[Vec<u8>], from: usize, to: usize) -> serde_json::Value {
    let records: Vec<(u64, &[u8])> = (from..to)
        .map(|i| (i as u64, lines[i].as_slice()))
        .collect();
    kinesis_event(&records, ARRIVAL_S)
}

fn failures(response: &serde_json::Value) -> Vec<String> {
    response["batchItemFailures"]
        .as_array()
        .unwrap_or_else(|| panic!("no batchItemFailures: {response}"))
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinesis_batches_land_a_lake_that_csgen_verify_accepts_and_a_retry_changes_nothing() {
    let Some(moto) = Server::moto() else { return };
    let Some(csgen_bin) = csgen_binary() else {
        return;
    };
    moto.create_bucket("lake");
    let run = generate(&csgen_bin, &moto.endpoint());
    assert!(
        run.lines.len() > 1000,
        "an hour of the store: {}",
        run.lines.len()
    );
    let lake = "s3://lake/clicks";
    let config = store_toml();
    let f = Function::start(
        Some(&moto.endpoint()),
        &[("CSGEN_LAKE", lake), ("CSGEN_CONFIG", &config)],
    );
    let size = 1000;
    let mut from = 0;
    while from < run.lines.len() {
        let to = (from + size).min(run.lines.len());
        let response = f.invoke(&batch(&run.lines, from, to));
        assert_eq!(
            failures(&response),
            Vec::<String>::new(),
            "batch {from}..{to}"
        );
        from = to;
    }

    let out = csgen(
        &csgen_bin,
        &moto.endpoint(),
        &[
            "verify", "--lake", lake, "--truth", &run.truth, "--config", &config,
        ],
    );
    assert!(
        out.status.success(),
        "verify: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    // Lambda retries a whole batch: the same keys are written again, nothing is added.
    let before = snapshot(lake, &moto.endpoint()).await;
    assert!(
        before.iter().any(|(p, _)| p
            .starts_with("events/dt=2026-11-02/hour=10/part-clicks-shardId-000000000000-")),
        "{:?}",
        before.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    assert!(
        !before.iter().any(|(p, _)| p.starts_with("_csgen/lambda/")),
        "no intent left"
    );
    let response = f.invoke(&batch(&run.lines, 0, size));
    assert_eq!(failures(&response), Vec::<String>::new());
    let after = snapshot(lake, &moto.endpoint()).await;
    assert_eq!(
        before.iter().map(|(p, b)| (p, b.len())).collect::<Vec<_>>(),
        after.iter().map(|(p, b)| (p, b.len())).collect::<Vec<_>>()
    );
    assert!(before == after, "the retried batch rewrote the same bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_records_are_dead_letters_and_not_item_failures() {
    let Some(moto) = Server::moto() else { return };
    moto.create_bucket("bad");
    let lake = "s3://bad/l";
    let f = Function::start(Some(&moto.endpoint()), &[("CSGEN_LAKE", lake)]);
    let good = br#"{"event_id":"e1","ts":"2026-11-02T10:00:00.000Z","url":"http://shop/api/group/1","user_id":7}"#;
    let records: Vec<(u64, &[u8])> = vec![
        (1, good.as_slice()),
        (2, b"{\"url\": broken"),
        (3, b"\xff\xfe not utf-8"),
        (4, b"http://shop/nowhere?userid=3"),
        (5, b"   "),
        // Two raw records in one Kinesis record, the second one bad.
        (
            6,
            b"http://shop/api/group/2?userid=9\n{\"url\":\"http://shop/api/group/1\"}",
        ),
    ];
    // Arriving at 2026-11-02T12:00:00Z.
    let response = f.invoke(&kinesis_event(&records, 1_793_620_800.0));
    assert_eq!(
        failures(&response),
        Vec::<String>::new(),
        "no item failures for bad data"
    );

    let lake_files = snapshot(lake, &moto.endpoint()).await;
    let paths: Vec<&str> = lake_files.iter().map(|(p, _)| p.as_str()).collect();
    let dead_path = format!(
        "dead_letters/part-clicks-shardId-000000000000-{}-{}.jsonl",
        seq(2),
        seq(6)
    );
    let dead = &lake_files
        .iter()
        .find(|(p, _)| *p == dead_path)
        .unwrap_or_else(|| panic!("{dead_path} in {paths:?}"))
        .1;
    let codes: Vec<String> = text(dead)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["reason_code"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        codes,
        ["bad_json", "not_utf8", "unknown_path", "missing_field"],
        "{}",
        text(dead)
    );
    assert!(text(dead).contains("\"source\":\"kinesis:clicks\""));
    // Event 1 is at 10:00 (its ts); the bare URL has no ts: its arrival time, 12:00.
    for (hour, first, last) in [(10, 1, 1), (12, 6, 6)] {
        let p = format!(
            "events/dt=2026-11-02/hour={hour}/part-clicks-shardId-000000000000-{}-{}.parquet",
            seq(first),
            seq(last)
        );
        assert!(paths.contains(&p.as_str()), "{p} in {paths:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_is_an_item_failure_at_the_batch_start_and_the_retry_lands_it() {
    let Some(moto) = Server::moto() else { return };
    // The bucket does not exist yet: every write fails.
    let lake = "s3://later/l";
    let f = Function::start(Some(&moto.endpoint()), &[("CSGEN_LAKE", lake)]);
    let good = br#"{"event_id":"e1","ts":"2026-11-02T10:00:00.000Z","url":"http://shop/api/group/1","user_id":7}"#;
    let event = kinesis_event(
        &[(10, good.as_slice()), (11, b"not a click")],
        1_793_613_600.0,
    );
    let response = f.invoke(&event);
    assert_eq!(failures(&response), vec![seq(10)], "{response}");
    moto.create_bucket("later");
    let response = f.invoke(&event);
    assert_eq!(failures(&response), Vec::<String>::new());
    let files = snapshot(lake, &moto.endpoint()).await;
    assert_eq!(
        files.len(),
        2,
        "{:?}",
        files.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
}

#[test]
fn a_function_without_a_lake_stops_at_start_naming_the_variable() {
    let api = RuntimeApi::start();
    let out = csgen_testkit::output_within(
        &mut function_command(&api),
        std::time::Duration::from_secs(30),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("CSGEN_LAKE"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_event_that_is_not_a_kinesis_batch_fails_the_invocation_naming_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().display().to_string();
    let f = Function::start(None, &[("CSGEN_LAKE", &lake)]);
    let mut event = kinesis_event(&[(1, b"x".as_slice()), (2, b"y")], 1_793_613_600.0);
    event["Records"][1]["eventID"] = "../../etc:1".into();
    match f.api.invoke(
        &serde_json::to_vec(&event).unwrap(),
        std::time::Duration::from_secs(60),
    ) {
        Ok(csgen_testkit::LambdaOutcome::Error { body, .. }) => {
            assert!(text(&body).contains("record 1"), "{}", text(&body))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
    // The function keeps serving after an error.
    let ok = f.invoke(&kinesis_event(
        &[(3, b"http://s/api/group/1?userid=1".as_slice())],
        1_793_613_600.0,
    ));
    assert_eq!(failures(&ok), Vec::<String>::new());
}
