//! Start/stop of generation as a small state machine that owns the sink.
//!
//! All transitions take one async mutex, so concurrent `/start` and `/stop` calls are
//! serialised: there is never more than one generator, and `/status` never reports a
//! state that contradicts what the last transition did. A stop waits until the run has
//! flushed its sink, so "stopped" means everything generated has been handed over.

use std::sync::Arc;
use std::time::{Duration, Instant};

use csgen_model::{Encoder, Generator, Shard};
use csgen_pacer::{Control, Outcome, Pacing, Plan};
use csgen_sinks::{Sink, SinkStats, StatsSnapshot};
use serde::Serialize;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

/// Where a run's events start in time: the wall clock, injected so tests can fix it.
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
    #[error("the sink was lost when a run crashed; restart csgen")]
    SinkLost,
}

/// A reading of the controller for `/status` and `/metrics`.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub state: State,
    /// Target events per second.
    pub rate: f64,
    /// Events per second achieved by the current (or last) run.
    pub achieved_rate: f64,
    pub sink: String,
    pub counters: StatsSnapshot,
    /// The error that ended the last run, if it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

struct Running<S> {
    control: Control,
    started: Instant,
    generated_at_start: u64,
    task: JoinHandle<(S, Outcome)>,
}

struct Inner<S> {
    /// The sink while stopped; moved into the run task while running.
    sink: Option<S>,
    running: Option<Running<S>>,
    next_seq: u64,
    rate: f64,
    last_run: Option<(Duration, u64)>,
    last_error: Option<String>,
}

/// Owns the generator and the sink, and runs one generation at a time.
pub struct Controller<S> {
    generator: Arc<Generator>,
    encoder: Encoder,
    shard: Shard,
    flush_timeout: Duration,
    clock: Clock,
    stats: Arc<SinkStats>,
    describe: String,
    inner: Mutex<Inner<S>>,
}

impl<S: Sink + 'static> Controller<S> {
    pub fn new(
        generator: Arc<Generator>,
        encoder: Encoder,
        sink: S,
        rate: f64,
        shard: Shard,
        flush_timeout: Duration,
        clock: Clock,
    ) -> Self {
        Self {
            generator,
            encoder,
            shard,
            flush_timeout,
            clock,
            stats: sink.stats().clone(),
            describe: sink.describe(),
            inner: Mutex::new(Inner {
                sink: Some(sink),
                running: None,
                next_seq: 0,
                rate,
                last_run: None,
                last_error: None,
            }),
        }
    }

    pub fn stats(&self) -> &Arc<SinkStats> {
        &self.stats
    }

    pub async fn start(&self) -> Result<State, TransitionError> {
        let mut inner = self.inner.lock().await;
        inner.reap().await;
        if inner.running.is_some() {
            return Err(TransitionError::AlreadyRunning);
        }
        let mut sink = inner.sink.take().ok_or(TransitionError::SinkLost)?;
        let control = Control::new(inner.rate);
        let plan = Plan {
            encoder: self.encoder.clone(),
            start_seq: inner.next_seq,
            end_seq: None,
            start_ms: (self.clock)(),
            pacing: Pacing::Rate(inner.rate),
            duration: None,
            shard: self.shard,
            flush_timeout: self.flush_timeout,
        };
        let (generator, task_control) = (self.generator.clone(), control.clone());
        let task = tokio::spawn(async move {
            let outcome = csgen_pacer::run(generator, &mut sink, plan, &task_control).await;
            (sink, outcome)
        });
        inner.last_error = None;
        inner.running = Some(Running {
            control,
            started: Instant::now(),
            generated_at_start: self.stats.snapshot().generated,
            task,
        });
        tracing::info!(rate = inner.rate, sink = %self.describe, "generation started");
        Ok(State::Running)
    }

    /// Stops generation and waits until the sink is flushed.
    pub async fn stop(&self) -> Result<State, TransitionError> {
        let mut inner = self.inner.lock().await;
        inner.reap().await;
        let Some(running) = inner.running.take() else {
            return Err(TransitionError::AlreadyStopped);
        };
        running.control.stop();
        inner.finish(running).await;
        tracing::info!(sink = %self.describe, "generation stopped");
        Ok(State::Stopped)
    }

    pub async fn set_rate(&self, rate: f64) -> Result<f64, TransitionError> {
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
        inner.reap().await;
        let counters = self.stats.snapshot();
        let (state, achieved_rate) = match (&inner.running, inner.last_run) {
            (Some(r), _) => {
                let secs = r.started.elapsed().as_secs_f64();
                let n = counters.generated - r.generated_at_start;
                (
                    State::Running,
                    if secs > 0.0 { n as f64 / secs } else { 0.0 },
                )
            }
            (None, Some((d, n))) if !d.is_zero() => (State::Stopped, n as f64 / d.as_secs_f64()),
            (None, _) => (State::Stopped, 0.0),
        };
        Status {
            state,
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
        if let Some(sink) = inner.sink.as_mut() {
            if let Err(e) = sink.flush().await {
                tracing::error!(error = %e, "final flush failed");
            }
        }
        self.stats.snapshot()
    }
}

impl<S: Sink + 'static> Inner<S> {
    /// Collects a run that ended by itself (a failed sink), so the state is accurate.
    async fn reap(&mut self) {
        if self.running.as_ref().is_some_and(|r| r.task.is_finished()) {
            let running = self.running.take().expect("checked above");
            self.finish(running).await;
        }
    }

    async fn finish(&mut self, running: Running<S>) {
        let generated_at_start = running.generated_at_start;
        match running.task.await {
            Ok((sink, outcome)) => {
                let generated = sink.stats().snapshot().generated - generated_at_start;
                self.last_run = Some((running.started.elapsed(), generated));
                self.next_seq = outcome.next_seq;
                if let Some(e) = outcome.error {
                    tracing::error!(error = %e, "generation failed");
                    self.last_error = Some(e.to_string());
                }
                self.sink = Some(sink);
            }
            Err(e) => {
                tracing::error!(error = %e, "generation task crashed");
                self.last_error = Some(format!("generation task crashed: {e}"));
            }
        }
    }
}
