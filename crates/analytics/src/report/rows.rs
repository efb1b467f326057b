//! One typed row per line of each report, named and typed as the SQL's columns, and
//! the conversion from Arrow batches (through Arrow's JSON writer: the results are
//! small, and serde then checks every column's name and type).

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::json::ArrayWriter;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// One hour partition: events by type and active users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HourRow {
    /// `YYYY-MM-DD` (UTC).
    pub dt: String,
    /// 0–23 (UTC).
    pub hour: u8,
    pub events: u64,
    /// Distinct users with an event in the hour.
    pub users: u64,
    pub landing: u64,
    pub group_view: u64,
    pub product_view: u64,
    pub add_to_cart: u64,
    pub remove_from_cart: u64,
    pub cart_view: u64,
    pub checkout: u64,
    pub purchase: u64,
}

/// One day and currency: orders, revenue, average order value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevenueRow {
    pub dt: String,
    /// ISO 4217; `""` for purchases without one.
    pub currency: String,
    pub orders: u64,
    /// In currency units (12.99), summed exactly and shown as a double.
    pub revenue: f64,
    pub average_order_value: f64,
}

/// One channel: the session's campaign source, else referrer host, else `direct`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelRow {
    pub channel: String,
    pub sessions: u64,
    /// Sessions with a purchase.
    pub converted: u64,
    /// converted / sessions, 0–1.
    pub conversion: f64,
    pub revenue: f64,
}

/// One day: active users, new and returning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayRow {
    pub dt: String,
    /// Distinct users with an event that day.
    pub users: u64,
    /// Users whose first day in the range is this one.
    pub new_users: u64,
    /// Users also seen on an earlier day of the range.
    pub returning_users: u64,
}

/// One product group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub group_id: i32,
    /// `None` for a group id the store config does not name.
    #[serde(default)]
    pub group_name: Option<String>,
    /// Group-list, product and add-to-cart events in the group.
    pub clicks: u64,
    /// Share of all such clicks, 0–1.
    pub share: f64,
    pub list_views: u64,
    pub product_views: u64,
    pub added_to_cart: u64,
    /// Distinct users who clicked in the group.
    pub users: u64,
}

/// One of a group's most viewed products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductRow {
    pub group_id: i32,
    #[serde(default)]
    pub group_name: Option<String>,
    /// 1 for the most viewed product of the group.
    pub product_rank: u32,
    pub product_id: i64,
    pub views: u64,
    pub added_to_cart: u64,
}

/// One product group and currency: revenue from the order lines (`items`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRevenueRow {
    /// From the catalog; `None` for lines whose product is not in it.
    #[serde(default)]
    pub group_id: Option<i32>,
    #[serde(default)]
    pub group_name: Option<String>,
    pub currency: String,
    /// Orders holding at least one line of the group.
    pub orders: u64,
    pub units: u64,
    /// In currency units, summed exactly and shown as a double.
    pub revenue: f64,
}

/// One of the products with the most revenue, named from the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductRevenueRow {
    pub product_id: i64,
    /// `None` when the product is not in the catalog (`products/`).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub group_name: Option<String>,
    pub currency: String,
    pub orders: u64,
    pub units: u64,
    pub revenue: f64,
}

/// Sessions with one value of a session attribute (device class, country).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentRow {
    /// The value; `unknown` for sessions whose events carry none.
    pub segment: String,
    pub sessions: u64,
    /// Sessions with a purchase.
    pub converted: u64,
    /// converted / sessions, 0–1.
    pub conversion: f64,
    pub orders: u64,
    pub revenue: f64,
}

/// One cohort (users first seen in a week) in one later week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortRow {
    /// The Monday (UTC) of the cohort's first week, `YYYY-MM-DD`.
    pub cohort_week: String,
    pub cohort_users: u64,
    /// 0 for the cohort's own week.
    pub weeks_later: u32,
    pub active_users: u64,
    /// active_users / cohort_users, 0–1.
    pub retention: f64,
}

/// Sessions that started on one day, or (`dt` = `None`) in the whole range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    #[serde(default)]
    pub dt: Option<String>,
    pub sessions: u64,
    /// Sessions of a single event.
    pub bounces: u64,
    /// bounces / sessions, 0–1.
    pub bounce_rate: f64,
    pub events_per_session: f64,
    /// From the first to the last event of a session, in seconds.
    pub avg_seconds: f64,
    pub median_seconds: f64,
}

/// One step of the purchase funnel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelStep {
    /// 0 (all sessions) to 5 (purchase).
    pub step: u8,
    pub name: String,
    /// Sessions that reached this step and every earlier one.
    pub sessions: u64,
    /// Sessions that reached this step, whatever they did before.
    pub reached: u64,
    /// `sessions` over the previous step's; `None` for the first step (or after 0).
    #[serde(default)]
    pub conversion: Option<f64>,
    /// `sessions` over all sessions; `None` when there are none.
    #[serde(default)]
    pub overall: Option<f64>,
}

/// The rows of `batches` as `T`s; a mismatch between the SQL and `T` is a bug,
/// reported with the offending row.
pub fn from_batches<T: DeserializeOwned>(batches: &[RecordBatch]) -> Result<Vec<T>, String> {
    let mut writer = ArrayWriter::new(Vec::new());
    for batch in batches {
        writer.write(batch).map_err(|e| e.to_string())?;
    }
    writer.finish().map_err(|e| e.to_string())?;
    let json = writer.into_inner();
    if json.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&json).map_err(|e| e.to_string())?;
    rows.into_iter()
        .map(|row| serde_json::from_value(row.clone()).map_err(|e| format!("{e} in row {row}")))
        .collect()
}
