//! csgen's pipeline: raw clicks in, semantic events in a Parquet lake out.
//!
//! - [`source`]: where raw records come from (`-`, a file, a Kinesis stream);
//! - [`enrich`]: one raw record → one [`event::Event`] or a dead-letter [`reason::Reason`];
//! - [`lake`]: the Parquet lake writer (local folder or S3) with exact restarts;
//! - [`run`]: `csgen enrich --from SOURCE --to lake:…` as a library call;
//! - [`sink`]: [`LakeSink`], the generator writing straight into the lake;
//! - [`ddl`]: the Glue/Athena table for a lake.

pub mod counters;
pub mod ddl;
pub mod dead_letter;
pub mod enrich;
pub mod event;
mod kinesis;
pub mod lake;
pub mod raw;
pub mod reason;
pub mod run;
pub mod session;
pub mod sink;
pub mod source;
pub mod time;
pub mod ua;
pub mod url;

pub use counters::{Counters, CountersSnapshot};
pub use enrich::{EnrichOptions, Enricher, Position};
pub use event::{Event, EventType};
pub use lake::{Compression, LakeError, LakeOptions, LakeSpec, LakeWriter, ShardPos, SourcePos};
pub use reason::Reason;
pub use run::{RunError, RunOptions, RunSummary, run};
pub use sink::LakeSink;
pub use source::SourceSpec;
