//! Integration tests of csgen-analytics over a real lake written by the pipeline:
//! SQL and partition pruning, and every standard report, snapshotted and checked
//! against DuckDB on the same files.

mod dimensions;
mod items;
mod old_lake;
mod query;
mod report;
mod s3;
mod support;
mod verify;
