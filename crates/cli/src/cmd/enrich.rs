//! `csgen enrich`: raw clicks from any source into the Parquet lake.

use std::sync::Arc;

use csgen_pipeline::endpoint::kafka::KafkaSettings;
use csgen_pipeline::{AwsSettings, Counters, EnrichOptions, LakeOptions, RunOptions};

use super::{now_ms, runtime, shutdown_signal};
use crate::args::EnrichArgs;

pub fn run(a: EnrichArgs) -> anyhow::Result<()> {
    let source = crate::config::load(&a.config)?;
    let options = RunOptions {
        enrich: EnrichOptions {
            session_gap: a.session_gap,
            source_key: a.from.key(),
            window: a.to.window,
        },
        lake: LakeOptions {
            max_age: a.max_age.unwrap_or(a.to.options.max_age),
            max_buffer_bytes: a
                .max_buffer_mib
                .map_or(a.to.options.max_buffer_bytes, |mib| usize::from(mib) << 20),
            ..a.to.options.clone()
        },
        aws: AwsSettings {
            endpoint: a.endpoint.clone(),
        },
        kafka: KafkaSettings::load(a.kafka_config.as_deref(), std::env::vars_os())?,
        ..RunOptions::default()
    };
    runtime()?.block_on(async move {
        let store = a.to.lake.open(&options.aws).await?;
        let counters = Arc::new(Counters::default());
        let summary = csgen_pipeline::run(
            &a.from,
            store,
            source.store(),
            &options,
            counters,
            now_ms,
            shutdown_signal(),
        )
        .await?;
        let c = &summary.counters;
        eprintln!(
            "csgen: enrich {} -> {}: {} records, {} events and {} dead letters committed in {} files ({} bytes)",
            a.from, a.to, c.records, c.committed_events, c.committed_dead_letters, c.files, c.bytes_written
        );
        for (reason, n) in &c.by_reason {
            eprintln!("csgen:   dead letters {reason}: {n}");
        }
        Ok(())
    })
}
