//! What the controller runs: the classic model paced by a rate, or the realistic model
//! paced by the wall clock. One closed enum, one `match` per run.
//!
//! The two differ in what `/start`, `/stop` and `/rate` mean:
//!
//! - **classic**: a run emits clicks at the target rate, stamped from the wall clock at
//!   its start; the next run continues the sequence where the last one stopped (event
//!   ids are never reused). `/rate` changes the rate at once.
//! - **realistic**: the model is a function of time (sessions arrive as the daily
//!   profile says), and a run emits each event when the wall clock reaches its arrival
//!   time. The first run may first backfill a recent span as fast as the sink takes it,
//!   then hands over to live time. A later start continues live from the wall clock:
//!   the time spent stopped has no events, sessions open across the gap go on, and no
//!   event is emitted twice. `/rate` is refused: the volume is the configuration's
//!   `store.sessions_per_day`, shaped by its hour-of-day and day-of-week profile.

use std::sync::Arc;
use std::time::Duration;

use csgen_model::realistic::RealisticModel;
use csgen_model::{Encoder, Format, Generator, Shard};
use csgen_pacer::{Control, Model, Outcome, Pacing, Plan};
use csgen_sinks::Sink;
use tokio::task::JoinHandle;

use crate::control::Clock;

/// The model a controller drives.
pub enum Workload {
    /// The original's model: independent clicks at a target rate (events per second).
    Classic {
        generator: Arc<Generator>,
        encoder: Encoder,
        rate: f64,
    },
    /// The realistic model, live on the wall clock.
    Realistic {
        model: Arc<RealisticModel>,
        format: Format,
        /// Before going live, the first run backfills this much of the recent past.
        backfill: Option<Duration>,
    },
}

impl Workload {
    /// `classic` or `realistic`, as `/status` names it.
    pub fn name(&self) -> &'static str {
        match self {
            Workload::Classic { .. } => "classic",
            Workload::Realistic { .. } => "realistic",
        }
    }

    /// The rate before any `/rate`: the classic target, or the mean events per second
    /// that the realistic profile implies.
    pub fn initial_rate(&self) -> f64 {
        match self {
            Workload::Classic { rate, .. } => *rate,
            Workload::Realistic { model, .. } => model.config().store.clicks_per_second,
        }
    }

    /// Whether `/rate` may change the pace.
    pub fn has_settable_rate(&self) -> bool {
        matches!(self, Workload::Classic { .. })
    }

    /// Spawns one run into `sink`; the task gives the sink back with the outcome.
    pub(crate) fn spawn<S: Sink + 'static>(
        &self,
        mut sink: S,
        run: RunSettings,
        resume: &Resume,
        control: Control,
    ) -> JoinHandle<(S, Outcome)> {
        let now = (run.clock)();
        let (model, start_ms) = match self {
            Workload::Classic {
                generator, encoder, ..
            } => {
                let model = Model::Classic {
                    generator: generator.clone(),
                    encoder: encoder.clone(),
                    pacing: Pacing::Rate(control.rate()),
                    start_seq: resume.next_seq,
                };
                (model, now)
            }
            Workload::Realistic {
                model,
                format,
                backfill,
            } => {
                let (from_ms, until_ms) = match (resume.live_from_ms, backfill) {
                    (None, Some(span)) => {
                        let span = i64::try_from(span.as_millis()).unwrap_or(i64::MAX);
                        (now.saturating_sub(span), Some(now))
                    }
                    (None, None) => (now, None),
                    // Never before where the last run ended, even if the clock went back.
                    (Some(from), _) => (from.max(now), None),
                };
                let model = Model::Realistic {
                    model: model.clone(),
                    format: *format,
                    until_ms,
                    then_live: true,
                    truth: false,
                };
                (model, from_ms)
            }
        };
        let plan = Plan {
            shard: run.shard,
            flush_timeout: run.flush_timeout,
            clock: run.clock,
            ..Plan::new(model, start_ms)
        };
        tokio::spawn(async move {
            let outcome = csgen_pacer::run(&mut sink, plan, &control).await;
            (sink, outcome)
        })
    }
}

/// What every run shares.
#[derive(Clone)]
pub(crate) struct RunSettings {
    pub shard: Shard,
    pub flush_timeout: Duration,
    pub clock: Clock,
}

/// Where the next run continues.
#[derive(Debug, Default)]
pub(crate) struct Resume {
    /// Classic: the first sequence number not yet generated.
    next_seq: u64,
    /// Realistic: every event arriving before this time has had its run; `None`
    /// before the first run (which may backfill).
    live_from_ms: Option<i64>,
}

impl Resume {
    /// Records where a finished run left off; `now_ms` is read after it ended.
    pub(crate) fn after(&mut self, outcome: &Outcome, now_ms: i64) {
        self.next_seq = outcome.next_seq;
        // A live run emits what arrives up to the wall clock, inclusive.
        self.live_from_ms = Some(now_ms + 1);
    }
}
