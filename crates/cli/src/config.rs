//! Finding and loading the configuration: `--config`, else CS_CONFIG_FILE (clap reads
//! both), else the built-in defaults. Properties files give the classic model, TOML
//! files the realistic one. Warnings go to the log; errors name the file.

use std::path::Path;

use anyhow::Context;
use csgen_model::config::DEFAULT_PROPERTIES;
use csgen_model::{ModelConfig, StoreConfig};

use crate::args::ConfigArgs;

/// A loaded configuration and where it came from.
pub struct Source {
    pub model: ModelConfig,
    pub origin: String,
    /// SHA-256 of the configuration's text: part of a run's identity.
    pub sha256: String,
}

impl Source {
    /// What both models share: store, groups, rate, stream, token digest.
    pub fn store(&self) -> &StoreConfig {
        self.model.store()
    }
}

pub fn load(args: &ConfigArgs) -> anyhow::Result<Source> {
    let (text, origin) = match &args.config {
        Some(path) => (read(path)?, path.display().to_string()),
        None => (
            DEFAULT_PROPERTIES.to_owned(),
            "built-in defaults".to_owned(),
        ),
    };
    let model =
        ModelConfig::load(&origin, &text).with_context(|| format!("configuration {origin}"))?;
    for w in model.warnings() {
        tracing::warn!("{origin}: {w}");
    }
    Ok(Source {
        model,
        origin,
        sha256: csgen_model::run::config_sha256(&text),
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
