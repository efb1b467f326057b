//! `csgen query`: SQL over the lake, printed as a table, CSV or JSON.

use std::io::{IsTerminal as _, Write as _};

use csgen_analytics::{Access, Lake, output, query};

use super::runtime;
use crate::args::QueryArgs;

pub fn run(a: QueryArgs) -> anyhow::Result<()> {
    runtime()?.block_on(async move {
        let lake = Lake::open_spec(&a.lake).await?;
        let access = if a.allow_write {
            Access::ReadWrite
        } else {
            Access::ReadOnly
        };
        let result = query::run_in(&lake, lake.context(), &a.sql, access).await?;
        let mut out = std::io::stdout().lock();
        let text = output::render(&result.schema, &result.batches, a.format, out.is_terminal())?;
        out.write_all(text.as_bytes())?;
        if a.stats {
            let in_lake = lake.files().await?.len();
            eprintln!("csgen: {}", stats_line(&result, in_lake));
        }
        Ok(())
    })
}

/// `3 rows in 0.041 s; read 1 of 48 files, 1 partition: dt=2026-11-01/hour=07`.
/// (A query answered from the files' metadata alone, such as a bare `count(*)`,
/// reads none.)
fn stats_line(r: &csgen_analytics::QueryResult, files_in_lake: usize) -> String {
    let s = &r.stats;
    let mut partitions: Vec<&str> = s
        .files
        .iter()
        .filter_map(|f| {
            f.find("dt=")
                .map(|i| &f[i..f.rfind('/').unwrap_or(f.len())])
        })
        .collect();
    partitions.dedup();
    let mut line = format!(
        "{} row{} in {:.3} s; read {} of {} files, {} partition{}",
        r.rows(),
        if r.rows() == 1 { "" } else { "s" },
        s.elapsed.as_secs_f64(),
        s.files.len(),
        files_in_lake,
        s.partitions,
        if s.partitions == 1 { "" } else { "s" },
    );
    if !partitions.is_empty() && partitions.len() <= 6 {
        line.push_str(": ");
        line.push_str(&partitions.join(", "));
    }
    line
}
