//! csgen's shopper model: configuration, click generation and record encoding.
//!
//! Everything here is pure: no files, sockets, clocks or global random state. Text
//! goes in ([`StoreConfig::from_properties_text`]), a seeded [`Generator`] turns
//! sequence numbers and times into [`Click`]s, and an [`Encoder`] writes them as
//! records into a [`Batch`] for the sinks.

pub mod classic;
pub mod click;
pub mod config;
pub mod error;
pub mod fuzzing;
pub mod load;
pub mod properties;
pub mod rate;
pub mod realistic;
pub mod record;
pub mod run;
pub mod schedule;
pub mod shard;
pub mod timestamp;
pub mod validate;

pub use click::{Click, Generator};
pub use config::{Group, IdRange, Loaded, StoreConfig};
pub use error::{ConfigError, Problem};
pub use load::{ModelConfig, Syntax};
pub use realistic::{
    EventEncoder, EventStream, Manifest, RealisticConfig, RealisticModel, TruthBuilder,
};
pub use record::{Batch, Encoder, Format};
pub use run::{MergeError, RunIdentity};
pub use schedule::Schedule;
pub use shard::{Shard, ShardEnvError, ShardSpec};

/// Encodes clicks `start..end` of the shard into a batch, stamped by the schedule.
pub fn produce(
    generator: &Generator,
    encoder: &mut Encoder,
    schedule: &Schedule,
    shard: Shard,
    start: u64,
    end: u64,
) -> Batch {
    let n = shard.owned_in(start, end) as usize;
    let mut batch = Batch::with_capacity(n, n * encoder.record_len_hint());
    let mut seq = shard.next_owned(start);
    while seq < end {
        batch.push(encoder, generator.click(seq, schedule.ts_ms(seq)));
        seq += shard.count();
    }
    batch
}
