//! `csgen generate`: a bounded or unbounded run into one sink, then a one-line summary.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use csgen_model::Encoder;
use csgen_pacer::{Control, Pacing, Plan, StopReason};
use csgen_sinks::{Sink, SinkSpec, SinkStats};

use super::{counts, generator, now_ms, runtime, seed, shutdown_signal};
use crate::args::GenerateArgs;

pub fn run(a: GenerateArgs) -> anyhow::Result<()> {
    let source = crate::config::load(&a.stream.config)?;
    let config = source.config;
    let seed = seed(a.stream.seed);
    let spec = match (&a.output, &a.stream.sink) {
        (Some(p), _) if p.as_os_str() == "-" => SinkSpec::Stdout,
        (Some(p), _) => SinkSpec::File(p.clone()),
        (None, Some(s)) => s.clone(),
        (None, None) => SinkSpec::Stdout,
    };
    let shard = a.stream.shard;
    let plan = Plan {
        encoder: Encoder::new(a.stream.format, &config.store_url),
        start_seq: 0,
        end_seq: a.count,
        start_ms: a.start.unwrap_or_else(now_ms),
        pacing: match a.rate {
            Some(rate) => Pacing::Rate(rate),
            None => Pacing::Unpaced {
                nominal_rate: config.clicks_per_second,
                threads: match a.threads {
                    0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
                    n => n,
                },
            },
        },
        duration: a.duration,
        shard,
        flush_timeout: a.stream.flush_timeout,
    };
    let generator = generator(&config, seed);

    runtime()?.block_on(async move {
        let mut sink = spec
            .build_with(&csgen_sinks::BuildOptions::for_run(
                config.kinesis_stream.clone(),
                a.stream.flush_timeout,
            ))
            .await?;
        let control = Control::new(a.rate.unwrap_or(config.clicks_per_second));
        let stopper = control.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            stopper.stop();
        });
        let total = a.count.map(|n| shard.owned_in(0, n));
        let progress = Progress::start(sink.stats().clone(), total);
        let outcome = csgen_pacer::run(generator, &mut sink, plan, &control).await;
        progress.finish();

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
        if let Some(e) = outcome.error {
            return Err(anyhow::Error::new(e).context("delivery failed"));
        }
        // A reader that closes the pipe (`| head`) ends the run; what it did not take is
        // counted as failed in the summary, but that is the reader's choice, not an error.
        let reader_left = outcome.reason == StopReason::OutputClosed;
        if !reader_left && (stats.failed > 0 || stats.in_flight > 0) {
            bail!(
                "{} records were not delivered ({} failed, {} still in flight at exit)",
                stats.failed + stats.in_flight,
                stats.failed,
                stats.in_flight
            );
        }
        Ok(())
    })
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
