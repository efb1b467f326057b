//! Start/stop of generation as a small state machine over one sink.
//!
//! The state sits behind one plain mutex that is never held across an `.await`:
//! `/status`, `/metrics` and `/rate` answer at once, even while a slow sink flushes or
//! a run is stuck. A transition decides under that lock, so concurrent `/start` and
//! `/stop` calls never run two generators: a start while running or stopping, or a
//! stop while stopped or stopping, is refused (409). A stop then waits, without the
//! lock and at most [`Controller::stop_deadline`], until the run has flushed its sink,
//! so "stopped" means everything generated has been handed over.
//!
//! A run is a spawned task watched by a supervisor task, which records how it ended —
//! finished, failed, or crashed (panicked) — and moves the state to stopped. The sink
//! is never lost with a crashed run ([`SharedSink`]). What a run generates, and what
//! `/rate` means, is the [`Workload`]'s business.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use csgen_model::Shard;
use csgen_model::rate::{self, RateError};
use csgen_pacer::{Control, Outcome, StopReason};
use csgen_sinks::calls::CallsSnapshot;
use csgen_sinks::{Sink, SinkStats, StatsSnapshot};
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::{JoinError, JoinHandle};
// tokio's clock, so that tests on a paused clock see the rates they set up.
use tokio::time::Instant;
use utoipa::ToSchema;

pub use csgen_pacer::WallClock;
// The workload module names the clock this way.
pub(crate) use csgen_pacer::WallClock as Clock;

use crate::shared_sink::SharedSink;
use crate::workload::{Resume, RunSettings, Workload};

/// The wall clock in Unix milliseconds.
pub fn system_clock() -> WallClock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    })
}

/// What the generator is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Running,
    /// Told to stop; the run is flushing its sink.
    Stopping,
    Stopped,
}

/// Why a transition or a rate was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransitionError {
    #[error("Server already running")]
    AlreadyRunning,
    #[error("Server already stopped")]
    AlreadyStopped,
    #[error(
        "Server is stopping: the run is still flushing its sink; /status says stopped \
         when it is done"
    )]
    Stopping,
    /// The stop was asked for, but the run had not ended (flushed) within the deadline.
    #[error(
        "generation was told to stop but has not finished flushing its sink after {0:?}; \
         /status says stopping until it has"
    )]
    StopTimedOut(Duration),
    #[error("{0}")]
    BadRate(#[from] RateError),
    #[error(
        "rate {0:?} is not a number: expected events per second from {min} to {max}",
        min = rate::MIN,
        max = rate::MAX
    )]
    RateNotANumber(String),
    #[error(
        "the realistic model sets its own pace: events arrive on the wall clock as the \
         configuration's store.sessions_per_day and traffic profile say; /rate applies to \
         the classic model"
    )]
    RateIsModelled,
}

/// The sink's counters, as the API shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counters {
    /// Events generated and handed to the sink.
    pub generated: u64,
    /// Events the sink delivered.
    pub delivered: u64,
    /// Events the sink gave up on.
    pub failed: u64,
    /// Sends retried after a retryable failure (a record may count more than once).
    pub retried: u64,
    /// Generated but neither delivered nor failed yet.
    pub in_flight: u64,
    /// Sinks that make requests (`http:`, `browse:`): `{"count", "by_class": {"2xx": …},
    /// "latency_ms": {"p50", "p90", "p99", "max"}}`; absent for the others.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub calls: Option<CallsSnapshot>,
}

impl From<StatsSnapshot> for Counters {
    fn from(s: StatsSnapshot) -> Self {
        Self {
            generated: s.generated,
            delivered: s.delivered,
            failed: s.failed,
            retried: s.retried,
            in_flight: s.in_flight,
            calls: s.calls,
        }
    }
}

/// What anyone may read (`/api/status`, `/metrics`): no error texts, which can hold
/// account ids and paths.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunStatus {
    pub state: State,
    /// `classic` or `realistic`.
    #[schema(value_type = String)]
    pub model: &'static str,
    /// Target events per second (realistic: the mean the traffic profile implies).
    pub rate: f64,
    /// Events per second: over about the last 10 s while running ([`RATE_WINDOW`],
    /// so a backfill's burst fades out of it), the last run's average when stopped.
    pub achieved_rate: f64,
    /// The sink, e.g. `file:/tmp/clicks.jsonl`.
    pub sink: String,
    pub counters: Counters,
}

/// `/status`, for the token holder: the run status and why the last run failed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Status {
    #[serde(flatten)]
    pub run: RunStatus,
    /// The error that ended the last run, if it failed or crashed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// How far back the achieved rate of a running generation looks.
pub const RATE_WINDOW: Duration = Duration::from_secs(10);

/// How much longer than its flush deadline a stop waits for the run to end: the run
/// first finishes the batch in hand.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

struct Running {
    id: u64,
    control: Control,
    started: Instant,
    generated_at_start: u64,
    /// (time, generated) readings taken by status calls, spanning about [`RATE_WINDOW`].
    readings: VecDeque<(Instant, u64)>,
}

impl Running {
    fn achieved_rate(&mut self, generated: u64) -> f64 {
        let now = Instant::now();
        if self
            .readings
            .back()
            .is_none_or(|(t, _)| now - *t >= Duration::from_millis(500))
        {
            self.readings.push_back((now, generated));
        }
        // Keep the newest reading that is at least a window old, and all after it.
        while self
            .readings
            .get(1)
            .is_some_and(|(t, _)| now - *t >= RATE_WINDOW)
        {
            self.readings.pop_front();
        }
        let Some(&(t0, g0)) = self.readings.front() else {
            return 0.0;
        };
        let secs = (now - t0).as_secs_f64();
        if secs > 0.0 {
            generated.saturating_sub(g0) as f64 / secs
        } else {
            0.0
        }
    }
}

enum Phase {
    Stopped,
    Running(Running),
    Stopping(Running),
}

struct Inner {
    phase: Phase,
    /// Runs started so far; the id of the latest.
    runs: u64,
    resume: Resume,
    rate: f64,
    last_run: Option<(Duration, u64)>,
    last_error: Option<String>,
}

/// What the controller and its runs' supervisors share.
struct Shared {
    state: std::sync::Mutex<Inner>,
    /// The id of the latest run that has ended.
    ended: watch::Sender<u64>,
    stats: Arc<SinkStats>,
    sink: SharedSink,
    clock: WallClock,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves plain data behind: keep going.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Owns the workload and the sink, and runs one generation at a time.
pub struct Controller {
    workload: Workload,
    settings: RunSettings,
    describe: String,
    shared: Arc<Shared>,
}

impl Controller {
    /// A stopped controller; `clock` stamps classic runs and paces realistic ones.
    pub fn new<S: Sink + 'static>(
        workload: Workload,
        sink: S,
        shard: Shard,
        flush_timeout: Duration,
        clock: WallClock,
    ) -> Self {
        let describe = sink.describe();
        let shared = Shared {
            stats: sink.stats().clone(),
            sink: SharedSink::new(sink),
            state: std::sync::Mutex::new(Inner {
                phase: Phase::Stopped,
                runs: 0,
                resume: Resume::default(),
                rate: workload.initial_rate(),
                last_run: None,
                last_error: None,
            }),
            ended: watch::Sender::new(0),
            clock: clock.clone(),
        };
        Self {
            workload,
            settings: RunSettings {
                shard,
                flush_timeout,
                clock,
            },
            describe,
            shared: Arc::new(shared),
        }
    }

    /// The model this controller drives.
    pub fn workload(&self) -> &Workload {
        &self.workload
    }

    pub fn stats(&self) -> &Arc<SinkStats> {
        &self.shared.stats
    }

    /// How long a stop waits for the run to end: its flush deadline and [`STOP_GRACE`].
    pub fn stop_deadline(&self) -> Duration {
        self.settings.flush_timeout + STOP_GRACE
    }

    pub async fn start(&self) -> Result<State, TransitionError> {
        let mut inner = self.shared.lock();
        match inner.phase {
            Phase::Running(_) => return Err(TransitionError::AlreadyRunning),
            Phase::Stopping(_) => return Err(TransitionError::Stopping),
            Phase::Stopped => {}
        }
        inner.runs += 1;
        let id = inner.runs;
        let control = Control::new(inner.rate);
        let task = self.workload.spawn(
            self.shared.sink.clone(),
            self.settings.clone(),
            &inner.resume,
            control.clone(),
        );
        let (started, generated_at_start) =
            (Instant::now(), self.shared.stats.snapshot().generated);
        inner.last_error = None;
        inner.phase = Phase::Running(Running {
            id,
            control,
            started,
            generated_at_start,
            readings: VecDeque::from([(started, generated_at_start)]),
        });
        tracing::info!(model = self.workload.name(), rate = inner.rate, sink = %self.describe,
            "generation started");
        drop(inner);
        tokio::spawn(supervise(self.shared.clone(), id, task));
        Ok(State::Running)
    }

    /// Stops generation and waits (at most [`Controller::stop_deadline`]) until the
    /// run has flushed its sink.
    pub async fn stop(&self) -> Result<State, TransitionError> {
        let id = begin_stop(&mut self.shared.lock())?;
        self.wait_for_end(id, self.stop_deadline()).await?;
        tracing::info!(sink = %self.describe, "generation stopped");
        Ok(State::Stopped)
    }

    async fn wait_for_end(&self, id: u64, limit: Duration) -> Result<(), TransitionError> {
        let mut ended = self.shared.ended.subscribe();
        match tokio::time::timeout(limit, ended.wait_for(|&last| last >= id)).await {
            Ok(_) => Ok(()),
            Err(_) => {
                tracing::warn!(sink = %self.describe, waited_s = limit.as_secs_f64(),
                    "the run has not ended after a stop");
                Err(TransitionError::StopTimedOut(limit))
            }
        }
    }

    /// Changes the classic model's rate, at once if it runs; see [`Workload`]. The rate
    /// must be within [`csgen_model::rate::RANGE`].
    pub fn set_rate(&self, rate: f64) -> Result<f64, TransitionError> {
        if !self.workload.has_settable_rate() {
            return Err(TransitionError::RateIsModelled);
        }
        let rate = rate::check(rate)?;
        let mut inner = self.shared.lock();
        inner.rate = rate;
        if let Phase::Running(r) = &inner.phase {
            r.control.set_rate(rate);
        }
        Ok(rate)
    }

    /// The current state and counters; never waits for a run or a flush.
    pub fn status(&self) -> Status {
        let mut inner = self.shared.lock();
        let counters = self.shared.stats.snapshot();
        let last_run = inner.last_run;
        let (state, achieved_rate) = match (&mut inner.phase, last_run) {
            (Phase::Running(r), _) => (State::Running, r.achieved_rate(counters.generated)),
            (Phase::Stopping(r), _) => (State::Stopping, r.achieved_rate(counters.generated)),
            (Phase::Stopped, Some((d, n))) if !d.is_zero() => {
                (State::Stopped, n as f64 / d.as_secs_f64())
            }
            (Phase::Stopped, _) => (State::Stopped, 0.0),
        };
        Status {
            run: RunStatus {
                state,
                model: self.workload.name(),
                rate: inner.rate,
                achieved_rate,
                sink: self.describe.clone(),
                counters: counters.into(),
            },
            last_error: inner.last_error.clone(),
        }
    }

    /// Stops any run and flushes the sink, for shutdown; returns the final counters.
    /// A run that does not end within [`Controller::stop_deadline`] is left behind and
    /// what it holds is reported as in flight.
    pub async fn shutdown(&self) -> StatsSnapshot {
        let ending = {
            let mut inner = self.shared.lock();
            match begin_stop(&mut inner) {
                Ok(id) => Some(id),
                // A stop asked for over HTTP is still in progress: wait for it too.
                Err(_) => match &inner.phase {
                    Phase::Stopping(r) => Some(r.id),
                    _ => None,
                },
            }
        };
        if let Some(id) = ending
            && let Err(e) = self.wait_for_end(id, self.stop_deadline()).await
        {
            tracing::error!(error = %e, "shutting down without a final flush");
            return self.shared.stats.snapshot();
        }
        if let Err(e) = self.shared.sink.flush_now().await {
            tracing::error!(error = %e, "final flush failed");
        }
        self.shared.stats.snapshot()
    }
}

/// Tells a running generation to stop; returns the run to wait for.
fn begin_stop(inner: &mut Inner) -> Result<u64, TransitionError> {
    match std::mem::replace(&mut inner.phase, Phase::Stopped) {
        Phase::Stopped => Err(TransitionError::AlreadyStopped),
        Phase::Stopping(r) => {
            inner.phase = Phase::Stopping(r);
            Err(TransitionError::Stopping)
        }
        Phase::Running(r) => {
            r.control.stop();
            let id = r.id;
            inner.phase = Phase::Stopping(r);
            Ok(id)
        }
    }
}

/// Waits for run `id` to end, however it ends, and records how.
async fn supervise(shared: Arc<Shared>, id: u64, task: JoinHandle<(SharedSink, Outcome)>) {
    let result = task.await;
    let now_ms = (shared.clock)();
    let mut inner = shared.lock();
    let (started, generated_at_start) = match std::mem::replace(&mut inner.phase, Phase::Stopped) {
        Phase::Running(r) | Phase::Stopping(r) if r.id == id => (r.started, r.generated_at_start),
        other => {
            // Not this run's state (cannot happen: runs are serialised); leave it.
            inner.phase = other;
            drop(inner);
            shared.ended.send_replace(id);
            return;
        }
    };
    let generated = shared
        .stats
        .snapshot()
        .generated
        .saturating_sub(generated_at_start);
    inner.last_run = Some((started.elapsed(), generated));
    match result {
        Ok((_, outcome)) => {
            inner.resume.after(&outcome, now_ms);
            if let Some(e) = outcome.error {
                tracing::error!(error = %e, "generation failed");
                inner.last_error = Some(e.to_string());
            }
        }
        Err(e) => {
            let why = crash_message(e);
            tracing::error!(error = %why, "generation crashed; the sink is kept for the next start");
            // The run could not say where it stopped: continue after the last event the
            // sink was given, so that no event id is used twice.
            let outcome = Outcome {
                reason: StopReason::Failed,
                emitted: generated,
                next_seq: shared.sink.next_seq(),
                elapsed: started.elapsed(),
                error: None,
                manifest: None,
            };
            inner.resume.after(&outcome, now_ms);
            inner.last_error = Some(format!("generation crashed: {why}"));
        }
    }
    drop(inner);
    shared.ended.send_replace(id);
}

/// What a panicked (or cancelled) run task said.
fn crash_message(e: JoinError) -> String {
    if e.is_panic() {
        crate::panic_text(e.into_panic().as_ref())
    } else {
        e.to_string()
    }
}

#[cfg(test)]
#[path = "control_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "control_fault_tests.rs"]
mod fault_tests;
