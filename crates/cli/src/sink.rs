//! Opening a run's sink: the registry's build and health check, and for a lake, the
//! dashboard's reports over it (the binary is where the server and the analytics meet).

use std::sync::Arc;

use csgen_server::ReportSource;
use csgen_sinks::lake::LakeSink;
use csgen_sinks::{AnySink, SinkContext, SinkSpec};

use crate::reports::LakeReports;

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
