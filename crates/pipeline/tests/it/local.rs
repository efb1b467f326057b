//! A local lake: every event exactly once, in its partition, with its types.

use std::sync::Arc;

use csgen_model::{Encoder, Format, Generator, Schedule, Shard, StoreConfig};
use csgen_pipeline::{Counters, LakeOptions, LakeSpec, RunOptions, SourceSpec};
use csgen_sinks::lake::{LakeSink, LakeSinkSpec};
use csgen_sinks::{Sink, SinkContext};

use crate::support::{assert_event_types, generated, python, read_lake};

const START_MS: i64 = 1_795_418_780_123; // 2026-11-23T07:26:20.123Z

#[tokio::test]
async fn file_to_lake_round_trip_with_dead_letters_and_a_late_event() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (mut input, mut ids) = generated(5000, START_MS, 2500); // about 3.5 hours
    input.extend_from_slice(b"{\"url\":\"https://webstore.demo.com/api/group/1?userid=5\",\"ts\":\"2026-11-20T01:02:03.004Z\",\"event_id\":\"late-1\"}\n");
    ids.push("late-1".into());
    input.extend_from_slice(
        b"{\"url\": broken\n\nhttps://webstore.demo.com/api/nowhere?userid=1\n\xff\xfe\n",
    );
    let src = dir.path().join("raw.jsonl");
    std::fs::write(&src, &input).unwrap();
    let lake = dir.path().join("lake");
    let options = RunOptions {
        lake: LakeOptions {
            max_buffer_bytes: 64 << 10,
            ..LakeOptions::default()
        },
        ..RunOptions::default()
    };
    let counters = Arc::new(Counters::default());
    let source = SourceSpec::file(src.clone());
    let store = csgen_pipeline::lake::Store::Local(lake.clone());
    let summary = csgen_pipeline::run(
        &source,
        store,
        &StoreConfig::defaults(),
        &options,
        counters,
        || 0,
        std::future::pending(),
    )
    .await
    .unwrap();
    let c = &summary.counters;
    assert_eq!(
        (c.records, c.enriched, c.dead_lettered, c.blank),
        (5005, 5001, 3, 1),
        "{c:?}"
    );
    assert_eq!((c.committed_events, c.committed_dead_letters), (5001, 3));
    assert!(
        c.flushes > 3,
        "a 64 KiB buffer must flush several times: {c:?}"
    );
    assert_eq!(summary.stopped_at.offset, input.len() as u64);

    let back = read_lake(&py, &[lake.to_str().unwrap()]);
    assert_eq!(back.rows, 5001);
    let mut want = ids.clone();
    want.sort();
    assert_eq!(back.event_ids, want, "every event exactly once");
    assert!(
        back.misplaced.is_empty(),
        "events outside their partition: {:?}",
        back.misplaced
    );
    let duck = back.duckdb.as_ref().unwrap();
    assert_eq!((duck.rows, duck.distinct, duck.misplaced), (5001, 5001, 0));
    assert_event_types(&back.types);
    assert_eq!(back.event_types, ["group_view", "product_view"]);
    assert_eq!(back.null_group_names, 0);
    assert!(
        back.files
            .iter()
            .any(|f| f.starts_with("dt=2026-11-20/hour=01/part-")),
        "late event: {:?}",
        back.files
    );
    assert!(
        back.files
            .iter()
            .all(|f| f.ends_with(".parquet") && !f.contains("/.")),
        "{:?}",
        back.files
    );

    let dead: Vec<serde_json::Value> = std::fs::read_dir(lake.join("dead_letters"))
        .unwrap()
        .flat_map(|e| {
            std::fs::read_to_string(e.unwrap().path())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    let reasons: Vec<(&str, u64)> = dead
        .iter()
        .map(|d| {
            (
                d["reason_code"].as_str().unwrap(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("bad_json", 5002),
            ("unknown_path", 5004),
            ("not_utf8", 5005)
        ]
    );
    assert_eq!(dead[2]["raw_base64"], "//4=");

    // A second run over the finished file resumes at its end: nothing new.
    let counters = Arc::new(Counters::default());
    let store = csgen_pipeline::lake::Store::Local(lake.clone());
    let again = csgen_pipeline::run(
        &source,
        store,
        &StoreConfig::defaults(),
        &options,
        counters,
        || 0,
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(again.resumed_at.offset, input.len() as u64);
    assert_eq!(again.counters.records, 0);
    assert_eq!(read_lake(&py, &[lake.to_str().unwrap()]).rows, 5001);
}

#[tokio::test]
async fn lake_sink_lands_generator_batches() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig::defaults();
    let g = Generator::new(&config, 3);
    let mut enc = Encoder::new(Format::Json, &config.store_url);
    let schedule = Schedule::new(0, START_MS, 50.0);
    let spec = LakeSinkSpec {
        lake: LakeSpec::Local(dir.path().to_owned()),
        options: LakeOptions {
            max_buffer_bytes: 100 << 10,
            ..LakeOptions::default()
        },
        window: csgen_pipeline::EventWindow::RECOMMENDED,
    };
    let cx = SinkContext {
        store: config.clone(),
        ..SinkContext::default()
    };
    let mut sink = LakeSink::open(&spec, &cx).await.unwrap();
    for start in (0..3000).step_by(500) {
        let batch = csgen_model::produce(&g, &mut enc, &schedule, Shard::ALL, start, start + 500);
        sink.stats().add_generated(batch.len() as u64);
        sink.send(batch).await.unwrap();
    }
    sink.flush().await.unwrap();
    let s = sink.stats().snapshot();
    assert_eq!(
        (s.generated, s.delivered, s.failed, s.in_flight),
        (3000, 3000, 0, 0)
    );
    assert!(sink.counters().snapshot().flushes >= 2);
    let back = read_lake(&py, &[dir.path().to_str().unwrap()]);
    assert_eq!(back.rows, 3000);
    assert_eq!(back.duckdb.unwrap().distinct, 3000);
    assert!(back.misplaced.is_empty());
}

#[tokio::test]
async fn an_over_long_record_is_a_dead_letter_and_the_rest_still_lands() {
    let dir = tempfile::tempdir().unwrap();
    let (head, _) = generated(3, START_MS, 1000);
    let mut input = head.clone();
    input.extend(std::iter::repeat_n(
        b'x',
        csgen_pipeline::source::MAX_RECORD_BYTES * 3 / 2,
    ));
    input.push(b'\n');
    input.extend_from_slice(&head);
    input.extend(std::iter::repeat_n(
        b'y',
        csgen_pipeline::source::MAX_RECORD_BYTES * 3,
    )); // no newline at the end
    let src = dir.path().join("raw.jsonl");
    std::fs::write(&src, &input).unwrap();
    let lake = dir.path().join("lake");
    let summary = csgen_pipeline::run(
        &SourceSpec::file(src),
        csgen_pipeline::lake::Store::Local(lake.clone()),
        &StoreConfig::defaults(),
        &RunOptions::default(),
        Arc::new(Counters::default()),
        || 0,
        std::future::pending(),
    )
    .await
    .unwrap();
    let c = &summary.counters;
    assert_eq!((c.records, c.enriched, c.dead_lettered), (8, 6, 2), "{c:?}");
    assert_eq!(c.by_reason, [("too_large", 2)]);
    assert_eq!(summary.stopped_at.offset, input.len() as u64);
    let dead = std::fs::read_dir(lake.join("dead_letters"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(dead)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["line"], 4);
    assert_eq!(lines[0]["offset"], head.len());
    assert_eq!(lines[0]["raw"].as_str().unwrap().len(), 4096);
    assert_eq!(lines[1]["line"], 8);
}
