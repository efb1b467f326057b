//! csgen-model's integration tests, one binary (see STYLE.md 9): the properties
//! syntax, config validation, property-based robustness and the fuzz corpora, the model's statistics,
//! determinism across chunks and shards, the record encoder and text snapshots.

mod common;
mod config_errors;
mod determinism;
mod encoder;
mod fuzz;
mod properties;
mod realistic;
mod snapshots;
mod statistics;
