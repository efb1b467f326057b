//! Start/stop of generation as a small state machine that owns the sink.
//!
//! All transitions take one async mutex, so concurrent `/start` and `/stop` calls are
//! serialised: there is never more than one generator, and `/status` never reports a
//! state that contradicts what the last transition did. A stop waits until the run has
//! flushed its sink, so "stopped" means everything generated has been handed over.
//! What a run generates, and what `/rate` means, is the [`Workload`]'s business.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use csgen_model::Shard;
use csgen_pacer::{Control, Outcome};
use csgen_sinks::{Sink, SinkStats, StatsSnapshot};
use serde::Serialize;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
// tokio's clock, so that tests on a paused clock see the rates they set up.
use tokio::time::Instant;

use crate::workload::{Resume, RunSettings, Workload};

/// The wall clock in Unix milliseconds: where a classic run's events start in time, and
/// what paces a realistic run. Injected, so that tests can fix it or derive it from
/// tokio's paused clock.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The wall clock in Unix milliseconds.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    })
}

/// What the generator is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Running,
    Stopped,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("Server already running")]
    AlreadyRunning,
    #[error("Server already stopped")]
    AlreadyStopped,
    #[error("rate must be a number greater than 0")]
    BadRate,
    #[error(
        "the realistic model sets its own pace: events arrive on the wall clock as the \
         configuration's store.sessions_per_day and traffic profile say; /rate applies to \
         the classic model"
    )]
    RateIsModelled,
    #[error("the sink was lost when a run crashed; restart csgen")]
    SinkLost,
}

/// A reading of the controller for `/status` and `/metrics`.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub state: State,
    /// `classic` or `realistic`.
    pub model: &'static str,
    /// Target events per second (realistic: the mean the traffic profile implies).
    pub rate: f64,
    /// Events per second: over about the last [`RATE_WINDOW`] while running (so a
    /// backfill's burst fades out of it), the last run's average when stopped.
    pub achieved_rate: f64,
    pub sink: String,
    pub counters: StatsSnapshot,
    /// The error that ended the last run, if it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// How far back the achieved rate of a running generation looks.
pub const RATE_WINDOW: Duration = Duration::from_secs(10);

struct Running<S> {
    control: Control,
    started: Instant,
    generated_at_start: u64,
    /// (time, generated) readings taken by status calls, spanning about [`RATE_WINDOW`].
    readings: VecDeque<(Instant, u64)>,
    task: JoinHandle<(S, Outcome)>,
}

impl<S> Running<S> {
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
        let (t0, g0) = self.readings[0];
        let secs = (now - t0).as_secs_f64();
        if secs > 0.0 {
            (generated - g0) as f64 / secs
        } else {
            0.0
        }
    }
}

struct Inner<S> {
    /// The sink while stopped; moved into the run task while running.
    sink: Option<S>,
    running: Option<Running<S>>,
    resume: Resume,
    rate: f64,
    last_run: Option<(Duration, u64)>,
    last_error: Option<String>,
}

/// Owns the workload and the sink, and runs one generation at a time.
pub struct Controller<S> {
    workload: Workload,
    settings: RunSettings,
    stats: Arc<SinkStats>,
    describe: String,
    inner: Mutex<Inner<S>>,
}

impl<S: Sink + 'static> Controller<S> {
    /// A stopped controller; `clock` stamps classic runs and paces realistic ones.
    pub fn new(
        workload: Workload,
        sink: S,
        shard: Shard,
        flush_timeout: Duration,
        clock: Clock,
    ) -> Self {
        Self {
            stats: sink.stats().clone(),
            describe: sink.describe(),
            inner: Mutex::new(Inner {
                sink: Some(sink),
                running: None,
                resume: Resume::default(),
                rate: workload.initial_rate(),
                last_run: None,
                last_error: None,
            }),
            workload,
            settings: RunSettings {
                shard,
                flush_timeout,
                clock,
            },
        }
    }

    /// The model this controller drives.
    pub fn workload(&self) -> &Workload {
        &self.workload
    }

    pub fn stats(&self) -> &Arc<SinkStats> {
        &self.stats
    }

    pub async fn start(&self) -> Result<State, TransitionError> {
        let mut inner = self.inner.lock().await;
        self.reap(&mut inner).await;
        if inner.running.is_some() {
            return Err(TransitionError::AlreadyRunning);
        }
        let sink = inner.sink.take().ok_or(TransitionError::SinkLost)?;
        let control = Control::new(inner.rate);
        let task = self
            .workload
            .spawn(sink, self.settings.clone(), &inner.resume, control.clone());
        inner.last_error = None;
        let (started, generated_at_start) = (Instant::now(), self.stats.snapshot().generated);
        inner.running = Some(Running {
            control,
            started,
            generated_at_start,
            readings: VecDeque::from([(started, generated_at_start)]),
            task,
        });
        tracing::info!(model = self.workload.name(), rate = inner.rate, sink = %self.describe,
            "generation started");
        Ok(State::Running)
    }

    /// Stops generation and waits until the sink is flushed.
    pub async fn stop(&self) -> Result<State, TransitionError> {
        let mut inner = self.inner.lock().await;
        self.reap(&mut inner).await;
        let Some(running) = inner.running.take() else {
            return Err(TransitionError::AlreadyStopped);
        };
        running.control.stop();
        self.finish(&mut inner, running).await;
        tracing::info!(sink = %self.describe, "generation stopped");
        Ok(State::Stopped)
    }

    /// Changes the classic model's rate, at once if it runs; see [`Workload`].
    pub async fn set_rate(&self, rate: f64) -> Result<f64, TransitionError> {
        if !self.workload.has_settable_rate() {
            return Err(TransitionError::RateIsModelled);
        }
        if !(rate.is_finite() && rate > 0.0) {
            return Err(TransitionError::BadRate);
        }
        let mut inner = self.inner.lock().await;
        inner.rate = rate;
        if let Some(r) = &inner.running {
            r.control.set_rate(rate);
        }
        Ok(rate)
    }

    pub async fn status(&self) -> Status {
        let mut inner = self.inner.lock().await;
        self.reap(&mut inner).await;
        let counters = self.stats.snapshot();
        let last_run = inner.last_run;
        let (state, achieved_rate) = match (inner.running.as_mut(), last_run) {
            (Some(r), _) => (State::Running, r.achieved_rate(counters.generated)),
            (None, Some((d, n))) if !d.is_zero() => (State::Stopped, n as f64 / d.as_secs_f64()),
            (None, _) => (State::Stopped, 0.0),
        };
        Status {
            state,
            model: self.workload.name(),
            rate: inner.rate,
            achieved_rate,
            sink: self.describe.clone(),
            counters,
            last_error: inner.last_error.clone(),
        }
    }

    /// Stops any run and flushes; for shutdown. Returns the final counters.
    pub async fn shutdown(&self) -> StatsSnapshot {
        let _ = self.stop().await;
        let mut inner = self.inner.lock().await;
        if let Some(sink) = inner.sink.as_mut()
            && let Err(e) = sink.flush().await
        {
            tracing::error!(error = %e, "final flush failed");
        }
        self.stats.snapshot()
    }

    /// Collects a run that ended by itself (a failed sink), so the state is accurate.
    async fn reap(&self, inner: &mut Inner<S>) {
        if inner.running.as_ref().is_some_and(|r| r.task.is_finished()) {
            let running = inner.running.take().expect("checked above");
            self.finish(inner, running).await;
        }
    }

    /// Waits for a run to end (its sink flushed) and takes the sink back.
    async fn finish(&self, inner: &mut Inner<S>, running: Running<S>) {
        let generated_at_start = running.generated_at_start;
        match running.task.await {
            Ok((sink, outcome)) => {
                let generated = sink.stats().snapshot().generated - generated_at_start;
                inner.last_run = Some((running.started.elapsed(), generated));
                inner.resume.after(&outcome, (self.settings.clock)());
                if let Some(e) = outcome.error {
                    tracing::error!(error = %e, "generation failed");
                    inner.last_error = Some(e.to_string());
                }
                inner.sink = Some(sink);
            }
            Err(e) => {
                tracing::error!(error = %e, "generation task crashed");
                inner.last_error = Some(format!("generation task crashed: {e}"));
            }
        }
    }
}

#[cfg(test)]
#[path = "control_tests.rs"]
mod tests;
