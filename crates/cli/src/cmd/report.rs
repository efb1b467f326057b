//! `csgen report`: the standard reports over the lake, as text tables or JSON.

use std::io::Write as _;

use csgen_analytics::report::{self, REPORTS, text};
use csgen_analytics::{Lake, TimeRange};

use super::runtime;
use crate::UsageError;
use crate::args::ReportArgs;

pub fn run(a: ReportArgs) -> anyhow::Result<()> {
    let range = TimeRange::new(a.from, a.to)?;
    let mut out = std::io::stdout().lock();
    if a.sql {
        return print_sql(&mut out, &range, a.json);
    }
    let Some(spec) = a.lake else {
        return Err(UsageError("--lake is required".into()).into());
    };
    runtime()?.block_on(async move {
        let lake = Lake::open_spec(&spec).await?;
        let (reports, timings) = report::reports_timed(&lake, Some(range)).await?;
        if a.json {
            let json = serde_json::to_string_pretty(&reports)?;
            writeln!(out, "{}", csgen_analytics::escape::json_for_terminal(json))?;
        } else {
            out.write_all(text::render(&reports).as_bytes())?;
        }
        if a.timings {
            for t in &timings {
                eprintln!(
                    "csgen: report {:<12} {:8.3} s",
                    t.name,
                    t.elapsed.as_secs_f64()
                );
            }
            let total: f64 = timings.iter().map(|t| t.elapsed.as_secs_f64()).sum();
            eprintln!("csgen: report {:<12} {total:8.3} s", "total");
        }
        Ok(())
    })
}

/// The reports' SQL, as run (over `events` restricted to the range): SQL text with a
/// comment per report, or JSON `[{name, title, sql}]` with the range's predicate.
fn print_sql(out: &mut impl std::io::Write, range: &TimeRange, json: bool) -> anyhow::Result<()> {
    let predicate = range.sql_predicate();
    if json {
        let doc = serde_json::json!({ "range_predicate": predicate, "reports": REPORTS });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
        return Ok(());
    }
    if let Some(p) = predicate {
        writeln!(out, "-- events: the lake's events WHERE {p}\n")?;
    }
    for r in &REPORTS {
        writeln!(out, "-- {}: {}\n{};\n", r.name, r.title, r.sql)?;
    }
    Ok(())
}
