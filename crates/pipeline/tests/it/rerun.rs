//! A lake writer with a fixed id (`LakeOptions::writer_id`; the lake sink takes it
//! from `SinkContext::run_id`, a run's identity) replaces its earlier attempt:
//! committed files, dead letters and staged orphans of that id go; other writers'
//! files stay.

use csgen_model::{Encoder, Format, Generator, Schedule, Shard, StoreConfig};
use csgen_pipeline::{LakeOptions, LakeSpec};
use csgen_sinks::lake::{LakeSink, LakeSinkSpec};
use csgen_sinks::{Sink, SinkContext};
use csgen_testkit::files_under;

const START_MS: i64 = 1_795_418_780_123; // 2026-11-23T07:26:20.123Z

/// Writes `n` clicks (every hour a few) plus one malformed record through a lake sink.
async fn attempt(lake: &std::path::Path, writer_id: Option<&str>, n: u64) {
    let config = StoreConfig::defaults();
    let g = Generator::new(&config, 3);
    let mut enc = Encoder::new(Format::Json, &config.store_url);
    let schedule = Schedule::new(0, START_MS, 0.5); // 1,800 an hour
    let spec = LakeSinkSpec {
        lake: LakeSpec::Local(lake.to_owned()),
        options: LakeOptions {
            max_buffer_bytes: 64 << 10, // several flushes
            ..LakeOptions::default()
        },
        window: csgen_pipeline::EventWindow::RECOMMENDED,
    };
    let cx = SinkContext {
        store: config.clone(),
        run_id: writer_id.map(str::to_owned),
        ..SinkContext::default()
    };
    let mut sink = LakeSink::open(&spec, &cx).await.unwrap();
    let mut batch = csgen_model::produce(&g, &mut enc, &schedule, Shard::ALL, 0, n);
    batch.push_encoded(g.click(n, START_MS), |out| {
        out.extend_from_slice(b"{\"url\": broken")
    });
    sink.stats().add_generated(batch.len() as u64);
    sink.send(batch).await.unwrap();
    sink.flush().await.unwrap();
}

#[tokio::test]
async fn a_rerun_with_the_same_writer_id_replaces_its_earlier_attempt_only() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path();
    let id = "0123456789abcdef0123456789abcdef";
    attempt(lake, None, 1000).await; // another writer, kept
    let others = files_under(lake);
    attempt(lake, Some(id), 5000).await; // the earlier attempt: more files than the rerun
    // An orphan of a flush that died before committing, in the writer's staging folder.
    let staging = lake.join(format!("_csgen/staging/{id}"));
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("000009-0000.parquet"), b"PAR1 half").unwrap();
    std::fs::write(staging.join(".000009-0001.parquet.x.tmp"), b"half").unwrap();
    let before = files_under(lake);
    assert!(
        before
            .iter()
            .any(|f| f.contains("dead_letters/part-0123456789abcdef"))
    );

    attempt(lake, Some(id), 3000).await;
    let after = files_under(lake);
    let mine: Vec<&String> = after.iter().filter(|f| f.contains(id)).collect();
    assert!(
        mine.iter().all(|f| !f.starts_with("_csgen/staging")),
        "{mine:?}"
    );
    // Exactly the other writer's files and the rerun's: nothing of the first attempt.
    let mut expected = others.clone();
    let alone = tempfile::tempdir().unwrap();
    attempt(alone.path(), Some(id), 3000).await;
    expected.extend(files_under(alone.path()));
    expected.sort();
    assert_eq!(after, expected);
    for f in &others {
        assert!(after.contains(f), "another writer's {f} was removed");
    }
}

#[tokio::test]
async fn a_writer_id_that_could_leave_the_lake_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let spec = LakeSinkSpec {
        lake: LakeSpec::Local(dir.path().to_owned()),
        options: LakeOptions::default(),
        window: csgen_pipeline::EventWindow::RECOMMENDED,
    };
    let cx = SinkContext {
        run_id: Some("../../etc".into()),
        ..SinkContext::default()
    };
    let err = LakeSink::open(&spec, &cx).await.err().expect("refused");
    assert!(err.to_string().contains("writer id \"../../etc\""), "{err}");
}
