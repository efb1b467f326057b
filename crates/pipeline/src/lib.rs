//! csgen's pipeline: raw clicks in, semantic events in a Parquet lake out.
//!
//! - [`source`]: the source registry (`-`, a file, a Kinesis stream), each source
//!   only yielding records with their position;
//! - [`driver`]: the one loop that runs any source into the lake (`csgen enrich`);
//! - [`step`]: one record through enrich into the lake writer, shared with the lake sink;
//! - [`enrich`]: one raw record → one [`event::Event`] or a dead-letter [`reason::Reason`];
//! - [`lake`]: the Parquet lake writer (local folder or S3) with exact restarts;
//! - [`endpoint`]: what sources and sinks share (spec grammar, durations, AWS and Kafka
//!   client config);
//! - [`ddl`]: the Glue/Athena table for a lake;
//! - [`fuzzing`]: the readers' entry points for the fuzz targets and their replay.

pub mod counters;
pub mod ddl;
pub mod dead_letter;
pub mod driver;
pub mod endpoint;
pub mod enrich;
pub mod event;
pub mod fuzzing;
pub mod hash;
pub mod lake;
pub mod money;
pub mod raw;
pub mod reason;
pub mod session;
pub mod source;
pub mod step;
pub mod time;
pub mod ua;
pub mod url;
pub mod window;

pub use counters::{Counters, CountersSnapshot};
pub use driver::{RunError, RunOptions, RunSummary, run};
pub use endpoint::aws::AwsSettings;
pub use enrich::{EnrichOptions, Enricher, Position};
pub use event::{Details, Event, EventType};
pub use lake::{Compression, LakeError, LakeOptions, LakeSpec, LakeWriter, ShardPos, SourcePos};
pub use money::Money;
pub use reason::Reason;
pub use source::{Source, SourceSpec};
pub use step::EnrichStep;
pub use window::EventWindow;
