//! Realistic-model throughput on one core: session events generated and encoded as
//! JSON, with every part of the model on (population, seasonality, funnel, Zipf
//! popularity, referrers, campaigns and faults at the example file's rates).
//!
//! Each iteration backfills one whole day (Monday 2026-11-02, all 24 hours of the
//! profile) with one [`EventStream`], a minute at a time, as `--from/--to` does.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use csgen_model::{
    Batch, EventEncoder, EventStream, Format, RealisticConfig, RealisticModel, Shard,
};

const EXAMPLE: &str = include_str!("../../../examples/store.toml");
/// 2026-11-02T00:00:00Z, a Monday.
const FROM: i64 = 1_793_577_600_000;
const MINUTE: i64 = 60_000;
const DAY: i64 = 1440 * MINUTE;

/// Backfills the day; `sink` sees each minute's events. Returns the event count.
fn day(model: &RealisticModel, mut sink: impl FnMut(&[csgen_model::realistic::Event])) -> usize {
    let mut stream = EventStream::new(model, Shard::ALL, FROM);
    let mut events = Vec::new();
    let mut n = 0;
    for minute in 1..=1440 {
        events.clear();
        stream.fill_until(FROM + minute * MINUTE, &mut events);
        sink(&events);
        n += events.len();
    }
    n
}

fn bench(c: &mut Criterion) {
    // The example file with a bigger store: 1 M sessions a day, 1 M customers.
    let text = EXAMPLE
        .replace("sessions_per_day = 20000", "sessions_per_day = 1000000")
        .replace("count = 10000", "count = 1000000")
        .replace("ids = [100000, 999999]", "ids = [1000000, 9999999]");
    let config = RealisticConfig::from_toml(&text).expect("valid");
    let model = RealisticModel::new(&config, 42);
    let n = day(&model, |_| {});
    assert!(n < DAY as usize, "fits the throughput count");
    let mut group = c.benchmark_group("realistic");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("backfill a day", |b| b.iter(|| day(&model, |_| {})));
    let mut encoder = EventEncoder::new(Format::Json, &model);
    let mut batch = Batch::default();
    group.bench_function("backfill a day, json", |b| {
        b.iter(|| {
            day(&model, |events| {
                batch = Batch::with_capacity(events.len(), events.len() * 440);
                for e in events {
                    encoder.push(&model, e, &mut batch);
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
