//! One module per subcommand.

pub mod catalog;
pub mod check;
pub mod collect;
pub mod ddl;
pub mod demo;
pub mod enrich;
pub mod generate;
pub mod query;
pub mod report;
pub mod serve;
pub mod token_hash;
pub mod verify;

use std::sync::Arc;

use csgen_model::{Generator, StoreConfig};

/// The run's seed: the user's, or a fresh random one (reported so a run can be replayed).
pub fn seed(given: Option<u64>) -> u64 {
    given.unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0)
}

pub fn generator(config: &StoreConfig, seed: u64) -> Arc<Generator> {
    Arc::new(Generator::new(config, seed))
}

/// Wall clock, Unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// `generated 10, delivered 10, failed 0`, the words every summary starts with.
pub fn counts(s: &csgen_sinks::StatsSnapshot) -> String {
    let mut text = format!(
        "generated {}, delivered {}, failed {}",
        s.generated, s.delivered, s.failed
    );
    if s.in_flight > 0 {
        text.push_str(&format!(", undelivered {}", s.in_flight));
    }
    text
}

/// An error naming how many records were not delivered, if any were not.
pub fn all_delivered(s: &csgen_sinks::StatsSnapshot) -> anyhow::Result<()> {
    if s.failed > 0 || s.in_flight > 0 {
        anyhow::bail!(
            "{} records were not delivered ({} failed, {} still in flight at exit)",
            s.failed + s.in_flight,
            s.failed,
            s.in_flight
        );
    }
    Ok(())
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
