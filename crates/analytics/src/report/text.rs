//! The reports as aligned text tables for the terminal (Markdown-compatible, so a
//! report pastes into a README or an issue as it is). Cells are escaped for the
//! terminal: group names and the like come from records.

use comfy_table::{CellAlignment, Table, presets};

use super::{REPORTS, Reports};
use crate::escape::for_terminal;

/// Every report: a title line, then its table; reports are separated by a blank line.
pub fn render(r: &Reports) -> String {
    let tables = [
        hourly(r),
        daily(r),
        groups(r),
        top_products(r),
        sessions(r),
        funnel(r),
        revenue(r),
        channels(r),
        group_revenue(r),
        top_revenue_products(r),
        segments("device", &r.devices),
        segments("country", &r.countries),
        cohorts(r),
    ];
    let mut out = String::new();
    for (report, table) in REPORTS.iter().zip(tables) {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("## {}\n\n{table}\n", report.title));
    }
    out
}

/// A table with `header`; every column but the first `left` ones is right-aligned.
fn table(header: &[&str], left: usize, rows: Vec<Vec<String>>) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::ASCII_MARKDOWN)
        .set_header(header.to_vec());
    for row in rows {
        t.add_row(row.iter().map(|cell| for_terminal(cell).into_owned()));
    }
    for i in left..header.len() {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

fn money(x: f64) -> String {
    format!("{x:.2}")
}

fn revenue(r: &Reports) -> Table {
    let rows = r.revenue.iter().map(|d| {
        vec![
            d.dt.clone(),
            d.currency.clone(),
            d.orders.to_string(),
            money(d.revenue),
            money(d.average_order_value),
        ]
    });
    let header = ["dt", "currency", "orders", "revenue", "avg order"];
    table(&header, 2, rows.collect())
}

fn channels(r: &Reports) -> Table {
    let rows = r.channels.iter().map(|c| {
        vec![
            c.channel.clone(),
            c.sessions.to_string(),
            c.converted.to_string(),
            pct(c.conversion),
            money(c.revenue),
        ]
    });
    let header = ["channel", "sessions", "converted", "conversion", "revenue"];
    table(&header, 1, rows.collect())
}

fn group_revenue(r: &Reports) -> Table {
    let rows = r.group_revenue.iter().map(|g| {
        vec![
            g.group_id.map(|id| id.to_string()).unwrap_or_default(),
            name(&g.group_name),
            g.currency.clone(),
            g.orders.to_string(),
            g.units.to_string(),
            money(g.revenue),
        ]
    });
    let header = ["group", "name", "currency", "orders", "units", "revenue"];
    table(&header, 3, rows.collect())
}

fn top_revenue_products(r: &Reports) -> Table {
    let rows = r.top_revenue_products.iter().map(|p| {
        vec![
            p.product_id.to_string(),
            name(&p.name),
            name(&p.group_name),
            p.currency.clone(),
            p.orders.to_string(),
            p.units.to_string(),
            money(p.revenue),
        ]
    });
    let header = [
        "product", "name", "group", "currency", "orders", "units", "revenue",
    ];
    table(&header, 4, rows.collect())
}

fn segments(what: &str, rows: &[super::SegmentRow]) -> Table {
    let rows = rows.iter().map(|s| {
        vec![
            s.segment.clone(),
            s.sessions.to_string(),
            s.converted.to_string(),
            pct(s.conversion),
            s.orders.to_string(),
            money(s.revenue),
        ]
    });
    let header = [
        what,
        "sessions",
        "converted",
        "conversion",
        "orders",
        "revenue",
    ];
    table(&header, 1, rows.collect())
}

fn cohorts(r: &Reports) -> Table {
    let rows = r.cohorts.iter().map(|c| {
        vec![
            c.cohort_week.clone(),
            c.cohort_users.to_string(),
            c.weeks_later.to_string(),
            c.active_users.to_string(),
            pct(c.retention),
        ]
    });
    let header = ["cohort week", "users", "weeks later", "active", "retention"];
    table(&header, 1, rows.collect())
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn opt_pct(x: Option<f64>) -> String {
    x.map(pct).unwrap_or_default()
}

fn name(n: &Option<String>) -> String {
    n.clone().unwrap_or_else(|| "(unnamed)".to_owned())
}

fn hourly(r: &Reports) -> Table {
    let header = [
        "dt",
        "hour",
        "events",
        "users",
        "landing",
        "group_view",
        "product_view",
        "add_to_cart",
        "remove_from_cart",
        "cart_view",
        "checkout",
        "purchase",
    ];
    let rows = r.hourly.iter().map(|h| {
        vec![
            h.dt.clone(),
            format!("{:02}", h.hour),
            h.events.to_string(),
            h.users.to_string(),
            h.landing.to_string(),
            h.group_view.to_string(),
            h.product_view.to_string(),
            h.add_to_cart.to_string(),
            h.remove_from_cart.to_string(),
            h.cart_view.to_string(),
            h.checkout.to_string(),
            h.purchase.to_string(),
        ]
    });
    table(&header, 1, rows.collect())
}

fn daily(r: &Reports) -> Table {
    let rows = r.daily.iter().map(|d| {
        vec![
            d.dt.clone(),
            d.users.to_string(),
            d.new_users.to_string(),
            d.returning_users.to_string(),
        ]
    });
    table(&["dt", "users", "new", "returning"], 1, rows.collect())
}

fn groups(r: &Reports) -> Table {
    let rows = r.groups.iter().map(|g| {
        vec![
            g.group_id.to_string(),
            name(&g.group_name),
            g.clicks.to_string(),
            pct(g.share),
            g.list_views.to_string(),
            g.product_views.to_string(),
            g.added_to_cart.to_string(),
            g.users.to_string(),
        ]
    });
    let header = [
        "group",
        "name",
        "clicks",
        "share",
        "list views",
        "product views",
        "added to cart",
        "users",
    ];
    table(&header, 2, rows.collect())
}

fn top_products(r: &Reports) -> Table {
    let rows = r.top_products.iter().map(|p| {
        vec![
            p.group_id.to_string(),
            name(&p.group_name),
            p.product_rank.to_string(),
            p.product_id.to_string(),
            p.views.to_string(),
            p.added_to_cart.to_string(),
        ]
    });
    let header = ["group", "name", "rank", "product", "views", "added to cart"];
    table(&header, 2, rows.collect())
}

fn sessions(r: &Reports) -> Table {
    let rows = r.sessions.iter().map(|s| {
        vec![
            s.dt.clone().unwrap_or_else(|| "all".to_owned()),
            s.sessions.to_string(),
            s.bounces.to_string(),
            pct(s.bounce_rate),
            format!("{:.2}", s.events_per_session),
            format!("{:.1}", s.avg_seconds),
            format!("{:.1}", s.median_seconds),
        ]
    });
    let header = [
        "start day",
        "sessions",
        "bounces",
        "bounce rate",
        "events/session",
        "avg s",
        "median s",
    ];
    table(&header, 1, rows.collect())
}

fn funnel(r: &Reports) -> Table {
    let rows = r.funnel.iter().map(|f| {
        vec![
            f.step.to_string(),
            f.name.clone(),
            f.sessions.to_string(),
            opt_pct(f.conversion),
            opt_pct(f.overall),
            f.reached.to_string(),
        ]
    });
    let header = [
        "step",
        "name",
        "sessions",
        "conversion",
        "of all",
        "reached (any order)",
    ];
    table(&header, 2, rows.collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::rows::GroupRow;

    #[test]
    fn names_from_the_lake_reach_the_terminal_escaped() {
        let reports = Reports {
            groups: vec![GroupRow {
                group_id: 1,
                group_name: Some("Books\u{1b}]0;pwned\u{7}\u{1b}[2J".into()),
                clicks: 1,
                share: 1.0,
                list_views: 1,
                product_views: 0,
                added_to_cart: 0,
                users: 1,
            }],
            ..Reports::empty()
        };
        let text = render(&reports);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(
            text.contains("Books\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"),
            "{text}"
        );
    }
}
