//! The dashboard's reports for a run that writes a lake: the analytics crate's
//! standard reports over it, and the lake writer's counters.
//!
//! The binary is the one crate that knows both the server and the analytics (and so
//! DataFusion); this is where they meet. The server caches what [`LakeReports`]
//! computes, so a page polling every few seconds does not re-run every query.

use std::sync::Arc;

use csgen_analytics::{AnalyticsError, Lake, Reports};
use csgen_pipeline::{Counters, LakeSpec};
use csgen_server::{ReportFuture, ReportSource};
use tokio::sync::OnceCell;

/// The standard reports over the whole of one lake, as it grows.
pub struct LakeReports {
    spec: LakeSpec,
    /// The writer's counters, when this process writes the lake.
    counters: Option<Arc<Counters>>,
    /// Opened on the first request that finds the lake's folder (the writer creates it
    /// at its first commit). Listings are not cached, so new files show up.
    lake: OnceCell<Lake>,
}

impl LakeReports {
    pub fn new(spec: LakeSpec, counters: Option<Arc<Counters>>) -> Self {
        Self {
            spec,
            counters,
            lake: OnceCell::new(),
        }
    }

    async fn compute(&self) -> Result<Reports, AnalyticsError> {
        let opened = self
            .lake
            .get_or_try_init(|| Lake::open_allow_empty(&self.spec))
            .await;
        match opened {
            Ok(lake) => csgen_analytics::reports(lake, None).await,
            // Nothing committed yet: no folder, so no rows.
            Err(AnalyticsError::NotFound { .. }) => Ok(empty()),
            Err(e) => Err(e),
        }
    }
}

fn empty() -> Reports {
    Reports::empty()
}

impl ReportSource for LakeReports {
    fn reports(&self) -> ReportFuture<'_> {
        Box::pin(async move { Ok(serde_json::to_value(self.compute().await?)?) })
    }

    fn counters(&self) -> Option<serde_json::Value> {
        let counters = self.counters.as_ref()?;
        serde_json::to_value(counters.snapshot()).ok()
    }

    fn describe(&self) -> String {
        format!("lake:{}", self.spec)
    }
}
