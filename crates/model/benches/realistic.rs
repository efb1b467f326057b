//! Realistic-model throughput on one core: session events generated and encoded as
//! JSON, with every part of the model on (population, seasonality, funnel, Zipf
//! popularity, referrers, campaigns and faults at the example file's rates).
//!
//! Each iteration backfills one whole day (Monday 2026-11-02, all 24 hours of the
//! profile) with one [`EventStream`], a minute at a time, as `--from/--to` does. The
//! stream first replays the sessions that may still deliver records at midnight (the
//! `max_duration_s` + `late_max_s` before it, 10 h here): that work is included.
//! The 2-thread cases run shards 1/2 and 2/2 of the same day on two threads.
//!
//! "october, json" is the work of issue 18's end-to-end command (`csgen generate
//! --config examples/store.toml --seed 1 --from 2026-10-01 --to 2026-11-01 --format
//! json --threads 1 -o /dev/null`): the example store as it is, seed 1, a month of
//! events generated and encoded, without the binary's I/O, so `scripts/bench-generate.sh
//! realistic` can be read against it.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use csgen_model::realistic::Event;
use csgen_model::{
    Batch, EventEncoder, EventStream, Format, RealisticConfig, RealisticModel, Shard,
};

const EXAMPLE: &str = include_str!("../../../examples/store.toml");
/// 2026-11-02T00:00:00Z, a Monday.
const FROM: i64 = 1_793_577_600_000;
const MINUTE: i64 = 60_000;
const DAY: i64 = 1440 * MINUTE;
/// Room per JSON record in a batch (the example store's records average ~450 bytes
/// since they carry the catalog and carts; a batch that outgrows it reallocates).
const RECORD_BYTES: usize = 480;

/// 2026-10-01T00:00:00Z and 2026-11-01T00:00:00Z: issue 18's month.
const OCTOBER: (i64, i64) = (1_790_812_800_000, 1_793_491_200_000);

/// Backfills the day; `sink` sees each minute's events. Returns the event count.
fn day(model: &RealisticModel, shard: Shard, sink: impl FnMut(&[Event])) -> usize {
    backfill(model, shard, (FROM, FROM + DAY), sink)
}

/// Backfills `[from, to)` a minute at a time; `sink` sees each minute's events.
fn backfill(
    model: &RealisticModel,
    shard: Shard,
    (from, to): (i64, i64),
    mut sink: impl FnMut(&[Event]),
) -> usize {
    let mut stream = EventStream::new(model, shard, from);
    let mut events = Vec::new();
    let mut n = 0;
    for minute in 1..=(to - from) / MINUTE {
        events.clear();
        stream.fill_until(from + minute * MINUTE, &mut events);
        sink(&events);
        n += events.len();
    }
    n
}

/// Events of `events` encoded as JSON into a batch sized for them, as a hand-off.
fn encode(model: &RealisticModel, encoder: &mut EventEncoder, events: &[Event]) -> Batch {
    let mut batch = Batch::with_capacity(events.len(), events.len() * RECORD_BYTES);
    for e in events {
        encoder.push(model, e, &mut batch);
    }
    batch
}

fn bench(c: &mut Criterion) {
    // The example file with a bigger store: 1 M sessions a day, 1 M customers.
    let text = EXAMPLE
        .replace("sessions_per_day = 20000", "sessions_per_day = 1000000")
        .replace("count = 10000", "count = 1000000")
        .replace("ids = [100000, 999999]", "ids = [1000000, 9999999]");
    let config = RealisticConfig::from_toml(&text).expect("valid");
    let model = RealisticModel::new(&config, 42);
    let n = day(&model, Shard::ALL, |_| {});
    assert!(n < DAY as usize, "fits the throughput count");
    let mut group = c.benchmark_group("realistic");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("backfill a day", |b| {
        b.iter(|| day(&model, Shard::ALL, |_| {}))
    });
    let mut encoder = EventEncoder::new(Format::Json, &model);
    group.bench_function("backfill a day, json", |b| {
        b.iter(|| {
            day(&model, Shard::ALL, |events| {
                std::hint::black_box(encode(&model, &mut encoder, events));
            })
        })
    });
    let shards: Vec<Shard> = ["1/2", "2/2"]
        .iter()
        .map(|s| s.parse().expect("shard"))
        .collect();
    group.bench_function("backfill a day, 2 shards on 2 threads", |b| {
        b.iter(|| two_threads(&model, &shards, false))
    });
    group.bench_function("backfill a day, json, 2 shards on 2 threads", |b| {
        b.iter(|| two_threads(&model, &shards, true))
    });
    group.finish();

    // Issue 18's command: the example store as it is, seed 1, October 2026, JSON.
    let config = RealisticConfig::from_toml(EXAMPLE).expect("valid");
    let model = RealisticModel::new(&config, 1);
    let n = backfill(&model, Shard::ALL, OCTOBER, |_| {});
    let mut group = c.benchmark_group("realistic end-to-end work");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    let mut encoder = EventEncoder::new(Format::Json, &model);
    group.bench_function("october, json", |b| {
        b.iter(|| {
            backfill(&model, Shard::ALL, OCTOBER, |events| {
                std::hint::black_box(encode(&model, &mut encoder, events));
            })
        })
    });
    group.finish();
}

/// Each shard's day on its own thread (with its own encoder); returns the event count.
fn two_threads(model: &RealisticModel, shards: &[Shard], json: bool) -> usize {
    std::thread::scope(|scope| {
        let handles: Vec<_> = shards
            .iter()
            .map(|&shard| {
                scope.spawn(move || {
                    let mut encoder = EventEncoder::new(Format::Json, model);
                    day(model, shard, |events| {
                        if json {
                            std::hint::black_box(encode(model, &mut encoder, events));
                        }
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .sum()
    })
}

criterion_group!(benches, bench);
criterion_main!(benches);
