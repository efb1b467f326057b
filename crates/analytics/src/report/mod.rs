//! The standard reports over the lake: traffic per hour, active users per day, clicks
//! per product group, top products, sessions, the purchase funnel, revenue per day, by
//! channel, per product group and per product; conversion by device and by country;
//! weekly cohort retention.
//!
//! Each report is one SQL query ([`sql`]), listed in [`REPORTS`]; [`reports`] runs
//! them all over a time range and returns typed rows ([`Reports`]), which the CLI
//! prints as text tables ([`text`]) or JSON and the dashboard charts.

pub mod rows;
pub mod sql;
pub mod text;

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::AnalyticsError;
use crate::lake::Lake;
use crate::range::TimeRange;
use csgen_pipeline::EventType;
pub use rows::{
    ChannelRow, CohortRow, DayRow, FunnelStep, GroupRevenueRow, GroupRow, HourRow,
    ProductRevenueRow, ProductRow, RevenueRow, SegmentRow, SessionRow,
};

/// One standard report: its key (the field of [`Reports`]), title and SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Report {
    pub name: &'static str,
    pub title: &'static str,
    pub sql: &'static str,
}

/// Every standard report, in the order they are printed.
pub const REPORTS: [Report; 13] = [
    Report {
        name: "hourly",
        title: "Events per hour and type, and hourly active users",
        sql: sql::HOURLY,
    },
    Report {
        name: "daily",
        title: "Daily active users: new and returning",
        sql: sql::DAILY,
    },
    Report {
        name: "groups",
        title: "Clicks per product group",
        sql: sql::GROUPS,
    },
    Report {
        name: "top_products",
        title: "Top products per group (product views)",
        sql: sql::TOP_PRODUCTS,
    },
    Report {
        name: "sessions",
        title: "Sessions, session length and bounce rate (by start day)",
        sql: sql::SESSIONS,
    },
    Report {
        name: "funnel",
        title: "Funnel: group list -> product -> cart -> checkout -> purchase",
        sql: sql::FUNNEL,
    },
    Report {
        name: "revenue",
        title: "Revenue, orders and average order value per day",
        sql: sql::REVENUE,
    },
    Report {
        name: "channels",
        title: "Conversion and revenue by channel (campaign source, else referrer)",
        sql: sql::CHANNELS,
    },
    Report {
        name: "group_revenue",
        title: "Revenue per product group (order lines)",
        sql: sql::GROUP_REVENUE,
    },
    Report {
        name: "top_revenue_products",
        title: "Top products by revenue",
        sql: sql::TOP_REVENUE_PRODUCTS,
    },
    Report {
        name: "devices",
        title: "Conversion and revenue by device",
        sql: sql::DEVICES,
    },
    Report {
        name: "countries",
        title: "Conversion and revenue by country",
        sql: sql::COUNTRIES,
    },
    Report {
        name: "cohorts",
        title: "Weekly cohort retention (users by the week they were first seen)",
        sql: sql::COHORTS,
    },
];

/// The standard reports over one time range, one field per report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reports {
    /// The range asked for (both ends `null`: the whole lake).
    pub range: TimeRange,
    /// The `event_type` values in funnel order (`csgen_pipeline::EventType::ALL`),
    /// each also a column of `hourly`: the dashboard's list of types.
    pub event_types: Vec<&'static str>,
    pub hourly: Vec<HourRow>,
    pub daily: Vec<DayRow>,
    pub groups: Vec<GroupRow>,
    pub top_products: Vec<ProductRow>,
    /// Per start day, then the whole range (`dt` null).
    pub sessions: Vec<SessionRow>,
    pub funnel: Vec<FunnelStep>,
    pub revenue: Vec<RevenueRow>,
    pub channels: Vec<ChannelRow>,
    pub group_revenue: Vec<GroupRevenueRow>,
    pub top_revenue_products: Vec<ProductRevenueRow>,
    pub devices: Vec<SegmentRow>,
    pub countries: Vec<SegmentRow>,
    pub cohorts: Vec<CohortRow>,
}

impl Reports {
    /// No rows (a lake with nothing committed yet), with the event types.
    pub fn empty() -> Self {
        Self {
            range: TimeRange::default(),
            event_types: EventType::ALL.map(EventType::as_str).to_vec(),
            hourly: Vec::new(),
            daily: Vec::new(),
            groups: Vec::new(),
            top_products: Vec::new(),
            sessions: Vec::new(),
            funnel: Vec::new(),
            revenue: Vec::new(),
            channels: Vec::new(),
            group_revenue: Vec::new(),
            top_revenue_products: Vec::new(),
            devices: Vec::new(),
            countries: Vec::new(),
            cohorts: Vec::new(),
        }
    }
}

/// How long one report took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timing {
    pub name: &'static str,
    pub elapsed: Duration,
}

/// Runs every standard report over the partitions in `range` (all for `None`).
pub async fn reports(lake: &Lake, range: Option<TimeRange>) -> Result<Reports, AnalyticsError> {
    Ok(reports_timed(lake, range).await?.0)
}

/// [`reports`], with the time each report took.
pub async fn reports_timed(
    lake: &Lake,
    range: Option<TimeRange>,
) -> Result<(Reports, Vec<Timing>), AnalyticsError> {
    let ctx = lake.scoped(range.as_ref())?;
    let mut timings = Vec::with_capacity(REPORTS.len());
    let mut run = async |report: &Report| {
        let started = Instant::now();
        let result =
            crate::query::run_in(lake, &ctx, report.sql, crate::query::Access::ReadOnly).await?;
        timings.push(Timing {
            name: report.name,
            elapsed: started.elapsed(),
        });
        Ok::<_, AnalyticsError>(result.batches)
    };
    let [
        hourly,
        daily,
        groups,
        top_products,
        sessions,
        funnel,
        revenue,
        channels,
        group_revenue,
        top_revenue_products,
        devices,
        countries,
        cohorts,
    ] = &REPORTS;
    let reports = Reports {
        range: range.unwrap_or_default(),
        event_types: EventType::ALL.map(EventType::as_str).to_vec(),
        hourly: typed(hourly, &run(hourly).await?)?,
        daily: typed(daily, &run(daily).await?)?,
        groups: typed(groups, &run(groups).await?)?,
        top_products: typed(top_products, &run(top_products).await?)?,
        sessions: typed(sessions, &run(sessions).await?)?,
        funnel: typed(funnel, &run(funnel).await?)?,
        revenue: typed(revenue, &run(revenue).await?)?,
        channels: typed(channels, &run(channels).await?)?,
        group_revenue: typed(group_revenue, &run(group_revenue).await?)?,
        top_revenue_products: typed(top_revenue_products, &run(top_revenue_products).await?)?,
        devices: typed(devices, &run(devices).await?)?,
        countries: typed(countries, &run(countries).await?)?,
        cohorts: typed(cohorts, &run(cohorts).await?)?,
    };
    Ok((reports, timings))
}

fn typed<T: serde::de::DeserializeOwned>(
    report: &Report,
    batches: &[datafusion::arrow::array::RecordBatch],
) -> Result<Vec<T>, AnalyticsError> {
    rows::from_batches(batches).map_err(|message| AnalyticsError::Report {
        report: report.name,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hourly report has a column per event type, so adding a type to
    /// `EventType` fails here until the SQL, the row and the text table have it.
    #[test]
    fn the_hourly_report_has_a_column_for_every_event_type() {
        let row: HourRow = serde_json::from_value(serde_json::json!({
            "dt": "2026-11-02", "hour": 0, "events": 0, "users": 0,
            "landing": 1, "group_view": 2, "product_view": 3, "add_to_cart": 4,
            "remove_from_cart": 5, "cart_view": 6, "checkout": 7, "purchase": 8,
        }))
        .expect("a row with every type");
        let json = serde_json::to_value(&row).expect("serialises");
        let text = text::render(&Reports {
            hourly: vec![row],
            ..Reports::empty()
        });
        for t in EventType::ALL {
            let name = t.as_str();
            assert!(json.get(name).is_some(), "HourRow lacks {name}");
            assert!(
                sql::HOURLY.contains(&format!("WHERE event_type = '{name}') AS {name},"))
                    || sql::HOURLY.contains(&format!("WHERE event_type = '{name}') AS {name}\n")),
                "the hourly SQL lacks {name}"
            );
            assert!(text.contains(name), "the text table lacks {name}");
        }
    }
}
