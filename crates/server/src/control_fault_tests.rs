//! The controller when a run goes wrong: a sink that panics, hangs or flushes slowly.
//! The classic model on tokio's paused clock, so waits of minutes take no real time.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use csgen_model::Batch;
use csgen_sinks::{Sink, SinkError, SinkStats};
use tokio::time::Instant;

use super::*;

const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

/// Delivers every batch at once, unless told to panic or hang on the next one.
#[derive(Default, Clone)]
struct Faulty {
    stats: Arc<SinkStats>,
    seqs: Arc<Mutex<Vec<u64>>>,
    panic_next: Arc<AtomicBool>,
    hang_next: Arc<AtomicBool>,
    /// How long each flush takes.
    flush_takes: Duration,
}

impl Faulty {
    fn received(&self) -> usize {
        self.seqs.lock().unwrap().len()
    }
}

#[async_trait::async_trait]
impl Sink for Faulty {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        if self.panic_next.swap(false, SeqCst) {
            panic!("sink bug on a batch of {}", batch.clicks.len());
        }
        if self.hang_next.swap(false, SeqCst) {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        let n = batch.clicks.len() as u64;
        self.seqs
            .lock()
            .unwrap()
            .extend(batch.clicks.iter().map(|c| c.seq));
        self.stats.add_delivered(n);
        Ok(())
    }
    async fn flush(&mut self) -> Result<(), SinkError> {
        tokio::time::sleep(self.flush_takes).await;
        Ok(())
    }
    fn stats(&self) -> &Arc<SinkStats> {
        &self.stats
    }
    fn describe(&self) -> String {
        "faulty".into()
    }
}

fn classic(sink: &Faulty) -> Controller {
    crate::test_support::classic(sink.clone(), 1000.0, FLUSH_TIMEOUT)
}

/// Polls `done` every 10 ms of (paused) time, for at most a minute of it.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_run_that_crashes_keeps_the_sink_and_the_next_start_continues() {
    let sink = Faulty::default();
    let controller = classic(&sink);
    controller.start().await.unwrap();
    until("100 events", || sink.received() >= 100).await;
    sink.panic_next.store(true, SeqCst);
    until("the crashed run to be collected", || {
        controller.status().run.state == State::Stopped
    })
    .await;
    let error = controller.status().last_error.unwrap_or_default();
    assert!(
        error.contains("generation crashed") && error.contains("sink bug"),
        "the crash is reported: {error:?}"
    );

    // Not "the sink was lost": the same sink takes the next run.
    let before = sink.received();
    assert_eq!(controller.start().await, Ok(State::Running));
    assert_eq!(controller.status().last_error, None);
    until("100 more events", || sink.received() >= before + 100).await;
    assert_eq!(controller.stop().await, Ok(State::Stopped));

    let mut seqs = sink.seqs.lock().unwrap().clone();
    let n = seqs.len();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), n, "no event id is used twice after a crash");
    let c = controller.status().run.counters;
    assert_eq!(c.failed, 0);
    assert_eq!(c.generated, c.delivered + c.in_flight);
    assert!(
        c.in_flight > 0,
        "the batch lost in the crash stays counted as undelivered: {c:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn status_rate_and_transitions_answer_while_a_slow_flush_holds_a_stop() {
    let sink = Faulty {
        flush_takes: Duration::from_secs(20),
        ..Faulty::default()
    };
    let controller = Arc::new(classic(&sink));
    controller.start().await.unwrap();
    until("some events", || sink.received() >= 10).await;

    let stopping = tokio::spawn({
        let controller = controller.clone();
        async move { controller.stop().await }
    });
    until("the stop to begin", || {
        controller.status().run.state == State::Stopping
    })
    .await;
    // None of these waits for the flush: no time passes while they answer.
    let t = Instant::now();
    assert_eq!(controller.status().run.state, State::Stopping);
    assert_eq!(controller.set_rate(7.0), Ok(7.0));
    assert_eq!(controller.stop().await, Err(TransitionError::Stopping));
    assert_eq!(controller.start().await, Err(TransitionError::Stopping));
    assert_eq!(Instant::now(), t);

    assert_eq!(stopping.await.unwrap(), Ok(State::Stopped));
    assert!(
        t.elapsed() >= Duration::from_secs(19),
        "the stop waited for the flush"
    );
    let status = controller.status().run;
    assert_eq!((status.state, status.rate), (State::Stopped, 7.0));
    assert_eq!(status.counters.in_flight, 0, "stopped means flushed");
}

/// A running controller whose sink hangs for an hour in the send in progress.
async fn running_into_a_hung_sink() -> Controller {
    let sink = Faulty::default();
    let controller = classic(&sink);
    controller.start().await.unwrap();
    until("some events", || sink.received() >= 10).await;
    sink.hang_next.store(true, SeqCst);
    until("the sink to hang", || !sink.hang_next.load(SeqCst)).await;
    controller
}

#[tokio::test(start_paused = true)]
async fn a_stop_that_outlasts_its_deadline_is_answered_and_the_run_still_collected() {
    let controller = running_into_a_hung_sink().await;

    let t = Instant::now();
    let deadline = controller.stop_deadline();
    assert_eq!(
        controller.stop().await,
        Err(TransitionError::StopTimedOut(deadline))
    );
    assert_eq!(t.elapsed(), deadline);
    assert_eq!(controller.status().run.state, State::Stopping);
    assert_eq!(controller.start().await, Err(TransitionError::Stopping));

    // The hung send returns after its hour; the run sees the stop and ends.
    tokio::time::sleep(Duration::from_secs(3600)).await;
    until("the run to end", || {
        controller.status().run.state == State::Stopped
    })
    .await;
    assert_eq!(controller.start().await, Ok(State::Running));
    assert_eq!(controller.stop().await, Ok(State::Stopped));
}

#[tokio::test(start_paused = true)]
async fn shutdown_is_bounded_when_a_run_hangs() {
    let controller = running_into_a_hung_sink().await;

    let t = Instant::now();
    let counters = controller.shutdown().await;
    assert_eq!(t.elapsed(), controller.stop_deadline());
    assert!(
        counters.in_flight > 0,
        "what the hung run holds is reported undelivered: {counters:?}"
    );
}
