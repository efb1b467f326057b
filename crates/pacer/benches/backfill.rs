//! The issue-18 backfill, in process: the example store (`examples/store.toml`, seed 1)
//! from 2026-10-01 to 2026-11-01 as JSON, the work of
//! `csgen generate --config examples/store.toml --seed 1 --from 2026-10-01 --to
//! 2026-11-01 --format json -o /dev/null`.
//!
//! `model` is the ceiling: one [`EventStream`] read a minute at a time and encoded,
//! as the model's realistic bench does, with no sink and no threads. `pacer` runs the
//! same work through [`csgen_pacer::run`] into a sink that drops what it gets, with
//! one and two worker threads: what the hand-off between threads costs. The end-to-end
//! figure of the binary (`scripts/bench-generate.sh`) adds process start-up and the
//! writes. Run: `cargo bench -p csgen-pacer --bench backfill`.

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use csgen_model::realistic::{EventEncoder, EventStream, RealisticModel};
use csgen_model::{Batch, Format, RealisticConfig};
use csgen_pacer::{Control, Model, Plan};
use csgen_sinks::{Sink, SinkError, SinkStats};

/// 2026-10-01T00:00:00Z and 2026-11-01T00:00:00Z.
const FROM: i64 = 1_790_812_800_000;
const TO: i64 = 1_793_491_200_000;

/// Counts what it is sent and drops it.
#[derive(Default)]
struct Discard(Arc<SinkStats>);

#[async_trait::async_trait]
impl Sink for Discard {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        self.0.add_delivered(batch.len() as u64);
        Ok(())
    }
    async fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
    fn stats(&self) -> &Arc<SinkStats> {
        &self.0
    }
    fn describe(&self) -> String {
        "drop".into()
    }
}

/// The month through one stream, a minute at a time; returns the event count.
fn model_only(model: &RealisticModel) -> usize {
    let mut stream = EventStream::new(model, csgen_model::Shard::ALL, FROM);
    let mut encoder = EventEncoder::new(Format::Json, model);
    let mut events = Vec::new();
    let mut n = 0;
    let mut t = FROM;
    while t < TO {
        t = (t + 60_000).min(TO);
        events.clear();
        stream.fill_until(t, &mut events);
        let mut batch = Batch::with_capacity(events.len(), events.len() * 440);
        for e in &events {
            encoder.push(model, e, &mut batch);
        }
        n += batch.len();
    }
    n
}

fn through_pacer(rt: &tokio::runtime::Runtime, model: &Arc<RealisticModel>, threads: usize) -> u64 {
    let plan = Plan {
        threads,
        ..Plan::new(
            Model::Realistic {
                model: model.clone(),
                format: Format::Json,
                until_ms: Some(TO),
                then_live: false,
                truth: false,
            },
            FROM,
        )
    };
    let mut sink = Discard::default();
    rt.block_on(csgen_pacer::run(&mut sink, plan, &Control::new(1.0)))
        .emitted
}

fn bench(c: &mut Criterion) {
    let text = include_str!("../../../examples/store.toml");
    let config = RealisticConfig::from_toml(text).expect("the example store is valid");
    let model = Arc::new(RealisticModel::new(&config, 1));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let n = model_only(&model);
    assert_eq!(through_pacer(&rt, &model, 2), n as u64);

    let mut group = c.benchmark_group("backfill example store, October 2026, json");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(25));
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("model, one stream", |b| b.iter(|| model_only(&model)));
    for threads in [1, 2] {
        group.bench_function(format!("pacer, {threads} thread(s), to a null sink"), |b| {
            b.iter(|| through_pacer(&rt, &model, threads))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
