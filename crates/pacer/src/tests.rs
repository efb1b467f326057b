//! Pacer tests on tokio's paused clock: time advances only when every task sleeps, so
//! these check the schedule exactly, with no real waiting.

use std::sync::Arc;
use std::time::Duration;

use csgen_model::{Batch, Click, Encoder, Format, Generator, Shard, StoreConfig};
use csgen_sinks::{Sink, SinkError, SinkStats};

use super::*;

/// Keeps every click it is sent, with the (paused) time it arrived, the records' bytes,
/// how many batches it was handed and how many clicks it had at each flush.
#[derive(Default)]
pub(crate) struct Recorder {
    pub clicks: Vec<(Click, tokio::time::Instant)>,
    pub data: Vec<u8>,
    pub sends: usize,
    pub flushes: Vec<usize>,
    /// Each `send` takes this long (a slow sink).
    pub delay: Option<Duration>,
    pub stats: Arc<SinkStats>,
}

#[async_trait::async_trait]
impl Sink for Recorder {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        if let Some(d) = self.delay {
            tokio::time::sleep(d).await;
        }
        let now = tokio::time::Instant::now();
        self.stats.add_delivered(batch.len() as u64);
        self.sends += 1;
        self.data.extend_from_slice(&batch.data);
        self.clicks.extend(batch.clicks.iter().map(|&c| (c, now)));
        Ok(())
    }
    async fn flush(&mut self) -> Result<(), SinkError> {
        self.flushes.push(self.clicks.len());
        Ok(())
    }
    fn stats(&self) -> &Arc<SinkStats> {
        &self.stats
    }
    fn describe(&self) -> String {
        "recorder".into()
    }
}

fn plan(pacing: Pacing) -> Plan {
    let config = StoreConfig::defaults();
    let model = Model::Classic {
        generator: generator(),
        encoder: Encoder::new(Format::Url, &config.store_url),
        pacing,
        start_seq: 0,
    };
    Plan {
        flush_timeout: Duration::from_secs(1),
        ..Plan::new(model, 1_000_000)
    }
}

fn generator() -> Arc<Generator> {
    Arc::new(Generator::new(&StoreConfig::defaults(), 9))
}

#[tokio::test(start_paused = true)]
async fn paced_run_emits_each_event_on_time_and_stops_at_the_deadline() {
    let mut sink = Recorder::default();
    let plan = Plan {
        duration: Some(Duration::from_secs(10)),
        ..plan(Pacing::Rate(100.0))
    };
    let started = tokio::time::Instant::now();
    let out = run(&mut sink, plan, &Control::new(100.0)).await;
    assert_eq!(out.reason, StopReason::DurationElapsed);
    assert_eq!(sink.clicks.len(), 1000, "events at 0, 10 ms, …, 9.99 s");
    for (i, (click, at)) in sink.clicks.iter().enumerate() {
        assert_eq!(click.seq, i as u64);
        assert_eq!(click.ts_ms, 1_000_000 + 10 * i as i64);
        let due = started + Duration::from_millis(10 * i as u64);
        assert!(
            *at >= due && *at < due + Duration::from_millis(2),
            "event {i} late or early"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_rate_change_takes_effect_at_once_without_a_jump_in_time() {
    let mut sink = Recorder::default();
    let plan = Plan {
        duration: Some(Duration::from_secs(10)),
        ..plan(Pacing::Rate(100.0))
    };
    let control = Control::new(100.0);
    let changer = control.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(5_005)).await;
        changer.set_rate(1000.0);
    });
    run(&mut sink, plan, &control).await;
    // 501 events in the first 5.005 s, then 1000/s for 4.995 s.
    let n = sink.clicks.len();
    assert!((5_495..=5_497).contains(&n), "got {n}");
    let ts: Vec<i64> = sink.clicks.iter().map(|(c, _)| c.ts_ms).collect();
    assert!(
        ts.windows(2).all(|w| w[0] <= w[1]),
        "event times never go back"
    );
    assert_eq!(ts[n - 1] - ts[n - 2], 1, "1 ms apart at the new rate");
    assert!(ts[n - 1] - ts[0] <= 10_000);
}

#[tokio::test(start_paused = true)]
async fn count_bound_and_shard_are_respected_when_paced() {
    let mut sink = Recorder::default();
    let plan = Plan {
        count: Some(100),
        shard: Shard::new(2, 4).unwrap(),
        ..plan(Pacing::Rate(1000.0))
    };
    let out = run(&mut sink, plan, &Control::new(1000.0)).await;
    assert_eq!(out.reason, StopReason::CountReached);
    assert_eq!(out.next_seq, 100);
    let seqs: Vec<u64> = sink.clicks.iter().map(|(c, _)| c.seq).collect();
    assert_eq!(seqs, (1..100).step_by(4).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn stop_ends_a_paced_run_and_reports_where_to_continue() {
    let mut sink = Recorder::default();
    let control = Control::new(10.0);
    let stopper = control.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1_050)).await;
        stopper.stop();
    });
    let out = run(&mut sink, plan(Pacing::Rate(10.0)), &control).await;
    assert_eq!(out.reason, StopReason::Stopped);
    assert_eq!(sink.clicks.len(), 11);
    assert_eq!(out.next_seq, 11);
    assert_eq!(out.emitted, 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaced_runs_deliver_in_sequence_order_for_any_thread_count() {
    let mut reference = None;
    for threads in [1, 3] {
        let mut sink = Recorder::default();
        let plan = Plan {
            count: Some(3 * CHUNK + 17),
            threads,
            ..plan(Pacing::Unpaced { nominal_rate: 3.0 })
        };
        let out = run(&mut sink, plan, &Control::new(3.0)).await;
        assert_eq!(out.reason, StopReason::CountReached);
        let clicks: Vec<Click> = sink.clicks.into_iter().map(|(c, _)| c).collect();
        assert_eq!(clicks.len() as u64, 3 * CHUNK + 17);
        assert!(clicks.iter().enumerate().all(|(i, c)| c.seq == i as u64));
        match &reference {
            None => reference = Some(clicks),
            Some(r) => assert!(r == &clicks, "threads={threads} differs"),
        }
    }
}

/// A sink that refuses everything, as a stream with a missing target would.
struct Refuser(Arc<SinkStats>);

#[async_trait::async_trait]
impl Sink for Refuser {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        self.0.add_failed(batch.len() as u64);
        Err(SinkError::Fatal {
            target: "refuser".into(),
            source: "no such stream".into(),
        })
    }
    async fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
    fn stats(&self) -> &Arc<SinkStats> {
        &self.0
    }
    fn describe(&self) -> String {
        "refuser".into()
    }
}

#[tokio::test(start_paused = true)]
async fn a_failing_sink_ends_the_run_with_its_error_and_counts() {
    let mut sink = Refuser(Arc::default());
    let out = run(&mut sink, plan(Pacing::Rate(5.0)), &Control::new(5.0)).await;
    assert_eq!(out.reason, StopReason::Failed);
    assert!(out.error.unwrap().to_string().contains("no such stream"));
    let s = sink.stats().snapshot();
    assert_eq!((s.generated, s.failed, s.in_flight), (1, 1, 0));
    assert_eq!(
        out.next_seq, 1,
        "a continuation never reuses the failed event's id"
    );
}

// Issue 15: `--rate 1e-20 -n 1` panicked (a schedule offset beyond `Duration`), and
// `rate=1e308` wrapped the due count and spun. The pacer refuses both itself, whoever
// built the plan, and sends nothing.
#[tokio::test(start_paused = true)]
async fn a_rate_of_1e_minus_20_is_refused_instead_of_panicking() {
    for rate in [1e-20, 1e308, f64::NAN] {
        let mut sink = Recorder::default();
        let plan = Plan {
            count: Some(1),
            ..plan(Pacing::Rate(rate))
        };
        let out = run(&mut sink, plan, &Control::new(3.0)).await;
        assert_eq!(out.reason, StopReason::Failed, "{rate}");
        let err = out.error.expect("an error").to_string();
        assert!(err.contains("outside the accepted range"), "{err}");
        assert_eq!((out.emitted, sink.sends), (0, 0));
    }
}

#[tokio::test(start_paused = true)]
async fn a_rate_of_1e308_set_while_running_changes_nothing() {
    let mut sink = Recorder::default();
    let plan = Plan {
        duration: Some(Duration::from_secs(2)),
        ..plan(Pacing::Rate(100.0))
    };
    let control = Control::new(100.0);
    let changer = control.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1_005)).await;
        changer.set_rate(1e308);
        changer.set_rate(1e-20);
    });
    let out = run(&mut sink, plan, &control).await;
    assert_eq!(out.reason, StopReason::DurationElapsed);
    assert_eq!(sink.clicks.len(), 200, "still 100/s");
    assert_eq!(control.rate(), 100.0);
}

// Issue 15: at `rate=1e9` into a file sink the catch-up loop never looked at stop (nor
// at the deadline), so `/stop` and SIGTERM hung. A sink far slower than the highest
// accepted rate must still see the run stop within a batch of the request.
#[tokio::test(start_paused = true)]
async fn a_run_catching_up_at_the_highest_rate_honours_stop_promptly() {
    let mut sink = Recorder {
        delay: Some(Duration::from_millis(1)),
        ..Recorder::default()
    };
    let control = Control::new(csgen_model::rate::MAX);
    let stopper = control.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        stopper.stop();
    });
    let started = tokio::time::Instant::now();
    let out = run(
        &mut sink,
        plan(Pacing::Rate(csgen_model::rate::MAX)),
        &control,
    )
    .await;
    assert_eq!(out.reason, StopReason::Stopped);
    assert!(
        started.elapsed() <= Duration::from_millis(52),
        "stopped after {:?}",
        started.elapsed()
    );
    assert!(
        sink.sends >= 40,
        "it was catching up: {} batches",
        sink.sends
    );
}

#[tokio::test(start_paused = true)]
async fn a_run_catching_up_ends_at_its_deadline() {
    let mut sink = Recorder {
        delay: Some(Duration::from_millis(1)),
        ..Recorder::default()
    };
    let plan = Plan {
        duration: Some(Duration::from_millis(30)),
        ..plan(Pacing::Rate(csgen_model::rate::MAX))
    };
    let started = tokio::time::Instant::now();
    let out = run(&mut sink, plan, &Control::new(csgen_model::rate::MAX)).await;
    assert_eq!(out.reason, StopReason::DurationElapsed);
    assert!(started.elapsed() <= Duration::from_millis(32));
}

#[tokio::test(start_paused = true)]
async fn a_million_threads_are_refused_before_any_is_started() {
    let mut sink = Recorder::default();
    let plan = Plan {
        threads: 1_000_000,
        count: Some(10),
        ..plan(Pacing::Unpaced { nominal_rate: 3.0 })
    };
    let out = run(&mut sink, plan, &Control::new(3.0)).await;
    assert_eq!(out.reason, StopReason::Failed);
    assert!(matches!(
        out.error,
        Some(RunError::Plan(PlanError::Threads(1_000_000)))
    ));
    assert_eq!(sink.sends, 0);
}

#[tokio::test(start_paused = true)]
async fn a_backfill_is_flushed_when_it_hands_over_to_live_time() {
    use csgen_model::{RealisticConfig, realistic::RealisticModel};
    // 2027-01-15T08:00:00Z; the model's clock follows tokio's paused one.
    const T0: i64 = 1_800_000_000_000;
    let base = tokio::time::Instant::now();
    let model = Arc::new(RealisticModel::new(&RealisticConfig::defaults(), 3));
    let model = Model::Realistic {
        model,
        format: Format::Json,
        until_ms: Some(T0),
        then_live: true,
        truth: false,
    };
    let plan = Plan {
        duration: Some(Duration::from_secs(60)),
        flush_timeout: Duration::from_secs(1),
        clock: Arc::new(move || T0 + base.elapsed().as_millis() as i64),
        ..Plan::new(model, T0 - 3_600_000)
    };
    let mut sink = Recorder::default();
    let out = run(&mut sink, plan, &Control::new(1.0)).await;
    assert_eq!(out.reason, StopReason::DurationElapsed);
    let backfilled = sink.clicks.iter().filter(|(c, _)| c.ts_ms < T0).count();
    assert!(
        backfilled > 100,
        "an hour of the default store: {backfilled}"
    );
    assert_eq!(
        sink.flushes.first(),
        Some(&backfilled),
        "the first flush holds exactly the backfill"
    );
    let live = &sink.clicks[backfilled..];
    assert!(!live.is_empty());
    let gap = Duration::from_millis(crate::live::MIN_GAP_MS as u64);
    for (c, at) in live {
        let due = base + Duration::from_millis((c.ts_ms - T0) as u64);
        assert!(
            *at >= due && *at <= due + gap + Duration::from_millis(2),
            "live event on time (within a hand-off gap)"
        );
    }
}

/// A busy store live: events are handed over in batches at least `MIN_GAP_MS` apart
/// (not one sink call per event), each event no earlier than its arrival time and at
/// most that gap after it; a quiet stretch still gets its events on time.
#[tokio::test(start_paused = true)]
async fn a_busy_live_run_hands_events_over_in_batches_none_early_none_later_than_the_gap() {
    use csgen_model::{RealisticConfig, realistic::RealisticModel};
    const T0: i64 = 1_800_000_000_000;
    let base = tokio::time::Instant::now();
    let text = "[store]\nsessions_per_day = 20000000\n";
    let config = RealisticConfig::from_toml(text).expect("valid config");
    let model = Model::Realistic {
        model: Arc::new(RealisticModel::new(&config, 5)),
        format: Format::Json,
        until_ms: None,
        then_live: false,
        truth: false,
    };
    let plan = Plan {
        duration: Some(Duration::from_secs(5)),
        flush_timeout: Duration::from_secs(1),
        clock: Arc::new(move || T0 + base.elapsed().as_millis() as i64),
        ..Plan::new(model, T0)
    };
    let mut sink = Recorder::default();
    let out = run(&mut sink, plan, &Control::new(1.0)).await;
    assert_eq!(out.reason, StopReason::DurationElapsed);
    let n = sink.clicks.len();
    assert!(n > 500, "5 s of a store with 20 M sessions a day: {n}");
    let gap = Duration::from_millis(crate::live::MIN_GAP_MS as u64);
    // At most one hand-off per gap over the run (5 s / 100 ms), and a few to spare.
    assert!(
        sink.sends <= (5_000 / crate::live::MIN_GAP_MS as usize) + 2,
        "{} sends for {n} events",
        sink.sends
    );
    for (c, at) in &sink.clicks {
        let due = base + Duration::from_millis((c.ts_ms - T0).max(0) as u64);
        assert!(*at >= due, "not before its time");
        assert!(
            *at <= due + gap + Duration::from_millis(2),
            "within the gap"
        );
    }
}
