//! The realistic model (TOML config, sessions, faults, ground truth): backfill and
//! determinism, the manifest against a recount, statistics, config errors.

mod backfill;
mod catalog;
mod config;
mod orders;
mod stats;
mod truth;

use csgen_model::realistic::Event;
use csgen_model::{Batch, EventEncoder, Format, RealisticConfig, RealisticModel, Shard};

/// 2026-11-02T00:00:00Z, a Monday.
pub const MONDAY: i64 = 1_793_577_600_000;
pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 24 * HOUR;

pub fn model(toml: &str, seed: u64) -> RealisticModel {
    let config = RealisticConfig::from_toml(toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    RealisticModel::new(&config, seed)
}

pub fn encode(model: &RealisticModel, events: &[Event], format: Format) -> Batch {
    let mut encoder = EventEncoder::new(format, model);
    let mut batch = Batch::with_capacity(events.len(), events.len() * 300);
    for e in events {
        encoder.push(model, e, &mut batch);
    }
    batch
}

pub fn whole(model: &RealisticModel, from: i64, to: i64) -> Vec<Event> {
    model.window(from, to, Shard::ALL)
}
