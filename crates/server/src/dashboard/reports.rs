//! The reports behind the dashboard's charts, injected by the binary.
//!
//! Computing reports means SQL over the lake, which lives in the analytics crate; the
//! server must not depend on it (nor on DataFusion), so the binary hands the server a
//! [`ReportSource`]. [`ReportCache`] sits in front of it: every browser tab polls, but
//! the queries run at most once per time-to-live, and concurrent requests for a stale
//! answer wait for one computation instead of each starting their own.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Why the reports could not be computed.
pub type ReportError = Box<dyn std::error::Error + Send + Sync>;

/// A report computation in progress.
pub type ReportFuture<'a> =
    Pin<Box<dyn Future<Output = Result<serde_json::Value, ReportError>> + Send + 'a>>;

/// Where the dashboard's reports come from: the store a run writes to.
pub trait ReportSource: Send + Sync {
    /// The standard reports as JSON. May be slow: callers go through [`ReportCache`].
    fn reports(&self) -> ReportFuture<'_>;

    /// What the store has taken in so far (events and files committed, …), cheap
    /// enough to read on every status poll. `None` when the store keeps no counters.
    fn counters(&self) -> Option<serde_json::Value> {
        None
    }

    /// A short name of the store for the page, e.g. `lake:./lake`.
    fn describe(&self) -> String;
}

/// Reuses a computed answer for `ttl`, or for [`ReportCache::COST_FACTOR`] times as
/// long as it took to compute if that is longer, so that on a big lake the reports
/// take a bounded share of the machine however many pages poll; one computation at a
/// time.
pub struct ReportCache {
    source: Arc<dyn ReportSource>,
    ttl: Duration,
    /// When the last answer expires, and the answer.
    last: Mutex<Option<(Instant, Bytes)>>,
}

impl ReportCache {
    /// Long enough that many tabs polling every few seconds cost one query run;
    /// short enough that the charts follow the lake's commits.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(4);
    /// An answer that took `t` to compute is kept at least `COST_FACTOR × t`.
    pub const COST_FACTOR: u32 = 4;

    pub fn new(source: Arc<dyn ReportSource>, ttl: Duration) -> Self {
        Self {
            source,
            ttl,
            last: Mutex::new(None),
        }
    }

    pub fn source(&self) -> &Arc<dyn ReportSource> {
        &self.source
    }

    /// `{"source": …, "elapsed_ms": …, "reports": …}` as JSON bytes, fresh within the
    /// time-to-live. Errors are not cached: the next request tries again.
    pub async fn get(&self) -> Result<Bytes, ReportError> {
        let mut last = self.last.lock().await;
        if let Some((expires, body)) = last.as_ref()
            && Instant::now() < *expires
        {
            return Ok(body.clone());
        }
        let started = Instant::now();
        let reports = self.source.reports().await?;
        let elapsed = started.elapsed();
        let elapsed_ms = elapsed.as_secs_f64() * 1e3;
        tracing::debug!(elapsed_ms, "dashboard reports computed");
        let body = Bytes::from(serde_json::to_vec(&serde_json::json!({
            "source": self.source.describe(),
            "elapsed_ms": elapsed_ms.round(),
            "reports": reports,
        }))?);
        let keep = self.ttl.max(elapsed * Self::COST_FACTOR);
        *last = Some((Instant::now() + keep, body.clone()));
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

    use super::*;

    /// Counts computations; each takes the given (paused) time.
    struct Counting(AtomicU64, Duration);

    impl Counting {
        fn taking(d: Duration) -> Arc<Self> {
            Arc::new(Self(AtomicU64::new(0), d))
        }
    }

    impl ReportSource for Counting {
        fn reports(&self) -> ReportFuture<'_> {
            Box::pin(async {
                let n = self.0.fetch_add(1, SeqCst) + 1;
                tokio::time::sleep(self.1).await;
                Ok(serde_json::json!({ "run": n }))
            })
        }

        fn describe(&self) -> String {
            "counting".into()
        }
    }

    fn run_of(body: &Bytes) -> u64 {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["source"], "counting");
        v["reports"]["run"].as_u64().unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_requests_share_one_computation_until_the_ttl_passes() {
        let source = Counting::taking(Duration::from_millis(50));
        let cache = Arc::new(ReportCache::new(source.clone(), Duration::from_secs(4)));
        let tabs: Vec<_> = (0..8)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.get().await.unwrap() })
            })
            .collect();
        for tab in tabs {
            assert_eq!(run_of(&tab.await.unwrap()), 1);
        }
        tokio::time::advance(Duration::from_secs(3)).await;
        assert_eq!(run_of(&cache.get().await.unwrap()), 1, "still fresh");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(run_of(&cache.get().await.unwrap()), 2, "stale: recomputed");
        assert_eq!(source.0.load(SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_computation_is_kept_longer() {
        let cache = ReportCache::new(
            Counting::taking(Duration::from_secs(2)),
            Duration::from_secs(4),
        );
        assert_eq!(run_of(&cache.get().await.unwrap()), 1);
        tokio::time::advance(Duration::from_secs(7)).await;
        assert_eq!(run_of(&cache.get().await.unwrap()), 1, "kept 4 x 2 s");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(run_of(&cache.get().await.unwrap()), 2);
    }

    struct Failing;

    impl ReportSource for Failing {
        fn reports(&self) -> ReportFuture<'_> {
            Box::pin(async { Err("lake unreadable".into()) })
        }

        fn describe(&self) -> String {
            "failing".into()
        }
    }

    #[tokio::test]
    async fn errors_are_passed_on_and_not_cached() {
        let cache = ReportCache::new(Arc::new(Failing), Duration::from_secs(60));
        for _ in 0..2 {
            let e = cache.get().await.unwrap_err();
            assert_eq!(e.to_string(), "lake unreadable");
        }
        assert!(cache.last.lock().await.is_none());
    }
}
