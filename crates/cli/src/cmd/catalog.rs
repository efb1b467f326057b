//! `csgen catalog`: the `products/` and `customers/` tables of a realistic config and
//! seed, written into a lake on their own (for a pipeline whose events come from
//! elsewhere, or to refresh the dimensions without regenerating the events).
//!
//! It calls the same writer as `generate --sink lake:`, with the same model, shard and
//! Parquet options, so the files are the same bytes.

use anyhow::Context as _;
use csgen_model::ModelConfig;
use csgen_model::realistic::RealisticModel;
use csgen_pipeline::AwsSettings;
use csgen_pipeline::lake::dimensions::write_dimensions;

use super::runtime;
use crate::UsageError;
use crate::args::{CatalogArgs, resolve_shard};

pub fn run(a: CatalogArgs) -> anyhow::Result<()> {
    let source = crate::config::load(&a.config)?;
    let ModelConfig::Realistic(config) = &source.model else {
        return Err(UsageError(format!(
            "configuration {} is a classic (properties) model, which has no catalog: \
             give a realistic model's TOML file (see examples/store.toml)",
            source.origin
        ))
        .into());
    };
    let shard = resolve_shard(&a.shard)?;
    let model = RealisticModel::new(config, a.seed);
    let settings = AwsSettings {
        endpoint: a.endpoint.clone(),
    };
    let target = &a.to;
    let summary = runtime()?.block_on(async {
        let store = target.lake.open(&settings).await?;
        write_dimensions(&store, &model, shard, &target.options).await
    });
    let summary =
        summary.with_context(|| format!("cannot write the catalog to lake:{}", target.lake))?;
    eprintln!(
        "csgen: {} products and {} customers (shard {}/{}) in {} files to lake:{}, seed {}",
        summary.products,
        summary.customers,
        shard.index(),
        shard.count(),
        summary.files,
        target.lake,
        a.seed
    );
    Ok(())
}
