//! Loading a model configuration: the original's properties (classic model) or TOML
//! (realistic model), chosen by file name or content.
//!
//! The two models stay separate types: the classic model is the original's contract
//! (independent clicks, byte-identical records), the realistic model a superset with
//! sessions. [`ModelConfig::store`] gives what both share (store URL, groups, rate,
//! Kinesis stream, token digest), so delivery code need not care which it has.

use crate::config::{Loaded, StoreConfig};
use crate::error::{ConfigError, Problem};
use crate::realistic::RealisticConfig;

/// A validated configuration of either model.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelConfig {
    /// From a `.properties` file: the original's model, with warnings worth showing.
    Classic(Loaded),
    /// From a `.toml` file: the realistic model.
    Realistic(Box<RealisticConfig>),
}

/// Which syntax a configuration file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Properties,
    Toml,
}

impl Syntax {
    /// By extension (`.toml`, `.properties`), else by content: a `[table]` header or
    /// no classic `web-store-url`/`group-count` key means TOML.
    pub fn detect(name: &str, text: &str) -> Syntax {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".toml") {
            return Syntax::Toml;
        }
        if lower.ends_with(".properties") {
            return Syntax::Properties;
        }
        let lines = || {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        };
        if lines().any(|l| l.starts_with('[')) {
            return Syntax::Toml;
        }
        let classic = lines().any(|l| {
            let key = l.split(['=', ':', ' ']).next().unwrap_or("");
            key.contains('-')
        });
        if classic || text.trim().is_empty() {
            Syntax::Properties
        } else {
            Syntax::Toml
        }
    }
}

impl ModelConfig {
    /// Parses and validates `text` read from the file `name` (used only to choose the
    /// syntax; errors carry keys and lines, the caller adds the file name).
    pub fn load(name: &str, text: &str) -> Result<ModelConfig, ConfigError> {
        match Syntax::detect(name, text) {
            Syntax::Properties => StoreConfig::from_properties_text(text).map(ModelConfig::Classic),
            Syntax::Toml => {
                RealisticConfig::from_toml(text).map(|c| ModelConfig::Realistic(Box::new(c)))
            }
        }
    }

    /// What both models share: store URL, groups, rate, stream, token digest.
    pub fn store(&self) -> &StoreConfig {
        match self {
            ModelConfig::Classic(l) => &l.config,
            ModelConfig::Realistic(r) => &r.store,
        }
    }

    /// Warnings (classic files only: unknown or ignored keys; TOML rejects unknown keys).
    pub fn warnings(&self) -> &[Problem] {
        match self {
            ModelConfig::Classic(l) => &l.warnings,
            ModelConfig::Realistic(_) => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_by_extension_then_content() {
        assert_eq!(Syntax::detect("a.toml", "web-store-url=x"), Syntax::Toml);
        assert_eq!(Syntax::detect("a.properties", "[x]"), Syntax::Properties);
        assert_eq!(
            Syntax::detect("cfg", "# c\n[store]\nurl = \"x\""),
            Syntax::Toml
        );
        assert_eq!(
            Syntax::detect("cfg", "web-store-url=https://a"),
            Syntax::Properties
        );
        assert_eq!(Syntax::detect("cfg", "seed = 3"), Syntax::Toml);
    }

    #[test]
    fn loads_both_models() {
        let classic = ModelConfig::load("x.properties", crate::config::DEFAULT_PROPERTIES).unwrap();
        assert!(matches!(classic, ModelConfig::Classic(_)));
        let realistic = ModelConfig::load("x.toml", "").unwrap();
        assert_eq!(realistic.store().store_url, "https://webstore.demo.com");
        assert_eq!(realistic.store().groups.len(), 2);
    }
}
