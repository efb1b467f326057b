//! `csgen verify`: exit 0 on a lake that holds the run, 1 with a report naming the hour
//! and the ids when a file was deleted or duplicated, 2 when the inputs are unusable.

use std::path::{Path, PathBuf};

use crate::support::{TempDir, enrich_file, run, stderr, stdout, store_toml};

const HOUR: &str = "2026-11-02T01";

/// Three night hours of the example store (faults on) into `--sink lake:`, with truth.
fn generate_lake(dir: &TempDir) -> (PathBuf, PathBuf) {
    let (lake, truth) = (dir.path("lake"), dir.path("truth.json"));
    let out = run(&[
        "generate",
        "--config",
        &store_toml(),
        "--seed",
        "7",
        "--from",
        "2026-11-02T00:00:00Z",
        "--to",
        "2026-11-02T03:00:00Z",
        "--sink",
        &format!("lake:{}", lake.display()),
        "--truth",
        truth.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    (lake, truth)
}

fn verify(lake: &Path, truth: &Path, extra: &[&str]) -> std::process::Output {
    let (lake, truth) = (lake.display().to_string(), truth.display().to_string());
    let config = store_toml();
    let mut args = vec![
        "verify", "--lake", &lake, "--truth", &truth, "--config", &config,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// The Parquet file of an hour partition (the backfill writes one per hour).
fn file_of(lake: &Path, hour: &str) -> PathBuf {
    let (dt, hh) = hour.split_once('T').unwrap();
    let dir = lake.join(format!("events/dt={dt}/hour={hh}"));
    let mut files = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path());
    files.next().expect("a file")
}

fn events_of(truth: &Path, hour: &str) -> u64 {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(truth).unwrap()).unwrap();
    manifest["hours"][hour]["events"].as_u64().unwrap()
}

#[test]
fn verify_passes_on_the_lake_sink_and_catches_a_deleted_and_a_duplicated_file() {
    let dir = TempDir::new("verify");
    let (lake, truth) = generate_lake(&dir);
    let out = verify(&lake, &truth, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("\nPASSED: the lake preserved every event"),
        "{text}"
    );
    assert!(text.contains("ok   group of group_view events"), "{text}");

    let events = events_of(&truth, HOUR);
    let file = file_of(&lake, HOUR);
    let copy = file.with_file_name("part-copy.parquet");
    std::fs::copy(&file, &copy).unwrap();
    let out = verify(&lake, &truth, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAILED: 1 of "), "{text}");
    assert!(
        text.contains(&format!(
            "\n{HOUR}: expected {events} events, found {events} (+0)"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("unexpected duplicates: {events} ids with ")),
        "{text}"
    );
    assert!(stderr(&out).contains("does not match"), "{}", stderr(&out));

    std::fs::remove_file(&copy).unwrap();
    std::fs::remove_file(&file).unwrap();
    let out = verify(&lake, &truth, &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["passed"], false);
    let hours = report["failed_hours"].as_array().unwrap();
    assert_eq!(hours.len(), 1, "{report:#}");
    assert_eq!(hours[0]["hour"], HOUR);
    assert_eq!(hours[0]["found"], 0);
    let missing = hours[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "missing_ids")
        .expect("missing ids");
    assert_eq!(missing["count"], events);
    assert_eq!(missing["examples"][0]["note"], "not in the lake");
}

#[test]
fn verify_passes_on_a_lake_written_by_enrich_from_a_file() {
    let dir = TempDir::new("verify-enrich");
    let raw = dir.path("raw.jsonl");
    let out = run(&[
        "generate",
        "--config",
        &store_toml(),
        "--seed",
        "11",
        "--from",
        "2026-11-07T10:00:00Z",
        "--to",
        "2026-11-07T12:00:00Z",
        "--output",
        raw.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lake = dir.path("lake");
    let out = enrich_file(&raw, &lake);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = verify(&lake, &dir.path("raw.jsonl.truth.json"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn unusable_inputs_are_usage_errors_that_name_the_file() {
    let dir = TempDir::new("verify-usage");
    let (lake, truth) = generate_lake(&dir);
    let missing = dir.path("nope.json");
    let out = verify(&lake, &missing, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("cannot read ground truth {}", missing.display())),
        "{}",
        stderr(&out)
    );

    let bad = dir.path("bad.json");
    std::fs::write(&bad, "{\"seed\": 1}").unwrap();
    let out = verify(&lake, &bad, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!(
            "ground truth {} is not a csgen manifest",
            bad.display()
        )),
        "{}",
        stderr(&out)
    );

    let out = verify(&dir.path("no-lake"), &truth, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no-lake"), "{}", stderr(&out));

    let classic = dir.path("classic.properties");
    let defaults = Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/src/defaults.properties");
    std::fs::copy(defaults, &classic).unwrap();
    let out = crate::support::verify(&lake, &truth, classic.to_str().unwrap());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is a classic (properties) config"),
        "{}",
        stderr(&out)
    );
}
