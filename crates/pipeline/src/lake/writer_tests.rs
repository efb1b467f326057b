//! The writer's bounds and its flush's failure behaviour.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use csgen_model::{Encoder, Format, Generator, StoreConfig};

use super::*;
use crate::enrich::{EnrichOptions, Enricher, Position};
use crate::lake::FlushHook;

const START_MS: i64 = 1_795_418_780_123;

/// `n` generated JSON records from `START_MS`, `step_ms` apart.
fn records(n: u64, step_ms: i64) -> Vec<Vec<u8>> {
    records_from(START_MS, n, step_ms)
}

fn records_from(start_ms: i64, n: u64, step_ms: i64) -> Vec<Vec<u8>> {
    let config = StoreConfig::defaults();
    let g = Generator::new(&config, 9);
    let mut enc = Encoder::new(Format::Json, &config.store_url);
    (0..n)
        .map(|seq| {
            let mut line = Vec::new();
            enc.encode(&g.click(seq, start_ms + seq as i64 * step_ms), &mut line);
            line
        })
        .collect()
}

#[test]
fn buffer_estimate_covers_the_builders_memory() {
    // The first release counted raw bytes only: 20,000 one-event partitions held
    // 1.3 GB of builders against a 64 MiB limit.
    let mut e = Enricher::new(&StoreConfig::defaults(), &EnrichOptions::default());
    for n in [1usize, 10, 1000, 5000] {
        let mut cols = Columns::default();
        let mut estimate = PARTITION_BYTES;
        for line in records(n as u64, 1) {
            let ev = e.enrich(&line, Position::default()).unwrap();
            cols.push(&ev);
            estimate += line.len() + ROW_BYTES;
        }
        let actual: usize = cols
            .finish()
            .unwrap()
            .iter()
            .map(RecordBatch::get_array_memory_size)
            .sum();
        assert!(
            actual <= estimate,
            "{n} rows: builders hold {actual} bytes, the estimate says {estimate}"
        );
    }
}

async fn writer(lake: &std::path::Path, options: LakeOptions) -> LakeWriter {
    let (w, _) = LakeWriter::open(
        Store::Local(lake.to_owned()),
        options,
        None,
        Arc::new(Counters::default()),
    )
    .await
    .unwrap();
    w
}

fn push_all(w: &mut LakeWriter, lines: &[Vec<u8>]) {
    let mut e = Enricher::new(&StoreConfig::defaults(), &EnrichOptions::default());
    for line in lines {
        let ev = e.enrich(line, Position::default()).unwrap();
        w.push(&ev, line.len(), Instant::now());
    }
}

#[tokio::test]
async fn open_partitions_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let options = LakeOptions {
        max_partitions: 16,
        ..LakeOptions::default()
    };
    let mut w = writer(dir.path(), options).await;
    let lines = records(15, 3_600_000);
    push_all(&mut w, &lines);
    assert!(!w.is_full(), "15 partitions of 16");
    push_all(&mut w, &records_from(START_MS - 3_600_000, 1, 0));
    assert!(w.is_full(), "the sixteenth partition fills the writer");
    w.flush(&SourcePos::default()).await.unwrap();
    assert!(!w.is_full() && w.is_empty());
}

#[tokio::test]
async fn a_failed_flush_keeps_its_events_and_commits_them_once_later() {
    // The first release took the buffers before any I/O: a failed flush lost them,
    // and the next commit counted them as delivered.
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    std::fs::create_dir_all(&lake).unwrap();
    // `_csgen` as a file: staging under it fails until it is removed.
    std::fs::write(lake.join("_csgen"), b"in the way").unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let seen = done.clone();
    let mut w = writer(&lake, LakeOptions::default()).await;
    w.set_hook(Some(FlushHook(Arc::new(move |stage, k| {
        if stage == FlushStage::Done {
            seen.store(k, Ordering::SeqCst);
        }
    }))));
    push_all(&mut w, &records(100, 1000));
    assert!(w.flush(&SourcePos::default()).await.is_err());
    assert_eq!(w.unfinished(), Some((100, 0)), "the events wait, not lost");
    assert!(w.is_full(), "and the writer asks to be flushed again");
    assert_eq!(w.counters.snapshot().committed_events, 0);

    std::fs::remove_file(lake.join("_csgen")).unwrap();
    push_all(&mut w, &records(50, 1000));
    let report = w.flush(&SourcePos::default()).await.unwrap();
    assert_eq!(report.events, 150);
    assert_eq!(w.counters.snapshot().committed_events, 150);
    assert_eq!(
        done.load(Ordering::SeqCst),
        2,
        "flush 1 finished, then flush 2"
    );
    let files = std::fs::read_dir(lake.join("events/dt=2026-11-23/hour=07"))
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>();
    assert!(
        files.iter().any(|f| f.ends_with("-000001-0000.parquet")),
        "{files:?}"
    );
    assert!(
        files.iter().any(|f| f.ends_with("-000002-0000.parquet")),
        "{files:?}"
    );
}

#[tokio::test]
async fn a_cancelled_flush_is_finished_by_the_next_with_the_same_number() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = writer(dir.path(), LakeOptions::default()).await;
    push_all(&mut w, &records(200, 1000));
    // A caller's deadline cuts the flush off at its first await.
    let cut = tokio::time::timeout(Duration::ZERO, w.flush(&SourcePos::default())).await;
    assert!(cut.is_err(), "the flush was cancelled");
    assert_eq!(w.unfinished(), Some((200, 0)));
    let report = w.flush(&SourcePos::default()).await.unwrap();
    assert_eq!(report.events, 200);
    assert_eq!(w.counters.snapshot().committed_events, 200);
    assert_eq!(
        w.flush_seq, 1,
        "the cancelled flush's number was not reused or skipped"
    );
}

#[tokio::test]
async fn a_flush_behind_commits_in_order_and_counts_only_when_committed() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = writer(dir.path(), LakeOptions::default()).await;
    w.set_flush_behind(true);
    let pos = |offset| SourcePos {
        offset,
        ..SourcePos::default()
    };
    push_all(&mut w, &records(300, 1000));
    let held = w.buffered_bytes();
    let first = w.flush_behind(&pos(1)).await.unwrap();
    assert_eq!(first.events, 0, "nothing was in flight before");
    assert!(w.is_encoding());
    assert_eq!(w.unfinished(), Some((300, 0)));
    assert_eq!(w.buffered_bytes(), held, "what is in flight still counts");
    assert_eq!(w.counters.snapshot().committed_events, 0);

    push_all(&mut w, &records(200, 1000));
    assert!(w.buffered_bytes() > held);
    let second = w.flush_behind(&pos(2)).await.unwrap();
    assert_eq!(
        second.events, 300,
        "flush 1 committed before flush 2 started"
    );
    assert_eq!(w.committed(), &pos(1));
    assert_eq!(w.counters.snapshot().committed_events, 300);
    assert_eq!(w.unfinished(), Some((200, 0)));

    let last = w.flush(&pos(2)).await.unwrap();
    assert_eq!(last.events, 200);
    assert_eq!((w.flush_seq, w.committed()), (2, &pos(2)));
    assert!(w.is_empty() && w.buffered_bytes() == 0);
    assert_eq!(w.counters.snapshot().committed_events, 500);
}

#[tokio::test]
async fn a_cancelled_wait_for_a_flush_behind_leaves_it_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = writer(dir.path(), LakeOptions::default()).await;
    push_all(&mut w, &records(2000, 1000));
    w.flush_behind(&SourcePos::default()).await.unwrap();
    // Encoding 2,000 rows takes milliseconds: the wait is cut off before it ends.
    let cut = tokio::time::timeout(Duration::ZERO, w.finish_in_flight()).await;
    assert!(cut.is_err(), "the wait was cancelled");
    assert!(w.is_encoding());
    assert_eq!(w.unfinished(), Some((2000, 0)), "the events wait, not lost");
    assert_eq!(w.counters.snapshot().committed_events, 0);
    let report = w.finish_in_flight().await.unwrap();
    assert_eq!(report.events, 2000);
    assert_eq!(
        w.counters.snapshot().committed_events,
        2000,
        "committed once"
    );
    assert_eq!(w.flush_seq, 1);
    assert!(w.is_empty());
}

#[tokio::test]
async fn a_flush_behind_that_fails_to_stage_stays_pending_and_commits_once() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    std::fs::create_dir_all(&lake).unwrap();
    std::fs::write(lake.join("_csgen"), b"in the way").unwrap();
    let mut w = writer(&lake, LakeOptions::default()).await;
    push_all(&mut w, &records(100, 1000));
    w.flush_behind(&SourcePos::default()).await.unwrap();
    assert!(w.finish_in_flight().await.is_err());
    assert_eq!(w.unfinished(), Some((100, 0)));
    assert!(
        w.is_full() && !w.wants_flush_behind(),
        "a plain flush must finish it"
    );
    assert_eq!(w.counters.snapshot().committed_events, 0);
    std::fs::remove_file(lake.join("_csgen")).unwrap();
    push_all(&mut w, &records(50, 1000));
    assert_eq!(w.flush(&SourcePos::default()).await.unwrap().events, 150);
    assert_eq!(
        (w.counters.snapshot().committed_events, w.flush_seq),
        (150, 2)
    );
}

#[tokio::test]
async fn flushes_behind_start_at_half_the_buffer_so_both_fit_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let max = 256 << 10;
    let options = LakeOptions {
        max_buffer_bytes: max,
        ..LakeOptions::default()
    };
    let mut w = writer(dir.path(), options).await;
    let lines = records(4000, 1000);
    let mut e = Enricher::new(&StoreConfig::defaults(), &EnrichOptions::default());
    assert!(!w.wants_flush_behind(), "off unless asked for");
    w.set_flush_behind(true);
    let (mut flushes, mut peak) = (0, 0);
    for line in &lines {
        let ev = e.enrich(line, Position::default()).unwrap();
        w.push(&ev, line.len(), Instant::now());
        peak = peak.max(w.buffered_bytes());
        if w.is_full() || w.wants_flush_behind() {
            assert!(w.wants_flush_behind());
            w.flush_behind(&SourcePos::default()).await.unwrap();
            flushes += 1;
        }
    }
    w.flush(&SourcePos::default()).await.unwrap();
    assert!(flushes >= 4, "{flushes} flushes behind");
    assert!(
        peak <= max + PARTITION_BYTES + 2000,
        "in flight and buffered: {peak} of {max}"
    );
    assert_eq!(w.counters.snapshot().committed_events, 4000);
}

/// Every file of `lake`: relative path and bytes, sorted by path.
fn files_of(lake: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    csgen_testkit::files_under(lake)
        .into_iter()
        .map(|rel| {
            let bytes = std::fs::read(lake.join(&rel)).unwrap();
            (rel, bytes)
        })
        .collect()
}

#[tokio::test]
async fn a_flush_writes_the_same_files_whatever_threads_encode_it() {
    // Twelve hours of events, so that threads have partitions to share; flushed behind,
    // then inline.
    let lines = records(1200, 36_000);
    let mut lakes = Vec::new();
    for threads in [1, 2, 5, 40] {
        let dir = tempfile::tempdir().unwrap();
        let options = LakeOptions {
            writer_id: Some("same".into()),
            ..LakeOptions::default()
        };
        let mut w = writer(dir.path(), options).await;
        w.set_encode_threads(threads);
        push_all(&mut w, &lines[..700]);
        w.set_flush_behind(true);
        w.flush_behind(&SourcePos::default()).await.unwrap();
        push_all(&mut w, &lines[700..]);
        let report = w.flush(&SourcePos::default()).await.unwrap();
        assert_eq!(
            w.counters.snapshot().committed_events,
            1200,
            "{threads} threads"
        );
        assert!(report.files.len() >= 5, "{threads} threads: {report:?}");
        lakes.push((threads, files_of(dir.path())));
    }
    let (_, one) = &lakes[0];
    // 13 hours (the first starts at :26), one of them in both flushes.
    assert_eq!(
        one.iter().filter(|(p, _)| p.ends_with(".parquet")).count(),
        14
    );
    for (threads, files) in &lakes[1..] {
        let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
        assert_eq!(names(files), names(one), "{threads} threads: other files");
        assert!(
            files == one,
            "{threads} threads: the same files with other bytes"
        );
    }
}

#[tokio::test]
async fn a_flush_behind_is_encoded_while_the_reader_never_yields() {
    // The first version spawned the encoding from inside a task: on this test's
    // single-threaded runtime (and for a reader whose input is always ready) it did not
    // start until the reader awaited, so nothing was encoded behind.
    let dir = tempfile::tempdir().unwrap();
    let mut w = writer(dir.path(), LakeOptions::default()).await;
    w.set_encode_threads(2);
    w.set_flush_behind(true);
    push_all(&mut w, &records(1200, 36_000));
    w.flush_behind(&SourcePos::default()).await.unwrap();
    // No await from here until the encoding threads took every partition: the reader
    // keeps the thread.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !w.encoding.as_ref().unwrap().all_taken() {
        assert!(Instant::now() < deadline, "the flush behind never started");
        std::thread::yield_now();
    }
    w.flush(&SourcePos::default()).await.unwrap();
    assert_eq!(w.counters.snapshot().committed_events, 1200);
}
