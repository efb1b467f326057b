//! Running one SQL query over the lake, and what it read: the files of the physical
//! plan's scans, which is how a test (or `csgen query --stats`) shows that a filter on
//! `dt`/`hour` pruned the listing.
//!
//! Queries are read-only unless the caller asks for [`Access::ReadWrite`]: DataFusion
//! also runs `COPY … TO 'file'`, `CREATE EXTERNAL TABLE`, `INSERT` and `SET`, which
//! write files anywhere the process may, or change the session. The plan is checked
//! before anything runs (DataFusion runs DDL while planning).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::{SQLOptions, SessionContext};

use crate::error::AnalyticsError;
use crate::lake::{Lake, sql_err};

/// A query's result and what it cost.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub stats: QueryStats,
}

impl QueryResult {
    /// Rows in the result.
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// What a query read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryStats {
    /// Parquet files the scans read, as object-store paths, sorted.
    pub files: Vec<String>,
    /// Distinct `dt=…/hour=…` partitions among them.
    pub partitions: usize,
    /// Wall-clock time from planning to the last batch.
    pub elapsed: Duration,
}

/// What a query may do besides reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// Queries only (`SELECT`, `WITH`, `EXPLAIN`, `SHOW`, `DESCRIBE`, …).
    #[default]
    ReadOnly,
    /// Also statements that write files or change the session: `COPY … TO`,
    /// `CREATE …`, `INSERT`, `DROP`, `SET`, ….
    ReadWrite,
}

/// Runs the read-only query `sql` over the whole lake.
pub async fn run(lake: &Lake, sql: &str) -> Result<QueryResult, AnalyticsError> {
    run_in(lake, lake.context(), sql, Access::ReadOnly).await
}

/// Runs `sql` in `ctx`, a session of `lake` (e.g. [`Lake::scoped`] to a time range),
/// if `access` allows what it does ([`AnalyticsError::ReadOnly`] otherwise). Errors
/// while planning are the query's ([`AnalyticsError::Sql`]); errors while reading are
/// the lake's ([`AnalyticsError::Query`]).
pub async fn run_in(
    lake: &Lake,
    ctx: &SessionContext,
    sql: &str,
    access: Access,
) -> Result<QueryResult, AnalyticsError> {
    let started = Instant::now();
    let frame = plan(ctx, sql, access).await?;
    let schema = Arc::new(frame.schema().as_arrow().clone());
    let plan = frame
        .create_physical_plan()
        .await
        .map_err(|e| lake.query_err(e))?;
    let batches = collect(plan.clone(), ctx.task_ctx())
        .await
        .map_err(|e| lake.query_err(e))?;
    let mut files = BTreeSet::new();
    scanned_files(&plan, &mut files);
    let partitions = files
        .iter()
        .filter_map(|f| partition_of(f))
        .collect::<BTreeSet<_>>()
        .len();
    Ok(QueryResult {
        schema,
        batches,
        stats: QueryStats {
            files: files.into_iter().collect(),
            partitions,
            elapsed: started.elapsed(),
        },
    })
}

/// Plans `sql`, refusing what `access` does not allow before anything runs.
pub(crate) async fn plan(
    ctx: &SessionContext,
    sql: &str,
    access: Access,
) -> Result<datafusion::dataframe::DataFrame, AnalyticsError> {
    let plan = ctx
        .state()
        .create_logical_plan(sql)
        .await
        .map_err(sql_err)?;
    if access == Access::ReadOnly {
        if let Some(statement) = writes(&plan) {
            return Err(AnalyticsError::ReadOnly { statement });
        }
        // And anything of the kind nested deeper, as DataFusion itself checks.
        read_only()
            .verify_plan(&plan)
            .map_err(|e| AnalyticsError::ReadOnly {
                statement: e.strip_backtrace(),
            })?;
    }
    ctx.execute_logical_plan(plan).await.map_err(sql_err)
}

/// DataFusion's options for a session that may only read.
pub(crate) fn read_only() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

/// What `plan` would write or change, named for the user, if it is not a query.
fn writes(plan: &LogicalPlan) -> Option<String> {
    match plan {
        LogicalPlan::Copy(_) => Some("COPY".to_owned()),
        LogicalPlan::Dml(dml) => Some(dml.op.to_string()),
        LogicalPlan::Ddl(ddl) => Some(ddl.name().to_owned()),
        LogicalPlan::Statement(s) => Some(s.name().to_owned()),
        _ => None,
    }
}

/// The files every file scan in `plan` reads (a file split into byte ranges once).
fn scanned_files(plan: &Arc<dyn ExecutionPlan>, out: &mut BTreeSet<String>) {
    if let Some(scan) = plan.downcast_ref::<DataSourceExec>()
        && let Some(config) = scan.data_source().downcast_ref::<FileScanConfig>()
    {
        for group in &config.file_groups {
            for file in group.files() {
                out.insert(file.object_meta.location.to_string());
            }
        }
    }
    for child in plan.children() {
        scanned_files(child, out);
    }
}

/// `dt=2026-11-01/hour=07` of a file path.
fn partition_of(path: &str) -> Option<&str> {
    let start = path.find("dt=")?;
    let end = path[start..].rfind('/')? + start;
    Some(&path[start..end])
}

#[cfg(test)]
mod tests {
    #[test]
    fn partition_of_a_file() {
        assert_eq!(
            super::partition_of("x/events/dt=2026-11-01/hour=07/part-a-1-0.parquet"),
            Some("dt=2026-11-01/hour=07")
        );
        assert_eq!(super::partition_of("x/y.parquet"), None);
    }
}
