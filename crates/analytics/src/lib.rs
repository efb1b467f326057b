//! csgen's analysis side, over the Parquet lake the pipeline writes:
//!
//! - SQL over the lake as table `events`, partition columns included (DataFusion);
//! - the standard reports (traffic, groups, products, users, sessions, funnel);
//! - `verify`: the lake against the realistic model's ground-truth manifest.

mod error;
pub mod escape;
pub mod lake;
pub mod output;
pub mod query;
mod range;
pub mod report;
pub mod verify;

pub use error::AnalyticsError;
pub use lake::{EventFile, Lake};
pub use query::{Access, QueryResult, QueryStats};
pub use range::TimeRange;
pub use report::{Reports, reports};
