//! Integration tests of csgen-sinks against real local servers (one test binary).
//!
//! kinesalite, moto and tansu (Kafka) are installed by `scripts/setup.sh` and started
//! by [`csgen_testkit::Server`].

mod browse;
mod chaos;
mod cli;
mod firehose;
mod fuzz;
mod http;
mod kafka;
mod kafka_cli;
mod kinesis;
mod proxy;

use std::collections::HashMap;

use csgen_model::{Batch, Encoder, Format, Generator, Schedule, Shard, StoreConfig, produce};

/// Clicks `start..end` of the default store as JSON records.
pub fn json_batch(start: u64, end: u64) -> Batch {
    let config = StoreConfig::defaults();
    let generator = Generator::new(&config, 42);
    let mut encoder = Encoder::new(Format::Json, &config.store_url);
    let schedule = Schedule::new(0, 1_700_000_000_000, 1000.0);
    produce(&generator, &mut encoder, &schedule, Shard::ALL, start, end)
}

/// The event ids of clicks `start..end`, as in [`json_batch`].
pub fn event_ids(start: u64, end: u64) -> Vec<String> {
    let b = json_batch(start, end);
    b.clicks.iter().map(|c| c.event_id().to_string()).collect()
}

/// Counts each event id in JSON records; panics on a record that is not csgen JSON.
pub fn count_ids<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> HashMap<String, u32> {
    let mut seen = HashMap::new();
    for r in records {
        let v: serde_json::Value = serde_json::from_slice(r)
            .unwrap_or_else(|e| panic!("record {:?}: {e}", String::from_utf8_lossy(r)));
        let id = v["event_id"].as_str().expect("event_id").to_owned();
        *seen.entry(id).or_insert(0) += 1;
    }
    seen
}

pub use csgen_testkit::local_aws_env;
