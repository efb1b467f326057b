//! An S3 lake on a moto server (127.0.0.1): the same round trip as locally, read back
//! by pyarrow's S3 filesystem.

use std::sync::Arc;

use csgen_model::StoreConfig;
use csgen_pipeline::{AwsSettings, Counters, LakeOptions, LakeSpec, RunOptions, SourceSpec};
use csgen_testkit::Server;

use crate::support::{assert_event_types, generated, python, read_lake};

#[tokio::test]
async fn s3_lake_round_trip_and_resume() {
    let Some(py) = python() else { return };
    let Some(moto) = Server::moto() else { return };
    moto.create_bucket("lake");
    let dir = tempfile::tempdir().unwrap();
    let (input, ids) = generated(3000, 1_795_418_780_123, 4000);
    let src = dir.path().join("raw.jsonl");
    std::fs::write(&src, &input).unwrap();
    let spec: LakeSpec = "s3://lake/clicks/v1".parse().unwrap();
    csgen_testkit::local_aws_env();
    let aws = AwsSettings {
        endpoint: Some(moto.endpoint()),
    };
    let store = spec.open(&aws).await.unwrap();
    let options = RunOptions {
        lake: LakeOptions {
            max_buffer_bytes: 128 << 10,
            ..LakeOptions::default()
        },
        ..RunOptions::default()
    };
    let source = SourceSpec::file(src.clone());
    let config = StoreConfig::defaults();
    // One run of the pipeline from the file into the S3 lake, with fresh counters.
    let enrich = || {
        csgen_pipeline::run(
            &source,
            store.clone(),
            &config,
            &options,
            Arc::new(Counters::default()),
            || 0,
            std::future::pending(),
        )
    };
    let summary = enrich().await.unwrap();
    assert_eq!(summary.counters.committed_events, 3000);
    assert!(summary.counters.flushes >= 2);

    let back = read_lake(&py, &["s3", &moto.endpoint(), "lake", "clicks/v1"]);
    let mut want = ids;
    want.sort();
    assert_eq!(back.event_ids, want);
    assert!(back.misplaced.is_empty());
    assert_event_types(&back.types);
    assert!(
        back.files
            .iter()
            .all(|f| f.starts_with("dt=2026-11-2") && f.ends_with(".parquet")),
        "{:?}",
        back.files
    );

    // The checkpoint lives in the bucket: a second run resumes at the end.
    let again = enrich().await.unwrap();
    assert_eq!(
        (again.resumed_at.offset, again.counters.records),
        (input.len() as u64, 0)
    );
}
