//! What the lake holds, per hour partition, by SQL over the `events` table: the same
//! aggregates the manifest keeps (valid events by type and group, funnel sessions,
//! distinct users), rows outside their partition's hour, and ids with several rows.
//!
//! Counts are of distinct `event_id`s within a partition, so a pipeline may keep the
//! injected duplicate copies or drop them; extra rows are judged separately against
//! the manifest's list of duplicates.

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};

use super::findings::EXAMPLES;
use super::hour::{EVENT_TIME_SQL, PARTITION_SQL};
use crate::error::AnalyticsError;
use crate::lake::Lake;

/// The lake's side of the comparison.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    /// Per partition, keyed `YYYY-MM-DDTHH`.
    pub hours: BTreeMap<String, HourCounts>,
    /// Per partition: rows whose event time is in another hour.
    pub misplaced: BTreeMap<String, Misplaced>,
    /// Ids with more than one row in the lake, sorted by id.
    pub repeated: Vec<Repeated>,
}

/// One partition's aggregates (distinct event ids unless said otherwise).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HourCounts {
    pub rows: u64,
    pub events: u64,
    pub by_type: BTreeMap<String, u64>,
    /// Events with a group id, per group id.
    pub by_group: BTreeMap<String, u64>,
    /// Distinct sessions per event type.
    pub funnel: BTreeMap<String, u64>,
    pub users: u64,
    /// Distinct purchase events per currency (`""` when the row has none).
    pub orders: BTreeMap<String, u64>,
    /// Their revenue per currency, in the currency's minor units (cents), summed
    /// exactly from the lake's decimals.
    pub revenue: BTreeMap<String, u64>,
}

/// Rows of one partition whose event time is in another hour.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Misplaced {
    pub count: u64,
    /// A few of them: event id and the hour of its event time.
    pub examples: Vec<(String, String)>,
}

/// An id with several rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeated {
    pub id: String,
    /// Rows per partition, in partition order.
    pub partitions: Vec<(String, u64)>,
}

impl Repeated {
    pub fn rows(&self) -> u64 {
        self.partitions.iter().map(|p| p.1).sum()
    }
}

/// Runs the aggregate queries, one after the other: their distinct counts hold every
/// id of the lake in memory, so running them side by side would stack that cost.
pub async fn observe(lake: &Lake) -> Result<Observed, AnalyticsError> {
    let p = PARTITION_SQL;
    let e = EVENT_TIME_SQL;
    let totals = format!(
        "SELECT {p} AS part, count(*), count(DISTINCT event_id), count(DISTINCT user_id) \
         FROM events GROUP BY 1"
    );
    let types = format!(
        "SELECT {p} AS part, event_type, count(DISTINCT event_id), count(DISTINCT session_id) \
         FROM events GROUP BY 1, 2"
    );
    let groups = format!(
        "SELECT {p} AS part, CAST(group_id AS VARCHAR), count(DISTINCT event_id) \
         FROM events WHERE group_id IS NOT NULL GROUP BY 1, 2"
    );
    let misplaced = format!(
        "SELECT part, at, event_id, n FROM ( \
           SELECT {p} AS part, {e} AS at, event_id, \
             count(*) OVER (PARTITION BY {p}) AS n, \
             row_number() OVER (PARTITION BY {p} ORDER BY event_id) AS k \
           FROM events WHERE {e} <> {p}) \
         WHERE k <= {EXAMPLES} ORDER BY part, event_id"
    );
    let repeated = format!(
        "SELECT event_id, {p} AS part, count(*) FROM events WHERE event_id IN \
           (SELECT event_id FROM events GROUP BY event_id HAVING count(*) > 1) \
         GROUP BY 1, 2 ORDER BY 1, 2"
    );
    // One row per purchase id (a duplicate copy is the same order), then per
    // currency; revenue in exact thousandths (the column is decimal(18,3)).
    let orders = format!(
        "SELECT part, currency, count(*), CAST(sum(revenue) * 1000 AS BIGINT) FROM ( \
           SELECT {p} AS part, event_id, coalesce(min(currency), '') AS currency, \
             min(revenue) AS revenue \
           FROM events WHERE event_type = 'purchase' GROUP BY 1, 2) \
         GROUP BY 1, 2"
    );
    let totals = rows(lake, &totals).await?;
    let orders = rows(lake, &orders).await?;
    let types = rows(lake, &types).await?;
    let groups = rows(lake, &groups).await?;
    let misplaced = rows(lake, &misplaced).await?;
    let repeated = rows(lake, &repeated).await?;

    let mut o = Observed::default();
    for row in totals {
        let h = o.hours.entry(row.text(0)).or_default();
        (h.rows, h.events, h.users) = (row.int(1), row.int(2), row.int(3));
    }
    for row in types {
        let h = o.hours.entry(row.text(0)).or_default();
        h.by_type.insert(row.text(1), row.int(2));
        h.funnel.insert(row.text(1), row.int(3));
    }
    for row in groups {
        let h = o.hours.entry(row.text(0)).or_default();
        h.by_group.insert(row.text(1), row.int(2));
    }
    for row in orders {
        let h = o.hours.entry(row.text(0)).or_default();
        let currency = row.text(1);
        h.revenue
            .insert(currency.clone(), minor_units(&currency, row.int(3)));
        h.orders.insert(currency, row.int(2));
    }
    for row in misplaced {
        let m = o.misplaced.entry(row.text(0)).or_default();
        m.count = row.int(3);
        m.examples.push((row.text(2), row.text(1)));
    }
    for row in repeated {
        let id = row.text(0);
        let part = (row.text(1), row.int(2));
        match o.repeated.last_mut() {
            Some(r) if r.id == id => r.partitions.push(part),
            _ => o.repeated.push(Repeated {
                id,
                partitions: vec![part],
            }),
        }
    }
    Ok(o)
}

/// Thousandths of `currency`'s unit in its minor units (cents for USD); thousandths
/// themselves for a code the model does not know or an amount that is not a whole
/// number of minor units, which then differs from the manifest and is reported.
fn minor_units(currency: &str, thousandths: u64) -> u64 {
    let digits = csgen_model::realistic::Currency::parse(currency).map(|c| u32::from(c.digits()));
    match digits
        .ok()
        .and_then(|d| 10u64.checked_pow(3u32.checked_sub(d)?))
    {
        Some(per) if thousandths.is_multiple_of(per) => thousandths / per,
        _ => thousandths,
    }
}

/// The rows of a query's result, read through a cast so that any string or integer
/// type the engine picks will do.
async fn rows(lake: &Lake, sql: &str) -> Result<Vec<Row>, AnalyticsError> {
    let result = crate::query::run(lake, sql).await?;
    let mut out = Vec::with_capacity(result.rows());
    for batch in &result.batches {
        let columns = Columns::of(batch).map_err(|e| lake.query_err(e))?;
        out.extend((0..batch.num_rows()).map(|i| columns.row(i)));
    }
    Ok(out)
}

/// A result row: each column as text (strings) or a number (integers).
pub(super) struct Row(Vec<Value>);

enum Value {
    Text(String),
    Int(u64),
}

impl Row {
    fn text(&self, i: usize) -> String {
        match &self.0[i] {
            Value::Text(s) => s.clone(),
            Value::Int(n) => n.to_string(),
        }
    }

    fn int(&self, i: usize) -> u64 {
        match &self.0[i] {
            Value::Int(n) => *n,
            Value::Text(_) => 0,
        }
    }
}

/// A batch's columns, cast to Utf8 or Int64.
struct Columns(Vec<std::sync::Arc<dyn Array>>);

impl Columns {
    fn of(batch: &RecordBatch) -> Result<Self, datafusion::arrow::error::ArrowError> {
        let columns = batch
            .columns()
            .iter()
            .map(|c| match c.data_type() {
                t if t.is_integer() => cast(c, &DataType::Int64),
                _ => cast(c, &DataType::Utf8),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self(columns))
    }

    fn row(&self, i: usize) -> Row {
        Row(self
            .0
            .iter()
            .map(|c| match c.data_type() {
                DataType::Int64 => Value::Int(c.as_primitive::<Int64Type>().value(i).max(0) as u64),
                _ => Value::Text(if c.is_null(i) {
                    String::new()
                } else {
                    c.as_string::<i32>().value(i).to_owned()
                }),
            })
            .collect())
    }
}
