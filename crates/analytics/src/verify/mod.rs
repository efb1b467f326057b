//! `verify`: the lake against the ground-truth manifest of the realistic model.
//!
//! The manifest says, per hour of event time, how many valid events a run emitted and
//! how they break down, and lists every injected fault by event id. Verify reads the
//! lake with SQL ([`observe`]: aggregates per partition; [`ids`]: every event id;
//! [`dead`]: the dead letters) and compares ([`compare`], [`faults`]). Given the run's
//! model config it also regenerates the run ([`expect`]) to name missing and stray ids
//! exactly, and tests the lake's distributions against the config ([`stats`]).
//! [`report`] renders the verdict; [`findings`] is its data (`--json`).

mod compare;
mod dead;
mod expect;
mod faults;
mod findings;
mod hour;
mod ids;
mod observe;
mod report;
mod stats;

use std::sync::Arc;

use csgen_model::realistic::{Event, Fault, Page};
use csgen_model::{Manifest, RealisticConfig, RealisticModel};

pub use expect::Mismatch;
pub use findings::{
    Cell, ChiSquare, Diff, EXAMPLES, Example, FaultSummary, Finding, HourReport, Report,
};
pub use report::render;

use crate::error::AnalyticsError;
use crate::lake::Lake;

/// The default significance level of each distribution test.
pub const DEFAULT_ALPHA: f64 = 0.001;

/// What to verify against.
#[derive(Debug, Clone)]
pub struct Options {
    /// The run's model config: enables the id checks and the distribution tests.
    pub config: Option<RealisticConfig>,
    /// Significance level of each distribution test.
    pub alpha: f64,
    /// How to name the manifest in the report.
    pub truth_name: String,
}

/// Why verify could not give a verdict.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Records without their own id and time cannot be matched to the manifest.
    #[error(
        "the manifest is of a run in format {0:?}, whose records carry no event id or time \
         (the pipeline derives them on arrival); verify needs a run with --format json"
    )]
    Format(String),
    /// The config given is not the run's.
    #[error("the model config does not reproduce the manifest: {0}; pass the config of the run")]
    Model(#[from] Mismatch),
    #[error(transparent)]
    Lake(#[from] AnalyticsError),
    #[error("regenerating the model failed: {0}")]
    Task(String),
}

impl VerifyError {
    /// A problem with what was asked (exit status 2) rather than with the lake.
    pub fn is_usage(&self) -> bool {
        match self {
            Self::Format(_) | Self::Model(_) => true,
            Self::Lake(e) => e.is_usage(),
            Self::Task(_) => false,
        }
    }
}

/// Compares the lake with the manifest.
pub async fn verify(
    lake: &Lake,
    manifest: &Manifest,
    options: &Options,
) -> Result<Report, VerifyError> {
    if manifest.format != "json" {
        return Err(VerifyError::Format(manifest.format.clone()));
    }
    let model = options
        .config
        .as_ref()
        .map(|c| Arc::new(RealisticModel::new(c, manifest.seed)));
    let run = match &model {
        Some(m) => Some(run_key(m)),
        None => listed_run_key(manifest),
    };
    // Regenerating is CPU work; it runs beside the lake's queries.
    let regenerate = model.clone().map(|model| {
        let manifest = manifest.clone();
        tokio::task::spawn_blocking(move || expect::expected(&model, &manifest))
    });
    let (observed, ids, dead) = tokio::try_join!(
        observe::observe(lake),
        ids::LakeIds::scan(lake, run),
        dead::read(lake)
    )?;
    let expected = match regenerate {
        Some(task) => Some(task.await.map_err(|e| VerifyError::Task(e.to_string()))??),
        None => None,
    };

    let failed_hours = compare::hours(compare::Inputs {
        manifest,
        observed: &observed,
        ids: &ids,
        expected: expected.as_ref(),
    });
    let (faults, findings) = faults::faults(manifest, &observed, &ids, expected.as_ref(), &dead);
    let distributions = match &options.config {
        Some(config) => stats::tests(&ids, config, options.alpha),
        None => Vec::new(),
    };
    let mut notes = Vec::new();
    match &expected {
        None => notes.push(
            "ids and distributions not checked: pass --config with the run's model config"
                .to_owned(),
        ),
        Some(e) => {
            let partial: Vec<String> = e
                .hours
                .iter()
                .filter(|(_, h)| !h.complete)
                .map(|(i, _)| hour::key(*i))
                .collect();
            if !partial.is_empty() {
                notes.push(format!(
                    "emitted in part (the run's window cut them), so missing ids are not \
                     named for: {}",
                    partial.join(", ")
                ));
            }
        }
    }
    let hours = manifest
        .hours
        .keys()
        .chain(
            observed
                .hours
                .keys()
                .filter(|k| !manifest.hours.contains_key(*k)),
        )
        .count();
    Ok(Report {
        lake: lake.root().to_owned(),
        truth: options.truth_name.clone(),
        seed: manifest.seed,
        shards: manifest.shards.clone(),
        hours,
        expected_events: manifest.events,
        found_events: observed.hours.values().map(|h| h.events).sum(),
        rows: observed.hours.values().map(|h| h.rows).sum(),
        model_checked: expected.is_some(),
        failed_hours,
        findings,
        faults,
        distributions,
        notes,
    })
}

/// The high half of the model's event ids (the run key; the same for every event).
fn run_key(model: &RealisticModel) -> u64 {
    let any = Event {
        arrival_ms: 0,
        ts_ms: 0,
        key: 0,
        customer: 0,
        page: Page::Landing,
        fault: Fault::None,
        referrer: 0,
        campaign: 0,
        group: 0,
        product: None,
    };
    model.event_id(&any).as_u64_pair().0
}

/// The run key as the manifest's fault lists show it, if they list any id.
fn listed_run_key(manifest: &Manifest) -> Option<u64> {
    let f = &manifest.faults;
    [
        &f.duplicate.event_ids,
        &f.late.event_ids,
        &f.out_of_order.event_ids,
        &f.malformed.event_ids,
    ]
    .into_iter()
    .flatten()
    .find_map(|id| uuid::Uuid::try_parse(id).ok())
    .map(|u| u.as_u64_pair().0)
}
