//! `csgen ddl`: the Glue/Athena tables of a lake (events, with its partition projection
//! over the days the lake holds or from `--since`; products; customers).

use anyhow::Context as _;
use csgen_analytics::Lake;
use csgen_pipeline::ddl::{Days, TableNames, create_tables};

use super::runtime;
use crate::args::DdlArgs;

pub fn run(a: DdlArgs) -> anyhow::Result<()> {
    let days = match a.since {
        Some(first) => Days::since(first),
        None => runtime()?
            .block_on(lake_days(&a.lake))
            .context("reading the lake's first day for the partition projection (--since DATE gives it without reading the lake)")?,
    };
    let names = TableNames::new(a.table, a.products_table, a.customers_table);
    print!("{}", create_tables(&a.lake, &names, days)?);
    Ok(())
}

/// The days the lake's partitions span, as of today (UTC).
async fn lake_days(spec: &csgen_pipeline::LakeSpec) -> anyhow::Result<Days> {
    let lake = Lake::open_spec(spec).await?;
    let (first, last) = lake
        .days()
        .await?
        .context("the lake has no dt= partitions")?;
    Ok(Days::spanning(first, last, chrono::Utc::now().date_naive()))
}
