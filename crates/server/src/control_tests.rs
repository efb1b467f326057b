//! The controller driving the realistic model, on tokio's paused clock: the wall clock
//! the model sees is derived from tokio's, so live runs take no real time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use csgen_model::realistic::RealisticModel;
use csgen_model::{Batch, Click, Format, RealisticConfig, Shard};
use csgen_sinks::{Sink, SinkError, SinkStats};

use super::*;

/// 2027-01-15T08:00:00Z, a Friday morning: traffic is steady.
const T0: i64 = 1_800_000_000_000;

/// Buffers what it is sent and delivers it on flush, as the lake does.
#[derive(Default, Clone)]
struct Keep {
    stats: Arc<SinkStats>,
    buffered: Arc<Mutex<Vec<Click>>>,
    delivered: Arc<Mutex<Vec<Click>>>,
}

#[async_trait::async_trait]
impl Sink for Keep {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        self.buffered
            .lock()
            .unwrap()
            .extend(batch.clicks.iter().copied());
        Ok(())
    }
    async fn flush(&mut self) -> Result<(), SinkError> {
        let mut buffered = std::mem::take(&mut *self.buffered.lock().unwrap());
        self.stats.add_delivered(buffered.len() as u64);
        self.delivered.lock().unwrap().append(&mut buffered);
        Ok(())
    }
    fn stats(&self) -> &Arc<SinkStats> {
        &self.stats
    }
    fn describe(&self) -> String {
        "keep".into()
    }
}

fn realistic(backfill: Option<Duration>) -> (Controller, Keep) {
    let model = RealisticModel::new(&RealisticConfig::defaults(), 5);
    let sink = Keep::default();
    let base = tokio::time::Instant::now();
    let clock: Clock = Arc::new(move || T0 + base.elapsed().as_millis() as i64);
    let workload = Workload::Realistic {
        model: Arc::new(model),
        format: Format::Json,
        backfill,
    };
    let controller = Controller::new(
        workload,
        sink.clone(),
        Shard::ALL,
        Duration::from_secs(5),
        clock,
    );
    (controller, sink)
}

fn times(clicks: &[Click]) -> (i64, i64) {
    let min = clicks.iter().map(|c| c.ts_ms).min().unwrap();
    let max = clicks.iter().map(|c| c.ts_ms).max().unwrap();
    (min, max)
}

#[tokio::test(start_paused = true)]
async fn a_realistic_run_backfills_once_then_goes_live_and_restarts_where_it_stopped() {
    let (controller, sink) = realistic(Some(Duration::from_secs(1800)));
    assert_eq!(controller.start().await, Ok(State::Running));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let burst = controller.status().run.achieved_rate;
    tokio::time::sleep(Duration::from_secs(99)).await;
    controller.status();
    tokio::time::sleep(Duration::from_secs(20)).await;
    let status = controller.status().run;
    assert_eq!((status.state, status.model), (State::Running, "realistic"));
    assert!(status.counters.generated > 0);
    // Half an hour of backfill in the first second, then the morning's ~0.6 events/s.
    assert!(burst > 100.0, "{burst}");
    assert!(
        status.achieved_rate < 3.0,
        "the live rate: {}",
        status.achieved_rate
    );
    assert_eq!(controller.stop().await, Ok(State::Stopped));
    let first = std::mem::take(&mut *sink.delivered.lock().unwrap());
    let c = controller.status().run.counters;
    assert_eq!(
        (c.delivered, c.in_flight),
        (c.generated, 0),
        "stop waits for the flush"
    );
    let (lo, hi) = times(&first);
    assert!(
        (T0 - 1_800_000..T0 - 1_700_000).contains(&lo),
        "backfill from T0-30min: {lo}"
    );
    assert!(
        (T0 + 60_000..=T0 + 120_000).contains(&hi),
        "then live until the stop: {hi}"
    );

    // Stopped for a minute: nothing arrives, and the next run does not backfill again.
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(sink.buffered.lock().unwrap().is_empty());
    controller.start().await.unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;
    controller.stop().await.unwrap();
    let second = std::mem::take(&mut *sink.delivered.lock().unwrap());
    let (lo, hi) = times(&second);
    assert!(lo >= T0 + 180_000, "live from the restart: {lo}");
    assert!(hi <= T0 + 300_000, "{hi}");

    let mut keys: Vec<u64> = first.iter().chain(&second).map(|c| c.seq).collect();
    let n = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), n, "no event is emitted twice");
}

#[tokio::test(start_paused = true)]
async fn live_events_are_emitted_when_the_clock_reaches_them() {
    let (controller, sink) = realistic(None);
    let started = tokio::time::Instant::now();
    controller.start().await.unwrap();
    let mut seen = 0;
    let mut late = Vec::new();
    while started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = T0 + started.elapsed().as_millis() as i64;
        for c in &sink.buffered.lock().unwrap()[seen..] {
            assert!(c.ts_ms <= now, "event at {} emitted early ({now})", c.ts_ms);
            late.push(now - c.ts_ms);
        }
        seen = sink.buffered.lock().unwrap().len();
    }
    controller.stop().await.unwrap();
    assert!(
        seen > 10,
        "a minute of the default store's morning traffic: {seen}"
    );
    // A live run hands events over at most `LIVE_MIN_GAP_MS` after their time.
    assert!(
        late.iter()
            .all(|&ms| ms <= 100 + csgen_pacer::LIVE_MIN_GAP_MS),
        "emitted within a poll and a hand-off gap: {late:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_realistic_rate_is_reported_but_cannot_be_set() {
    let (controller, _) = realistic(None);
    let mean = RealisticConfig::defaults().store.clicks_per_second;
    assert_eq!(controller.status().run.rate, mean);
    assert_eq!(
        controller.set_rate(100.0),
        Err(TransitionError::RateIsModelled)
    );
    controller.start().await.unwrap();
    assert_eq!(
        controller.set_rate(100.0),
        Err(TransitionError::RateIsModelled)
    );
    assert_eq!(controller.status().run.rate, mean);
    controller.stop().await.unwrap();
}
