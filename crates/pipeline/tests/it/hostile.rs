//! Hostile input to the pipeline: what a corrupt or malicious source can do to the
//! lake writer's memory, its file count and a restart, and what stops it.

use std::sync::Arc;

use csgen_model::StoreConfig;
use csgen_pipeline::lake::Store;
use csgen_pipeline::{Counters, EnrichOptions, EventWindow, RunOptions, SourceSpec};

const NOW: i64 = 1_795_418_780_123; // 2026-11-23T07:26:20.123Z

/// `n` records whose event times fall in `n` different hours spread over a century,
/// from a seeded generator.
fn scattered_hours(n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let hour = (x % (100 * 365 * 24)) as i64;
        let ts = NOW - 50 * 365 * 86_400_000 + hour * 3_600_000;
        out.extend_from_slice(
            format!(
                "{{\"event_id\":\"h-{i}\",\"ts\":{ts},\"url\":\"https://webstore.demo.com/api/group/1?userid=3\"}}\n"
            )
            .as_bytes(),
        );
    }
    out
}

#[tokio::test]
async fn records_in_thousands_of_hours_are_dead_lettered_not_a_partition_each() {
    // The first release buffered 20,000 partitions (1.3 GB) and wrote 20,000 files.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("raw.jsonl");
    std::fs::write(&src, scattered_hours(20_000)).unwrap();
    let lake = dir.path().join("lake");
    let options = RunOptions {
        enrich: EnrichOptions {
            window: EventWindow::RECOMMENDED,
            ..EnrichOptions::default()
        },
        ..RunOptions::default()
    };
    let summary = csgen_pipeline::run(
        &SourceSpec::file(&src),
        Store::Local(lake.clone()),
        &StoreConfig::defaults(),
        &options,
        Arc::new(Counters::default()),
        || NOW,
        std::future::pending(),
    )
    .await
    .unwrap();
    let c = &summary.counters;
    assert_eq!(c.committed_events + c.committed_dead_letters, 20_000);
    let refused: u64 = c
        .by_reason
        .iter()
        .filter(|(code, _)| matches!(*code, "too_old" | "too_far_ahead"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(refused, c.committed_dead_letters, "{:?}", c.by_reason);
    // What is left spans at most the window: 7 days behind, 1 day ahead.
    let partitions = walk(&lake.join("events"))
        .iter()
        .filter(|p| p.ends_with(".parquet"))
        .count();
    assert!(partitions <= 8 * 24 + 1, "{partitions} event files");
    assert!(
        c.committed_events < 200,
        "{} events kept",
        c.committed_events
    );
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_type().unwrap().is_dir() {
                todo.push(e.path());
            } else {
                out.push(e.path().display().to_string());
            }
        }
    }
    out
}
