//! What the sink benchmarks share: the records they all send.

use csgen_model::{Batch, Encoder, Format, Generator, Schedule, Shard, StoreConfig, produce};

/// Clicks `start..end` of the default store (seed 1) as JSON records, 1000 a second of
/// event time from 2023-11-14.
pub fn batch(start: u64, end: u64) -> Batch {
    let config = StoreConfig::defaults();
    let mut encoder = Encoder::new(Format::Json, &config.store_url);
    let schedule = Schedule::new(0, 1_700_000_000_000, 1000.0);
    let generator = Generator::new(&config, 1);
    produce(&generator, &mut encoder, &schedule, Shard::ALL, start, end)
}
