//! `csgen serve`: the control server, as the original ran it (stopped until `/start`).
//!
//! A properties file runs the classic model at a rate; a TOML file runs the realistic
//! model live on the wall clock (see `csgen_server::workload` for what start, stop and
//! rate mean for each).

use std::time::Duration;

use anyhow::Context;
use csgen_model::realistic::RealisticModel;
use csgen_model::{Encoder, ModelConfig, StoreConfig};
use csgen_server::{AppState, Controller, ServeOptions, Token, Workload, app, system_clock};
use csgen_sinks::SinkSpec;
use csgen_sinks::stdout::StdoutSpec;

use super::{all_delivered, counts, generator, runtime, seed, shutdown_signal};
use crate::UsageError;
use crate::args::ServeArgs;

/// Environment variable holding the control token in clear.
pub const TOKEN_ENV: &str = "CS_TOKEN";

pub fn run(a: ServeArgs) -> anyhow::Result<()> {
    let source = crate::config::load(&a.stream.config)?;
    let config = source.store().clone();
    let token = token(&config, std::env::var(TOKEN_ENV).ok())?;
    let seed = seed(a.stream.seed);
    let shard = a.stream.shard()?;
    let workload = match &source.model {
        ModelConfig::Classic(_) => Workload::Classic {
            generator: generator(&config, seed),
            encoder: Encoder::new(a.stream.format, &config.store_url),
            rate: a.rate.unwrap_or(config.clicks_per_second),
        },
        ModelConfig::Realistic(_) if a.rate.is_some() => {
            return Err(UsageError(format!(
                "{}: --rate applies to the classic (properties) model; the realistic model's \
                 pace is store.sessions_per_day in the configuration",
                source.origin
            ))
            .into());
        }
        ModelConfig::Realistic(realistic) => Workload::Realistic {
            model: std::sync::Arc::new(RealisticModel::new(realistic, seed)),
            format: a.stream.format,
            backfill: None,
        },
    };
    let (model, rate) = (workload.name(), workload.initial_rate());
    let spec = a
        .stream
        .sink
        .clone()
        .unwrap_or(SinkSpec::Stdout(StdoutSpec));
    let cx = crate::sink::context(&a.stream, config.clone())?;

    runtime()?.block_on(async move {
        let (sink, reports) = crate::sink::open(&spec, &cx).await?;
        let listener = csgen_server::bind(a.bind)
            .await
            .with_context(|| format!("cannot listen on {}", a.bind))?;
        let address = listener.local_addr()?;
        let controller = std::sync::Arc::new(Controller::new(
            workload,
            sink,
            shard,
            a.stream.flush_timeout,
            system_clock(),
        ));
        let mut state = AppState::new(controller.clone(), token.token);
        if let Some(reports) = reports {
            state = state.with_reports(reports);
        }
        if let Some(generated) = token.generated {
            // Shown once to the operator who started the server; never logged.
            eprintln!("csgen: control token (generated, set CS_TOKEN to choose one): {generated}");
        }
        tracing::info!(%address, model, rate, seed, sink = %spec, "csgen control server listening (stopped)");
        eprintln!("csgen: listening on http://{address} (stopped; POST /start to generate)");
        let options = ServeOptions {
            allowed_hosts: a.allow_host.clone(),
            ..ServeOptions::default()
        };
        csgen_server::serve(listener, app(state), options, shutdown_signal()).await?;

        let stats = tokio::time::timeout(a.stream.flush_timeout + Duration::from_secs(1), controller.shutdown())
            .await
            .unwrap_or_else(|_| controller.stats().snapshot());
        eprintln!("csgen: {}", counts(&stats));
        if let Some(calls) = &stats.calls {
            eprintln!("csgen: {calls}");
        }
        all_delivered(&stats)
    })
}

pub(super) struct ResolvedToken {
    pub token: Token,
    /// A token csgen made up because none was configured.
    pub generated: Option<String>,
}

/// The control token: CS_TOKEN, else the config's `token-sha256`, else a fresh random one.
/// An old `token-as-hash` alone is refused, with the reason and the fix.
pub(super) fn token(config: &StoreConfig, env: Option<String>) -> anyhow::Result<ResolvedToken> {
    if let Some(plain) = env.filter(|t| !t.is_empty()) {
        return Ok(ResolvedToken {
            token: Token::from_plain(&plain),
            generated: None,
        });
    }
    if let Some(digest) = config.token_sha256 {
        return Ok(ResolvedToken {
            token: Token::from_digest(digest),
            generated: None,
        });
    }
    if let Some(line) = config.legacy_token_line {
        return Err(UsageError(format!(
            "line {line}: key `token-as-hash` cannot be used: {}",
            csgen_model::config::LEGACY_TOKEN_HELP
        ))
        .into());
    }
    let fresh = uuid::Uuid::new_v4().simple().to_string();
    Ok(ResolvedToken {
        token: Token::from_plain(&fresh),
        generated: Some(fresh),
    })
}
