//! Opening a run's sink: its build context from the arguments, the registry's build and
//! health check, and for a lake, the dashboard's reports over it (the binary is where
//! the server and the analytics meet).

use std::sync::Arc;

use csgen_model::StoreConfig;
use csgen_pipeline::AwsSettings;
use csgen_pipeline::endpoint::kafka::KafkaSettings;
use csgen_server::ReportSource;
use csgen_sinks::lake::LakeSink;
use csgen_sinks::{AnySink, SinkContext, SinkSpec};

use crate::args::StreamArgs;
use crate::reports::LakeReports;

/// The build context of a `generate` or `serve` run: its seed, flush deadline, AWS
/// endpoint, and the Kafka properties of `--kafka-config` and `CSGEN_KAFKA_*`.
pub fn context(args: &StreamArgs, store: StoreConfig) -> anyhow::Result<SinkContext> {
    let kafka = KafkaSettings::load(args.kafka_config.as_deref(), std::env::vars_os())?;
    Ok(SinkContext {
        seed: args.seed,
        aws: AwsSettings {
            endpoint: args.endpoint.clone(),
        },
        kafka,
        ..SinkContext::for_run(store, args.flush_timeout)
    })
}

/// Builds `spec`, runs its health check, and for a lake also returns its reports.
pub async fn open(
    spec: &SinkSpec,
    cx: &SinkContext,
) -> anyhow::Result<(AnySink, Option<Arc<dyn ReportSource>>)> {
    if let SinkSpec::Lake(lake) = spec {
        let sink = LakeSink::open(lake, cx).await?;
        let reports = LakeReports::new(lake.lake.clone(), Some(sink.counters().clone()));
        return Ok((Box::new(sink), Some(Arc::new(reports))));
    }
    Ok((spec.open(cx).await?, None))
}
