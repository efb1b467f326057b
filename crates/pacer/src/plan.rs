//! What a run generates and how: one [`Plan`] for both models, checked before it runs.
//!
//! The model-specific part (which model, and how it moves through time) is the closed
//! enum [`Model`]; everything a run of either model shares (where it starts, its
//! bounds, its shard, its threads, its flush deadline, its clock) is a field of the
//! plan. `csgen generate`, `csgen serve` and the demo all build one of these.

use std::sync::Arc;
use std::time::Duration;

use csgen_model::realistic::RealisticModel;
use csgen_model::{Encoder, Format, Generator, Shard, rate};

/// The wall clock in Unix milliseconds, injected so tests can run live mode on a
/// paused clock.
pub type WallClock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system's wall clock.
pub fn system_clock() -> WallClock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    })
}

/// Most worker threads a run may use: far more than the cores of any machine csgen
/// runs on, few enough that spawning them cannot exhaust the process's threads.
pub const MAX_THREADS: usize = 256;

/// How a classic run is paced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// This many events per second of the logical stream (a shard emits its share),
    /// within [`rate::RANGE`].
    Rate(f64),
    /// As fast as the sink takes them, encoded by [`Plan::threads`] workers. Event
    /// times are spaced as if at `nominal_rate` events per second.
    Unpaced { nominal_rate: f64 },
}

/// The model a run draws from, and how it moves through time.
#[derive(Clone)]
pub enum Model {
    /// The original's model: independent clicks numbered by a sequence, paced by rate.
    Classic {
        generator: Arc<Generator>,
        /// The encoder for the run's record format (cloned per worker).
        encoder: Encoder,
        pacing: Pacing,
        /// First sequence number (a continuation starts at the last run's
        /// [`crate::Outcome::next_seq`], so event ids are never reused).
        start_seq: u64,
    },
    /// The realistic model, paced by event time: a backfill of `start_ms..until_ms` as
    /// fast as the sink takes it, or live on [`Plan::clock`], or the one then the other.
    Realistic {
        model: Arc<RealisticModel>,
        format: Format,
        /// End of the backfill (exclusive); `None` for a live run from `start_ms`.
        until_ms: Option<i64>,
        /// After the backfill, continue in live time.
        then_live: bool,
        /// Build the ground-truth manifest of what was emitted.
        truth: bool,
    },
}

/// The fields of [`Model::Classic`], borrowed: what the paced and unpaced loops read.
pub(crate) struct Classic<'a> {
    pub generator: &'a Arc<Generator>,
    pub encoder: &'a Encoder,
    pub start_seq: u64,
}

/// What to generate.
#[derive(Clone)]
pub struct Plan {
    pub model: Model,
    /// Classic: event time of the first event. Realistic: where the run starts in
    /// arrival time (the backfill's start, or live from then). Unix milliseconds.
    pub start_ms: i64,
    /// Classic: stop at sequence number `start_seq + count` (the logical stream's
    /// events; a shard emits its share). Realistic: stop after this many events.
    pub count: Option<u64>,
    /// Wall-clock bound of the run.
    pub duration: Option<Duration>,
    pub shard: Shard,
    /// Worker threads for what runs as fast as possible (an unpaced classic run, a
    /// realistic backfill); 0 = automatic (see [`Plan::workers`] and
    /// [`Plan::backfill_workers`]). The output is the same for any number.
    pub threads: usize,
    /// How long the final flush may take.
    pub flush_timeout: Duration,
    /// The clock a realistic live run follows.
    pub clock: WallClock,
}

/// Why a plan cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Rate(#[from] rate::RateError),
    #[error("{0} worker threads requested; at most {MAX_THREADS} (0 = one per core)")]
    Threads(usize),
}

impl Plan {
    /// A plan for `model` from `start_ms`: unbounded, the whole stream, one worker,
    /// a 30 s flush deadline, the system clock. Callers set the rest by struct update.
    pub fn new(model: Model, start_ms: i64) -> Self {
        Self {
            model,
            start_ms,
            count: None,
            duration: None,
            shard: Shard::ALL,
            threads: 1,
            flush_timeout: Duration::from_secs(30),
            clock: system_clock(),
        }
    }

    /// Checks what the pacer cannot honour: a rate outside [`rate::RANGE`] (its
    /// schedule would overflow or spin), more than [`MAX_THREADS`] workers.
    pub fn check(&self) -> Result<(), PlanError> {
        if let Model::Classic { pacing, .. } = &self.model {
            match *pacing {
                Pacing::Rate(r) | Pacing::Unpaced { nominal_rate: r } => {
                    rate::check(r)?;
                }
            }
        }
        if self.threads > MAX_THREADS {
            return Err(PlanError::Threads(self.threads));
        }
        Ok(())
    }

    /// The number of workers: [`Plan::threads`], or one per core for 0.
    pub fn workers(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(MAX_THREADS),
            n => n.min(MAX_THREADS),
        }
    }

    /// The number of workers of a realistic backfill: [`Plan::threads`], or for 0 one
    /// per core up to [`AUTO_BACKFILL_WORKERS`]. Each worker has an encoder thread
    /// beside it, and one thread merges the workers' streams, so many more workers
    /// than that would mostly wait for the merge.
    pub fn backfill_workers(&self) -> usize {
        match self.threads {
            0 => self.workers().min(AUTO_BACKFILL_WORKERS),
            n => n.min(MAX_THREADS),
        }
    }
}

/// At most this many backfill workers when the number is automatic (measured: two
/// workers on two cores; see README#benchmarks).
pub const AUTO_BACKFILL_WORKERS: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;
    use csgen_model::StoreConfig;

    fn classic(pacing: Pacing) -> Plan {
        let config = StoreConfig::defaults();
        let model = Model::Classic {
            generator: Arc::new(Generator::new(&config, 1)),
            encoder: Encoder::new(Format::Url, &config.store_url),
            pacing,
            start_seq: 0,
        };
        Plan::new(model, 0)
    }

    #[test]
    fn rates_outside_the_accepted_range_are_refused_before_the_run() {
        for bad in [1e-20, 1e308, 0.0, -3.0, f64::NAN, f64::INFINITY] {
            for pacing in [Pacing::Rate(bad), Pacing::Unpaced { nominal_rate: bad }] {
                let err = classic(pacing).check().unwrap_err();
                assert!(
                    err.to_string().contains("outside the accepted range"),
                    "{bad}: {err}"
                );
            }
        }
        assert_eq!(classic(Pacing::Rate(rate::MAX)).check(), Ok(()));
        assert_eq!(classic(Pacing::Rate(rate::MIN)).check(), Ok(()));
    }

    #[test]
    fn a_million_threads_are_refused_with_the_limit() {
        let plan = Plan {
            threads: 1_000_000,
            ..classic(Pacing::Rate(3.0))
        };
        assert_eq!(
            plan.check().unwrap_err().to_string(),
            "1000000 worker threads requested; at most 256 (0 = one per core)"
        );
        let auto = Plan {
            threads: 0,
            ..classic(Pacing::Rate(3.0))
        };
        assert!((1..=MAX_THREADS).contains(&auto.workers()));
        assert_eq!(
            auto.backfill_workers(),
            auto.workers().min(AUTO_BACKFILL_WORKERS)
        );
        let two = Plan {
            threads: 2,
            ..classic(Pacing::Rate(3.0))
        };
        assert_eq!(two.backfill_workers(), 2);
    }
}
