//! `csgen generate`: a bounded or unbounded run into one sink, then a one-line summary.
//!
//! The classic model is paced by rate (or unpaced); the realistic model by event time:
//! a backfill of `--from..--to` as fast as possible, live otherwise (or after the
//! backfill with `--then-live`), writing the ground-truth manifest at the end.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use csgen_model::{Encoder, ModelConfig, RunIdentity, realistic::RealisticModel};
use csgen_pacer::{Control, Model, Outcome, Pacing, Plan, StopReason};
use csgen_sinks::file::FileSpec;
use csgen_sinks::stdout::StdoutSpec;
use csgen_sinks::{Sink, SinkContext, SinkSpec, SinkStats};

use super::{counts, generator, now_ms, runtime, seed, shutdown_signal};
use crate::args::GenerateArgs;

pub fn run(a: GenerateArgs) -> anyhow::Result<()> {
    let source = crate::config::load(&a.stream.config)?;
    let store = source.store().clone();
    let seed = seed(a.stream.seed);
    let shard = a.stream.shard()?;
    let from_ms = a.from.or(a.start).unwrap_or_else(now_ms);
    // Every attempt of this shard of this run has the same identity: a lake names its
    // files after it, so that a rerun replaces an earlier attempt.
    let run = RunIdentity {
        seed,
        format: a.stream.format.to_string(),
        config_sha256: source.sha256.clone(),
        from_ms,
        to_ms: a.to,
        count: a.count,
    };
    let target = match (&a.output, &a.stream.sink) {
        (Some(p), _) if p.as_os_str() == "-" => SinkSpec::Stdout(StdoutSpec),
        (Some(p), _) => SinkSpec::File(FileSpec { path: p.clone() }),
        (None, Some(s)) => s.clone(),
        (None, None) => SinkSpec::Stdout(StdoutSpec),
    };
    let cx = SinkContext {
        run_id: Some(run.writer_id(shard)),
        ..crate::sink::context(&a.stream, store.clone())?
    };
    let truth_path = truth_path(&a, &target);
    if let Some(path) = &truth_path {
        crate::truth::check_writable(path)?;
    }

    let (backfill, then_live) = (a.to.is_some(), a.then_live);
    let incomplete = move |o: &Outcome| o.reason == StopReason::Stopped && backfill && !then_live;

    runtime()?.block_on(async move {
        let (mut sink, _) = crate::sink::open(&target, &cx).await?;
        let control = Control::new(a.rate.unwrap_or(store.clicks_per_second));
        let stopper = control.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            stopper.stop();
        });

        let (model, count, total) = match &source.model {
            ModelConfig::Classic(_) => {
                let rate = a.rate.unwrap_or(store.clicks_per_second);
                // A classic backfill is the range's share of clicks at the rate.
                let count = match (a.from, a.to) {
                    (Some(from), Some(to)) => {
                        let n = ((to - from).max(0) as f64 / 1000.0 * rate).floor() as u64;
                        Some(a.count.map_or(n, |c| c.min(n)))
                    }
                    _ => a.count,
                };
                let model = Model::Classic {
                    generator: generator(&store, seed),
                    encoder: Encoder::new(a.stream.format, &store.store_url),
                    pacing: match a.rate {
                        Some(rate) => Pacing::Rate(rate),
                        None => Pacing::Unpaced {
                            nominal_rate: store.clicks_per_second,
                        },
                    },
                    start_seq: 0,
                };
                (model, count, count.map(|n| shard.owned_in(0, n)))
            }
            ModelConfig::Realistic(config) => {
                let realistic = Arc::new(RealisticModel::new(config, seed));
                if let SinkSpec::Lake(lake) = &target {
                    // The products and customers tables the events will name.
                    let store = lake.lake.open(&cx.aws).await?;
                    csgen_pipeline::lake::dimensions::write_dimensions(
                        &store,
                        &realistic,
                        shard,
                        &lake.options,
                    )
                    .await
                    .with_context(|| {
                        format!("cannot write the dimension tables to {}", lake.lake)
                    })?;
                }
                let model = Model::Realistic {
                    model: realistic,
                    format: a.stream.format,
                    until_ms: a.to,
                    then_live: a.then_live,
                    truth: truth_path.is_some(),
                };
                (model, a.count, a.count)
            }
        };
        let plan = Plan {
            count,
            duration: a.duration,
            shard,
            threads: a.threads,
            flush_timeout: a.stream.flush_timeout,
            clock: Arc::new(now_ms),
            ..Plan::new(model, from_ms)
        };
        let progress = Progress::start(sink.stats().clone(), total);
        let mut outcome = csgen_pacer::run(&mut sink, plan, &control).await;
        progress.finish();
        if incomplete(&outcome) && truth_path.is_some() {
            // A manifest of part of a shard would make the union look whole.
            eprintln!("csgen: ground truth not written: the backfill did not finish");
        } else if let (Some(path), Some(mut manifest)) = (&truth_path, outcome.manifest.take()) {
            manifest.run = Some(run);
            crate::truth::write(path, manifest.to_json().into_bytes(), &cx.aws)
                .await
                .with_context(|| format!("cannot write the ground truth {}", path.display()))?;
            eprintln!("csgen: ground truth written to {}", path.display());
        }
        if let Some(detail) = sink.detail() {
            eprintln!("csgen: {detail}");
        }
        report(&sink, &outcome, seed)?;
        // A backfill stopped before its end (SIGTERM: a drained node, a deleted pod)
        // is incomplete: exit 1, so that an orchestrator runs it again instead of
        // counting it done (a rerun into a lake replaces this attempt).
        if incomplete(&outcome) {
            bail!("stopped by signal before the end of the backfill (--to): the run is incomplete");
        }
        Ok(())
    })
}

/// The summary line, and the exit status it implies.
fn report(sink: &impl Sink, outcome: &Outcome, seed: u64) -> anyhow::Result<()> {
    let stats = sink.stats().snapshot();
    let secs = outcome.elapsed.as_secs_f64();
    let per_sec = if secs > 0.0 {
        stats.generated as f64 / secs
    } else {
        0.0
    };
    eprintln!(
        "csgen: {} in {secs:.2} s ({per_sec:.0}/s) to {}, seed {seed}{}",
        counts(&stats),
        sink.describe(),
        match outcome.reason {
            StopReason::OutputClosed => ", output closed by the reader",
            StopReason::Stopped => ", stopped by signal",
            _ => "",
        }
    );
    if let Some(calls) = stats.calls {
        eprintln!("csgen: {calls}");
    }
    if let Some(e) = &outcome.error {
        bail!("delivery failed: {e}");
    }
    // A reader that closes the pipe (`| head`) ends the run; what it did not take is
    // counted as failed in the summary, but that is the reader's choice, not an error.
    let reader_left = outcome.reason == StopReason::OutputClosed;
    if !reader_left {
        super::all_delivered(&stats)?;
    }
    Ok(())
}

/// `--truth PATH`, else `FILE.truth.json` beside a file sink's output when that is a
/// regular file (not beside `/dev/null`, a pipe or a terminal).
fn truth_path(a: &GenerateArgs, target: &SinkSpec) -> Option<PathBuf> {
    a.truth.clone().or_else(|| match target {
        SinkSpec::File(FileSpec { path: p }) if !is_special_file(p) => {
            let mut name = p.file_name()?.to_os_string();
            name.push(".truth.json");
            Some(p.with_file_name(name))
        }
        _ => None,
    })
}

/// Whether `path` exists and is something other than a regular file or a folder.
fn is_special_file(path: &std::path::Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// A progress bar on stderr for long runs (indicatif hides it when stderr is not a terminal).
struct Progress {
    bar: indicatif::ProgressBar,
    task: tokio::task::JoinHandle<()>,
}

impl Progress {
    fn start(stats: Arc<SinkStats>, total: Option<u64>) -> Self {
        let bar = match total {
            Some(n) => indicatif::ProgressBar::new(n).with_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {human_pos}/{human_len} events, {per_sec}, eta {eta}",
                )
                .expect("valid template"),
            ),
            None => indicatif::ProgressBar::no_length().with_style(
                indicatif::ProgressStyle::with_template("{human_pos} events, {per_sec}, {elapsed}")
                    .expect("valid template"),
            ),
        };
        let ticker = bar.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            loop {
                tick.tick().await;
                ticker.set_position(stats.snapshot().generated);
            }
        });
        Self { bar, task }
    }

    fn finish(self) {
        self.task.abort();
        self.bar.finish_and_clear();
    }
}
