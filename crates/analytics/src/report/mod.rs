//! The standard reports over the lake: traffic per hour, active users per day, clicks
//! per product group, top products, sessions and the purchase funnel.
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
pub use rows::{DayRow, FunnelStep, GroupRow, HourRow, ProductRow, SessionRow};

/// One standard report: its key (the field of [`Reports`]), title and SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Report {
    pub name: &'static str,
    pub title: &'static str,
    pub sql: &'static str,
}

/// Every standard report, in the order they are printed.
pub const REPORTS: [Report; 6] = [
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
];

/// The standard reports over one time range, one field per report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reports {
    /// The range asked for (both ends `null`: the whole lake).
    pub range: TimeRange,
    pub hourly: Vec<HourRow>,
    pub daily: Vec<DayRow>,
    pub groups: Vec<GroupRow>,
    pub top_products: Vec<ProductRow>,
    /// Per start day, then the whole range (`dt` null).
    pub sessions: Vec<SessionRow>,
    pub funnel: Vec<FunnelStep>,
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
    let [hourly, daily, groups, top_products, sessions, funnel] = &REPORTS;
    let reports = Reports {
        range: range.unwrap_or_default(),
        hourly: typed(hourly, &run(hourly).await?)?,
        daily: typed(daily, &run(daily).await?)?,
        groups: typed(groups, &run(groups).await?)?,
        top_products: typed(top_products, &run(top_products).await?)?,
        sessions: typed(sessions, &run(sessions).await?)?,
        funnel: typed(funnel, &run(funnel).await?)?,
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
