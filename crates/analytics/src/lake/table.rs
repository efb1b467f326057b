//! The `events` table: DataFusion's listing table over the lake, with one fix for the
//! zero-padded `hour=07` directories.
//!
//! For `WHERE dt = … AND hour = 7` the listing table lists only the directory
//! `dt=…/hour=7`, spelling the prefix from the literal's text. The writer names hours
//! with two digits (`hour=07`, as Athena's partition projection expects), so that
//! directory does not exist and the query would silently find no rows. Here an
//! equality on `hour` is handed to the listing table as the equivalent `hour IN (7)`,
//! which it does not turn into a prefix: it lists the day (`dt=…/`, still pruned by
//! `dt`) and keeps the files whose parsed `hour` matches.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{ScanArgs, ScanResult, Session, TableProvider};
use datafusion::common::Constraints;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::datasource::TableType;
use datafusion::datasource::listing::ListingTable;
use datafusion::error::Result;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

/// Partition columns whose directory names are zero-padded numbers.
const PADDED: &str = "hour";

/// The lake's `events` listing table, with equalities on `hour` kept off the listing
/// prefix (see the module docs).
#[derive(Debug)]
pub struct EventsTable {
    inner: ListingTable,
}

impl EventsTable {
    pub fn new(inner: ListingTable) -> Self {
        Self { inner }
    }
}

/// `hour = 7` (either way round) becomes `hour IN (7)`; everything else is unchanged.
fn unpad(filter: &Expr) -> Expr {
    let rewritten = filter.clone().transform(|e| {
        let Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Eq,
            right,
        }) = &e
        else {
            return Ok(Transformed::no(e));
        };
        let (column, value) = match (left.as_ref(), right.as_ref()) {
            (c @ Expr::Column(col), v @ Expr::Literal(..))
            | (v @ Expr::Literal(..), c @ Expr::Column(col))
                if col.name == PADDED =>
            {
                (c.clone(), v.clone())
            }
            _ => return Ok(Transformed::no(e)),
        };
        Ok(Transformed::yes(column.in_list(vec![value], false)))
    });
    rewritten.map(|t| t.data).unwrap_or_else(|_| filter.clone())
}

#[async_trait]
impl TableProvider for EventsTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn constraints(&self) -> Option<&Constraints> {
        self.inner.constraints()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let filters: Vec<Expr> = filters.iter().map(unpad).collect();
        self.inner.scan(state, projection, &filters, limit).await
    }

    async fn scan_with_args<'a>(
        &self,
        state: &dyn Session,
        args: ScanArgs<'a>,
    ) -> Result<ScanResult> {
        let filters: Option<Vec<Expr>> = args.filters().map(|f| f.iter().map(unpad).collect());
        let args = args.with_filters(filters.as_deref());
        self.inner.scan_with_args(state, args).await
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::{col, lit};

    use super::*;

    #[test]
    fn hour_equalities_become_in_lists_and_nothing_else_changes() {
        let dt = col("dt").eq(lit("2026-11-01"));
        let hour = col("hour").eq(lit(7));
        assert_eq!(
            unpad(&dt.clone().and(hour)),
            dt.clone().and(col("hour").in_list(vec![lit(7)], false))
        );
        assert_eq!(
            unpad(&lit(7).eq(col("hour"))),
            col("hour").in_list(vec![lit(7)], false)
        );
        assert_eq!(unpad(&dt), dt);
        let range = col("hour").gt_eq(lit(3));
        assert_eq!(unpad(&range), range);
    }
}
