//! `csgen demo`: the whole pipeline in one process, with nothing to set up.
//!
//! The realistic model ([`DEMO_TOML`]: the example store, busier) first backfills the
//! recent past as fast as it can, then runs live on the wall clock. Its raw clicks are
//! enriched in-process and land in a local Parquet lake that commits every few seconds
//! (`--max-age`), so the dashboard's reports ([`LakeReports`]) follow the data. The
//! dashboard and the control API listen on 127.0.0.1. Unlike `serve`, the demo starts
//! running; Ctrl-C (or SIGTERM) stops generation, commits the lake, prints a summary and
//! exits 0.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use csgen_model::realistic::RealisticModel;
use csgen_model::{Format, RealisticConfig, Shard};
use csgen_pipeline::endpoint::duration::Shown;
use csgen_pipeline::{EventWindow, LakeOptions, LakeSpec};
use csgen_server::{AppState, Controller, ServeOptions, Workload, app, system_clock};
use csgen_sinks::SinkContext;
use csgen_sinks::lake::{LakeSink, LakeSinkSpec};

use super::serve::{TOKEN_ENV, token};
use super::{all_delivered, counts, runtime, seed, shutdown_signal};
use crate::UsageError;
use crate::args::DemoArgs;
use crate::reports::LakeReports;

/// The demo's model: fields it does not set keep the realistic model's defaults.
pub const DEMO_TOML: &str = include_str!("demo.toml");

/// How long the final flush may take.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

pub fn run(a: DemoArgs) -> anyhow::Result<()> {
    let config = RealisticConfig::from_toml(DEMO_TOML).context("the demo's built-in model")?;
    ensure_new(&a.lake)?;
    let seed = seed(a.seed);
    let token = token(&config.store, std::env::var(TOKEN_ENV).ok())?;
    let spec = LakeSinkSpec {
        lake: LakeSpec::Local(a.lake.clone()),
        options: LakeOptions {
            max_age: a.max_age,
            ..LakeOptions::default()
        },
        window: EventWindow::RECOMMENDED,
    };
    let cx = SinkContext {
        seed: a.seed,
        ..SinkContext::for_run(config.store.clone(), FLUSH_TIMEOUT)
    };

    runtime()?.block_on(async move {
        let sink = LakeSink::open(&spec, &cx).await?;
        let lake_counters = sink.counters().clone();
        let reports = LakeReports::new(spec.lake.clone(), Some(lake_counters.clone()));
        let listener = csgen_server::bind(a.bind).await.with_context(|| {
            format!(
                "cannot listen on {} (choose another address with --bind; port 0 takes any \
                     free one)",
                a.bind
            )
        })?;
        let address = listener.local_addr()?;
        let workload = Workload::Realistic {
            model: Arc::new(RealisticModel::new(&config, seed)),
            format: Format::Json,
            backfill: (!a.backfill.is_zero()).then_some(a.backfill),
        };
        let controller = Arc::new(Controller::new(
            workload,
            Box::new(sink) as csgen_sinks::AnySink,
            Shard::ALL,
            FLUSH_TIMEOUT,
            system_clock(),
        ));
        let started = Instant::now();
        controller.start().await?;
        let state = AppState::new(controller.clone(), token.token).with_reports(Arc::new(reports));

        let base = format!("http://{address}");
        let shown_token = token.generated.as_deref().map_or_else(
            || format!("from {TOKEN_ENV}"),
            |t| format!("{t}  (made up for this run; set {TOKEN_ENV} to choose one)"),
        );
        let lake = std::path::absolute(&a.lake).unwrap_or_else(|_| a.lake.clone());
        println!("csgen demo: simulated shoppers -> enrich -> Parquet lake, all on this machine");
        println!("  dashboard  {base}/dashboard");
        println!("  control    {base}/  (status, start, stop and rate with the token)");
        println!("  token      {shown_token}");
        println!(
            "  lake       {}  (events/dt=…/hour=…/*.parquet, committed every {})",
            lake.display(),
            Shown(a.max_age)
        );
        println!(
            "  model      {:.0} sessions a day, about {:.0} events/s; {}",
            config.traffic.sessions_per_day,
            config.store.clicks_per_second,
            if a.backfill.is_zero() {
                "live from now".to_owned()
            } else {
                format!("backfilling the last {}, then live", Shown(a.backfill))
            }
        );
        println!("Ctrl-C stops: the lake is committed and a summary printed.");
        tracing::info!(%address, seed, lake = %spec, "csgen demo running");

        csgen_server::serve(
            listener,
            app(state),
            ServeOptions::default(),
            shutdown_signal(),
        )
        .await?;
        let stats = tokio::time::timeout(
            FLUSH_TIMEOUT + Duration::from_secs(1),
            controller.shutdown(),
        )
        .await
        .unwrap_or_else(|_| controller.stats().snapshot());
        let lake_stats = lake_counters.snapshot();
        eprintln!(
            "csgen: {} in {:.1} s to lake:{}, seed {seed}",
            counts(&stats),
            started.elapsed().as_secs_f64(),
            a.lake.display()
        );
        eprintln!(
            "csgen: lake: {} events and {} dead letters (malformed records, with reasons, in \
             dead_letters/) in {} files",
            lake_stats.committed_events, lake_stats.committed_dead_letters, lake_stats.files
        );
        all_delivered(&stats)
    })
}

/// The demo writes a fresh lake: one over an earlier demo's hours would hold their
/// events twice. An empty or missing folder is fine.
fn ensure_new(dir: &Path) -> anyhow::Result<()> {
    let occupied = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_some(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => bail!("cannot read the lake folder {}: {e}", dir.display()),
    };
    if occupied {
        return Err(UsageError(format!(
            "{} is not empty (a lake from an earlier demo?): remove it, or choose another \
             folder with --lake DIR",
            dir.display()
        ))
        .into());
    }
    Ok(())
}
