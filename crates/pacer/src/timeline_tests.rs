//! Realistic backfills: whatever the threads, the sink gets exactly one stream's
//! records in one stream's order, in batches of thousands, and the truth of exactly
//! what it got.

use std::sync::Arc;

use csgen_model::realistic::{EventEncoder, EventStream, Manifest, RealisticModel, TruthBuilder};
use csgen_model::{Batch, Format, RealisticConfig, Shard};

use crate::tests::Recorder;
use crate::{CHUNK, Control, Model, Plan, StopReason, run};

/// 2026-10-01T00:00:00Z, where the month-long backfill starts.
const FROM: i64 = 1_790_812_800_000;
const HOUR: i64 = 3_600_000;

fn example() -> Arc<RealisticModel> {
    let text = include_str!("../../../examples/store.toml");
    let config = RealisticConfig::from_toml(text).expect("the example store is valid");
    Arc::new(RealisticModel::new(&config, 1))
}

/// What one stream gives for `from..to`, read a minute at a time as the pacer used to,
/// with its manifest.
fn reference(model: &RealisticModel, shard: Shard, to: i64, count: usize) -> (Vec<u8>, Manifest) {
    let mut stream = EventStream::new(model, shard, FROM);
    let mut events = Vec::new();
    let mut t = FROM;
    while t < to {
        t = (t + 60_000).min(to);
        stream.fill_until(t, &mut events);
    }
    events.truncate(count);
    let mut encoder = EventEncoder::new(Format::Json, model);
    let mut batch = Batch::default();
    for e in &events {
        encoder.push(model, e, &mut batch);
    }
    let mut truth = TruthBuilder::new(model, Format::Json, shard);
    truth.add_all(&events);
    (batch.into_data(), truth.finish())
}

fn backfill(model: &Arc<RealisticModel>, to: i64, shard: Shard, threads: usize) -> Plan {
    let model = Model::Realistic {
        model: model.clone(),
        format: Format::Json,
        until_ms: Some(to),
        then_live: false,
        truth: true,
    };
    Plan {
        shard,
        threads,
        ..Plan::new(model, FROM)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_emits_one_streams_records_whatever_the_threads() {
    let model = example();
    let to = FROM + 12 * HOUR;
    for shard in [Shard::ALL, Shard::new(2, 3).unwrap()] {
        let (want, truth) = reference(&model, shard, to, usize::MAX);
        assert!(want.len() > 1_000_000, "more than a few batches' worth");
        for threads in [1, 2, 3] {
            let mut sink = Recorder::default();
            let plan = backfill(&model, to, shard, threads);
            let out = run(&mut sink, plan, &Control::new(1.0)).await;
            assert_eq!(out.reason, StopReason::CountReached, "{shard} {threads}");
            assert!(
                sink.data == want,
                "shard {shard}, {threads} threads: the records differ from one stream's"
            );
            assert_eq!(out.manifest.as_ref(), Some(&truth), "{shard} {threads}");
        }
    }
}

// Issue 18: the backfill handed the sink one batch per minute of simulated time, a
// handful of events for a small store (one futex per ~5 events, 18 KB writes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_hands_the_sink_batches_of_thousands_not_a_minute_at_a_time() {
    let model = example();
    let to = FROM + 24 * HOUR;
    for threads in [1, 2] {
        let mut sink = Recorder::default();
        run(
            &mut sink,
            backfill(&model, to, Shard::ALL, threads),
            &Control::new(1.0),
        )
        .await;
        let n = sink.clicks.len();
        assert!(n > 2 * CHUNK as usize, "{n} events");
        assert!(
            sink.sends <= n / CHUNK as usize + 1,
            "{threads} threads: {n} events in {} batches",
            sink.sends
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_count_cuts_a_backfill_at_exactly_that_many_events() {
    let model = example();
    let to = FROM + 12 * HOUR;
    let (want, truth) = reference(&model, Shard::ALL, to, 10_001);
    for threads in [1, 2] {
        let mut sink = Recorder::default();
        let plan = Plan {
            count: Some(10_001),
            ..backfill(&model, to, Shard::ALL, threads)
        };
        let out = run(&mut sink, plan, &Control::new(1.0)).await;
        assert_eq!(out.reason, StopReason::CountReached);
        assert_eq!((out.emitted, out.next_seq), (10_001, 10_001));
        assert!(sink.data == want, "{threads} threads");
        assert_eq!(out.manifest.as_ref(), Some(&truth));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_backfill_ends_without_emitting_the_rest() {
    let model = example();
    let control = Control::new(1.0);
    control.stop();
    let mut sink = Recorder::default();
    let out = run(
        &mut sink,
        backfill(&model, FROM + 24 * HOUR, Shard::ALL, 2),
        &control,
    )
    .await;
    assert_eq!(out.reason, StopReason::Stopped);
    assert_eq!(sink.clicks.len(), 0);
}
