//! Checkpoints name their source exactly and are not applied to another: files whose
//! names differ only in characters a file name cannot hold, a file replaced or
//! truncated under its checkpoint, a checkpoint of csgen before 0.2, a tampered one.

use std::path::Path;
use std::sync::Arc;

use csgen_model::StoreConfig;
use csgen_pipeline::lake::{Checkpoint, Store};
use csgen_pipeline::{Counters, RunError, RunOptions, RunSummary, SourceSpec};

use crate::support::generated;

const START_MS: i64 = 1_795_418_780_123;

async fn enrich(src: &Path, lake: &Path) -> Result<RunSummary, RunError> {
    csgen_pipeline::run(
        &SourceSpec::file(src.to_owned()),
        Store::Local(lake.to_owned()),
        &StoreConfig::defaults(),
        &RunOptions::default(),
        Arc::new(Counters::default()),
        || 0,
        std::future::pending(),
    )
    .await
}

#[tokio::test]
async fn files_whose_names_differ_only_in_non_ascii_letters_have_their_own_checkpoints() {
    // Both names once became `file-_…_.jsonl`: the second file resumed at the first's
    // offset and most of its events never reached the lake.
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let (a, _) = generated(300, START_MS, 1000);
    let (b, _) = generated(200, START_MS + 7_200_000, 1000);
    let (pa, pb) = (dir.path().join("ä.jsonl"), dir.path().join("ö.jsonl"));
    std::fs::write(&pa, &a).unwrap();
    std::fs::write(&pb, &b).unwrap();
    let first = enrich(&pa, &lake).await.unwrap();
    let second = enrich(&pb, &lake).await.unwrap();
    assert_eq!(first.counters.committed_events, 300);
    assert_eq!(
        (second.resumed_at.offset, second.counters.committed_events),
        (0, 200),
        "the second file starts at its beginning"
    );
    let names: Vec<_> = std::fs::read_dir(lake.join("_csgen/checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[tokio::test]
async fn a_file_replaced_or_truncated_under_its_checkpoint_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let src = dir.path().join("raw.jsonl");
    let (old, _) = generated(100, START_MS, 1000);
    std::fs::write(&src, &old).unwrap();
    enrich(&src, &lake).await.unwrap();

    // Appended to: resumes after what was read.
    let (more, _) = generated(10, START_MS + 3_600_000, 1000);
    let mut grown = old.clone();
    grown.extend_from_slice(&more);
    std::fs::write(&src, &grown).unwrap();
    let again = enrich(&src, &lake).await.unwrap();
    assert_eq!(
        (again.resumed_at.offset, again.counters.committed_events),
        (old.len() as u64, 10)
    );

    // Replaced by a longer file that begins otherwise (log rotation): refused.
    let (other, _) = generated(400, START_MS + 86_400_000, 1000);
    std::fs::write(&src, &other).unwrap();
    let e = enrich(&src, &lake).await.unwrap_err().to_string();
    assert!(
        e.contains("were not") || e.contains("not those read before"),
        "{e}"
    );
    assert!(
        e.contains("_csgen/checkpoints/") && e.contains("--no-checkpoint"),
        "names the checkpoint and the way out: {e}"
    );

    // Truncated: refused.
    std::fs::write(&src, &old[..old.len() / 2]).unwrap();
    let e = enrich(&src, &lake).await.unwrap_err().to_string();
    assert!(e.contains("fewer than the"), "{e}");
}

#[tokio::test]
async fn a_checkpoint_of_an_earlier_csgen_is_moved_to_its_new_name_and_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let src = dir.path().join("raw.jsonl");
    let (input, _) = generated(100, START_MS, 1000);
    std::fs::write(&src, &input).unwrap();
    enrich(&src, &lake).await.unwrap();
    // Make it look like a lake of csgen 0.1: the checkpoint at the lossy name, without
    // its own name or the file's identity.
    let source = SourceSpec::file(src.clone());
    let name = source.checkpoint_name().unwrap();
    let now = lake.join(Checkpoint::path(&name));
    let legacy = lake.join(Checkpoint::legacy_path(&name).expect("a path is lossy"));
    let mut cp = Checkpoint::from_json(&std::fs::read(&now).unwrap()).unwrap();
    cp.name = None;
    cp.source.file = None;
    std::fs::write(&legacy, cp.to_json()).unwrap();
    std::fs::remove_file(&now).unwrap();

    let again = enrich(&src, &lake).await.unwrap();
    assert_eq!(
        (again.resumed_at.offset, again.counters.committed_events),
        (input.len() as u64, 0),
        "resumed from the old checkpoint"
    );
    assert!(now.exists() && !legacy.exists());
}

#[test]
fn checkpoints_that_would_move_files_elsewhere_are_refused() {
    let good = br#"{"version":1,"writer":"w1","flush":7,"source":{"offset":10,"line":1},
        "pending":[{"from":"_csgen/staging/w1/000007-0000.parquet",
                    "to":"events/dt=2026-11-02/hour=13/part-w1-000007-0000.parquet"},
                   {"from":"_csgen/staging/w1/000007-dead.jsonl",
                    "to":"dead_letters/part-w1-000007.jsonl"}]}"#;
    Checkpoint::from_json(good).expect("what a writer writes");
    let text = std::str::from_utf8(good).unwrap();
    for (from, to, why) in [
        (
            "part-w1-000007-0000.parquet\"}",
            "../../etc/passwd\"}",
            "a path outside the lake",
        ),
        ("hour=13/", "hour=13/../../", "a path that climbs"),
        ("hour=13", "hour=24", "an hour that does not exist"),
        (
            "_csgen/staging/w1/000007-0000",
            "_csgen/staging/w2/000007-0000",
            "another writer's staging",
        ),
        (
            "000007-dead.jsonl\"",
            "000008-dead.jsonl\"",
            "another flush",
        ),
        (
            "\"writer\":\"w1\"",
            "\"writer\":\"../w1\"",
            "a writer id that is a path",
        ),
    ] {
        let bad = text.replacen(from, to, 1);
        assert_ne!(bad, text, "{why}: the replacement applies");
        let e = Checkpoint::from_json(bad.as_bytes()).expect_err(why);
        assert!(
            e.to_string().contains("w1") || e.to_string().contains("writer"),
            "{why}: {e}"
        );
    }
    let huge = vec![b' '; 17 << 20];
    let e = Checkpoint::from_json(&huge).unwrap_err().to_string();
    assert!(e.contains("more than the"), "{e}");
}

#[test]
fn checkpoint_file_names_keep_plain_names_and_hash_the_others() {
    assert_eq!(Checkpoint::file_name("kinesis-clicks"), "kinesis-clicks");
    let (a, b) = (
        Checkpoint::file_name("file-/in/ä.jsonl"),
        Checkpoint::file_name("file-/in/ö.jsonl"),
    );
    assert_ne!(a, b);
    assert!(a.starts_with("file-_in_") && a.len() < 140, "{a}");
    let long = format!("file-/{}", "x/".repeat(5000));
    assert!(
        Checkpoint::file_name(&long).len() <= 120,
        "a file name the OS takes"
    );
}
