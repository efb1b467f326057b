//! Generator and encoder throughput, one core.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use csgen_model::{Encoder, Format, Generator, Schedule, Shard, StoreConfig, produce};

fn bench(c: &mut Criterion) {
    let config = StoreConfig::defaults();
    let generator = Generator::new(&config, 42);
    let schedule = Schedule::new(0, 1_795_000_000_000, 1000.0);
    const N: u64 = 100_000;
    let mut group = c.benchmark_group("model");
    group.throughput(Throughput::Elements(N));
    group.bench_function("draw clicks", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for seq in 0..N {
                sum = sum.wrapping_add(generator.click(seq, 0).user_id);
            }
            sum
        })
    });
    for format in [Format::Url, Format::Json] {
        let mut encoder = Encoder::new(format, &config.store_url);
        let mut start = 0;
        group.bench_function(format!("{format} records"), |b| {
            b.iter(|| {
                let batch = produce(
                    &generator,
                    &mut encoder,
                    &schedule,
                    Shard::ALL,
                    start,
                    start + N,
                );
                start += N;
                batch.data.len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
