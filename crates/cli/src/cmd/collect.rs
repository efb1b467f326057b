//! `csgen collect`: the HTTP collector (`csgen_server::collect`) in front of any sink,
//! until Ctrl-C or SIGTERM; then the sink is flushed and a summary printed.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use csgen_pipeline::AwsSettings;
use csgen_pipeline::endpoint::kafka::KafkaSettings;
use csgen_server::Token;
use csgen_server::collect::{self, CollectState, Limits, RecordLimits, Writer};
use csgen_sinks::stdout::StdoutSpec;
use csgen_sinks::{SinkContext, SinkSpec};

use super::{counts, runtime, shutdown_signal};
use crate::UsageError;
use crate::args::CollectArgs;

/// Environment variable holding the collector's bearer token.
pub const TOKEN_ENV: &str = "CSGEN_COLLECT_TOKEN";

pub fn run(a: CollectArgs) -> anyhow::Result<()> {
    let source = crate::config::load(&a.config)?;
    let limits = Limits {
        max_body_bytes: (a.max_body_mib as usize) << 20,
        records: RecordLimits {
            max_records: a.max_records as usize,
            max_record_bytes: (a.max_record_kib as usize) << 10,
        },
        buffer_records: a.buffer_records as usize,
        header_timeout: a.header_timeout,
        request_timeout: a.request_timeout,
        max_connections: a.max_connections as usize,
        ..Limits::default()
    };
    limits.check().map_err(UsageError)?;
    let token = token(a.token_file.as_deref(), std::env::var(TOKEN_ENV).ok())?;
    let spec = a.sink.clone().unwrap_or(SinkSpec::Stdout(StdoutSpec));
    let cx = SinkContext {
        aws: AwsSettings {
            endpoint: a.endpoint.clone(),
        },
        kafka: KafkaSettings::load(a.kafka_config.as_deref(), std::env::vars_os())?,
        ..SinkContext::for_run(source.store().clone(), a.flush_timeout)
    };

    runtime()?.block_on(async move {
        let (sink, _) = crate::sink::open(&spec, &cx).await?;
        let listener = tokio::net::TcpListener::bind(a.bind)
            .await
            .with_context(|| format!("cannot listen on {}", a.bind))?;
        let address = listener.local_addr()?;
        let (writer, task) = Writer::start(sink, limits.buffer_records);
        let app = collect::app(CollectState::new(writer, limits, token));
        eprintln!(
            "csgen: listening on http://{address} (POST /collect, GET /i?url=…) into {spec}{}",
            if a.token_file.is_some() || std::env::var_os(TOKEN_ENV).is_some() {
                ", bearer token required"
            } else {
                ""
            }
        );
        collect::serve(listener, app, limits, shutdown_signal()).await?;
        // Every request is answered and the writer handles are gone: the task flushes.
        let sink = tokio::time::timeout(a.flush_timeout + Duration::from_secs(1), task)
            .await
            .context("the sink did not finish its final flush in time")?
            .context("the sink's task failed")?;
        let stats = sink.stats().snapshot();
        eprintln!(
            "csgen: collected into {}: {}",
            sink.describe(),
            counts(&stats)
        );
        if let Some(detail) = sink.detail() {
            eprintln!("csgen: {detail}");
        }
        if let Some(calls) = stats.calls {
            eprintln!("csgen: {calls}");
        }
        if stats.failed > 0 || stats.in_flight > 0 {
            bail!(
                "{} collected records were not delivered ({:?})",
                stats.failed + stats.in_flight,
                sink.failure_reasons()
            );
        }
        Ok(())
    })
}

/// The bearer token: `--token-file`, else the environment, else none. Only its digest
/// is kept.
fn token(file: Option<&Path>, env: Option<String>) -> anyhow::Result<Option<Token>> {
    let text = match file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the token file {}", path.display()))?,
        None => match env {
            Some(t) => t,
            None => return Ok(None),
        },
    };
    let token = text.trim();
    if token.is_empty() {
        return Err(UsageError(format!(
            "the collector token ({}) is empty",
            file.map_or_else(|| TOKEN_ENV.to_owned(), |p| p.display().to_string())
        ))
        .into());
    }
    Ok(Some(Token::from_plain(token)))
}
