//! Generator and encoder throughput, one core.
//!
//! `draw clicks` is the model alone; `url records` and `json records` are `produce`
//! (draw, encode, build the `Batch` sinks receive) over batches of 8,192 records, the
//! pacer's chunk size; the `batch 100000` variants show the cost once a batch no longer
//! fits the caches. Run: `cargo bench -p csgen-model --bench model -- --warm-up-time 1
//! --measurement-time 3`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use csgen_model::{Encoder, Format, Generator, Schedule, Shard, StoreConfig, produce};

/// Records per `produce` call in the pacer (`csgen_pacer::CHUNK`).
const CHUNK: u64 = 8192;

fn bench(c: &mut Criterion) {
    let config = StoreConfig::defaults();
    let generator = Generator::new(&config, 42);
    let schedule = Schedule::new(0, 1_795_000_000_000, 1000.0);
    let mut group = c.benchmark_group("model");

    const DRAWS: u64 = 100_000;
    group.throughput(Throughput::Elements(DRAWS));
    group.bench_function("draw clicks", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for seq in 0..DRAWS {
                sum = sum.wrapping_add(generator.click(seq, 0).user_id);
            }
            sum
        })
    });

    for (format, n) in [
        (Format::Url, CHUNK),
        (Format::Json, CHUNK),
        (Format::UrlObject, CHUNK),
        (Format::Url, 100_000),
        (Format::Json, 100_000),
    ] {
        let name = match n {
            CHUNK => format!("{format} records"),
            _ => format!("{format} records (batch {n})"),
        };
        let mut encoder = Encoder::new(format, &config.store_url);
        let mut start = 0;
        group.throughput(Throughput::Elements(n));
        group.bench_function(name, |b| {
            b.iter(|| {
                let batch = produce(
                    &generator,
                    &mut encoder,
                    &schedule,
                    Shard::ALL,
                    start,
                    start + n,
                );
                start += n;
                batch.data.len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
