//! The standard reports over the fixed-seed lake: snapshots of the text tables,
//! internal consistency, and every report checked row by row against DuckDB running
//! the same SQL on the same files.

use csgen_analytics::report::{self, REPORTS, text};
use csgen_analytics::{Lake, Reports, TimeRange};
use serde_json::Value;

use crate::support::{duckdb_reports, lake, weeks_lake};

fn reports(range: Option<TimeRange>) -> Reports {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let lake = Lake::open(lake().to_str().unwrap()).await.unwrap();
        report::reports(&lake, range).await.unwrap()
    })
}

fn morning() -> TimeRange {
    TimeRange::new(
        "2026-11-02T06:30:00Z".parse().ok(),
        "2026-11-03T00:00:00Z".parse().ok(),
    )
    .unwrap()
}

#[test]
fn report_text_snapshot() {
    insta::assert_snapshot!(text::render(&reports(None)));
}

#[test]
fn report_text_snapshot_of_a_range() {
    insta::assert_snapshot!(text::render(&reports(Some(morning()))));
}

#[test]
fn reports_agree_with_each_other_and_with_plain_counts() {
    let r = reports(None);
    let events: u64 = r.hourly.iter().map(|h| h.events).sum();
    let by_type: u64 = r
        .hourly
        .iter()
        .map(|h| {
            h.landing
                + h.group_view
                + h.product_view
                + h.add_to_cart
                + h.remove_from_cart
                + h.cart_view
                + h.checkout
                + h.purchase
        })
        .sum();
    assert_eq!(by_type, events, "every event has one of the types");
    assert_eq!(r.hourly.len(), 48, "two days of hours");
    for d in &r.daily {
        assert_eq!(d.users, d.new_users + d.returning_users, "{d:?}");
    }
    assert_eq!(
        r.daily[0].returning_users, 0,
        "nobody returns on the first day"
    );
    assert!(r.daily[1].returning_users > 0);
    let share: f64 = r.groups.iter().map(|g| g.share).sum();
    assert!((share - 1.0).abs() < 1e-9, "{share}");
    let total = r.sessions.last().unwrap();
    assert_eq!(total.dt, None, "the last sessions row is the whole range");
    let per_day: u64 = r
        .sessions
        .iter()
        .filter(|s| s.dt.is_some())
        .map(|s| s.sessions)
        .sum();
    assert_eq!(per_day, total.sessions);
    assert_eq!(r.funnel[0].sessions, total.sessions);
    for w in r.funnel.windows(2) {
        assert!(
            w[1].sessions <= w[0].sessions && w[1].sessions <= w[1].reached,
            "{w:?}"
        );
    }
    assert!(r.funnel[5].sessions > 0, "some sessions buy");
    for p in r.top_products.chunk_by(|a, b| a.group_id == b.group_id) {
        assert!(p.len() <= 10);
        assert!(p.windows(2).all(|w| w[0].views >= w[1].views));
    }
    // Money: every purchase row is an order; channels split the sessions.
    let purchases: u64 = r.hourly.iter().map(|h| h.purchase).sum();
    assert_eq!(r.revenue.iter().map(|d| d.orders).sum::<u64>(), purchases);
    assert!(
        r.revenue
            .iter()
            .all(|d| d.currency == "USD" && d.revenue > 0.0)
    );
    for d in &r.revenue {
        let aov = d.revenue / d.orders as f64;
        assert!((d.average_order_value - aov).abs() < 1e-9, "{d:?}");
    }
    let channel_revenue: f64 = r.channels.iter().map(|c| c.revenue).sum();
    let revenue: f64 = r.revenue.iter().map(|d| d.revenue).sum();
    assert!(
        (channel_revenue - revenue).abs() < 1e-6,
        "{channel_revenue} {revenue}"
    );
    assert!(r.channels.len() >= 3, "{:?}", r.channels);
    assert!(r.channels.iter().any(|c| c.channel == "direct"));
    assert!(r.channels.windows(2).all(|w| w[0].revenue >= w[1].revenue));
    // Order lines: per group they add up to the orders' revenue; the top products are
    // all in the catalog (named), sorted by revenue.
    let line_revenue: f64 = r.group_revenue.iter().map(|g| g.revenue).sum();
    assert!(
        (line_revenue - revenue).abs() < 1e-6,
        "{line_revenue} {revenue}"
    );
    assert!(r.group_revenue.iter().all(|g| g.group_name.is_some()));
    assert_eq!(r.top_revenue_products.len(), 10);
    let top = &r.top_revenue_products;
    assert!(top.iter().all(|p| p.name.is_some() && p.units >= p.orders));
    assert!(top.windows(2).all(|w| w[0].revenue >= w[1].revenue));
    // Devices and countries each split every session, order and unit of revenue.
    for (what, rows) in [("devices", &r.devices), ("countries", &r.countries)] {
        let sessions: u64 = rows.iter().map(|s| s.sessions).sum();
        let orders: u64 = rows.iter().map(|s| s.orders).sum();
        let money: f64 = rows.iter().map(|s| s.revenue).sum();
        assert_eq!(sessions, total.sessions, "{what}");
        assert_eq!(orders, purchases, "{what}");
        assert!((money - revenue).abs() < 1e-6, "{what}: {money} {revenue}");
    }
    let first_week: Vec<_> = r.cohorts.iter().filter(|c| c.weeks_later == 0).collect();
    assert!(!first_week.is_empty());
    assert!(first_week.iter().all(|c| c.retention == 1.0));
    // The JSON the dashboard reads: one key per report, plus the range.
    let json = serde_json::to_value(&r).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for report in &REPORTS {
        assert!(keys.contains(&report.name), "{keys:?}");
    }
}

#[test]
fn a_range_reads_only_its_partitions() {
    let r = reports(Some(morning()));
    assert_eq!(
        r.hourly.first().map(|h| (h.dt.as_str(), h.hour)),
        Some(("2026-11-02", 6))
    );
    assert_eq!(
        r.hourly.last().map(|h| (h.dt.as_str(), h.hour)),
        Some(("2026-11-02", 23))
    );
    assert_eq!(r.daily.len(), 1);
}

/// Every report, on DuckDB, over the same files and range.
fn duckdb(range: Option<&TimeRange>) -> Option<Value> {
    duckdb_on(lake(), range)
}

/// Every report, on DuckDB, over the lake at `root`.
fn duckdb_on(root: &std::path::Path, range: Option<&TimeRange>) -> Option<Value> {
    let request = serde_json::json!({
        "lake": root,
        "range_predicate": range.and_then(TimeRange::sql_predicate),
        "reports": REPORTS,
    });
    duckdb_reports(&request)
}

/// Equal as JSON, numbers within a relative 1e-9 (the engines sum floats in
/// different orders).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            // Arrow's JSON leaves null columns out; DuckDB writes them as null.
            let keys = x.keys().chain(y.keys());
            keys.into_iter().all(|k| {
                same(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                )
            })
        }
        _ => a == b,
    }
}

fn check_against_duckdb(range: Option<TimeRange>) {
    let Some(duck) = duckdb(range.as_ref()) else {
        return;
    };
    let ours = serde_json::to_value(reports(range)).unwrap();
    for report in &REPORTS {
        let (a, b) = (&ours[report.name], &duck[report.name]);
        assert!(
            a.as_array().is_some_and(|rows| !rows.is_empty()),
            "{}: no rows",
            report.name
        );
        if !same(a, b) {
            panic!(
                "report {} differs from DuckDB's\ncsgen:  {a}\nDuckDB: {b}",
                report.name
            );
        }
    }
}

#[test]
fn every_report_matches_duckdb() {
    check_against_duckdb(None);
}

#[test]
fn every_report_over_a_range_matches_duckdb() {
    check_against_duckdb(Some(morning()));
}

#[test]
fn cohort_retention_over_three_weeks_matches_duckdb() {
    let r = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let lake = Lake::open(weeks_lake().to_str().unwrap()).await.unwrap();
        report::reports(&lake, None).await.unwrap()
    });
    let weeks: Vec<u32> = r.cohorts.iter().map(|c| c.weeks_later).collect();
    assert!(
        weeks.contains(&2),
        "a cohort seen two weeks later: {weeks:?}"
    );
    let cohorts: Vec<&str> = r.cohorts.iter().map(|c| c.cohort_week.as_str()).collect();
    assert_eq!(cohorts[0], "2026-11-02", "the first Monday");
    for c in &r.cohorts {
        assert!(c.active_users <= c.cohort_users, "{c:?}");
        assert!((c.retention - c.active_users as f64 / c.cohort_users as f64).abs() < 1e-12);
        if c.weeks_later > 0 {
            assert!(c.retention > 0.0 && c.retention < 1.0, "{c:?}");
        }
    }
    let users: u64 = r
        .cohorts
        .iter()
        .filter(|c| c.weeks_later == 0)
        .map(|c| c.cohort_users)
        .sum();
    let daily_new: u64 = r.daily.iter().map(|d| d.new_users).sum();
    assert_eq!(users, daily_new, "every user is in one cohort");
    let Some(duck) = duckdb_on(weeks_lake(), None) else {
        return;
    };
    let ours = serde_json::to_value(&r).unwrap();
    assert!(
        same(&ours["cohorts"], &duck["cohorts"]),
        "csgen: {}\nDuckDB: {}",
        ours["cohorts"],
        duck["cohorts"]
    );
}
