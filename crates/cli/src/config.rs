//! Finding and loading the configuration: `--config`, else CS_CONFIG_FILE (clap reads
//! both), else the built-in defaults. Warnings go to the log; errors name the file.

use std::path::Path;

use anyhow::Context;
use csgen_model::{StoreConfig, config::DEFAULT_PROPERTIES};

use crate::args::ConfigArgs;

/// A loaded configuration and where it came from.
pub struct Source {
    pub config: StoreConfig,
    pub origin: String,
    pub warnings: Vec<csgen_model::Problem>,
}

pub fn load(args: &ConfigArgs) -> anyhow::Result<Source> {
    let (text, origin) = match &args.config {
        Some(path) => (read(path)?, path.display().to_string()),
        None => (
            DEFAULT_PROPERTIES.to_owned(),
            "built-in defaults".to_owned(),
        ),
    };
    let loaded = StoreConfig::from_properties_text(&text)
        .with_context(|| format!("configuration {origin}"))?;
    for w in &loaded.warnings {
        tracing::warn!("{origin}: {w}");
    }
    Ok(Source {
        config: loaded.config,
        origin,
        warnings: loaded.warnings,
    })
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        anyhow::Error::new(crate::UsageError(format!(
            "cannot read configuration {}: {e}",
            path.display()
        )))
    })
}
