//! The function's settings: environment variables, as Lambda passes configuration.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `CSGEN_HANDLER` | `kinesis` (event source mapping → lake) or `firehose` (transformation) | `kinesis` |
//! | `CSGEN_LAKE` | `s3://BUCKET/PREFIX` (or a folder, for local runs); required by `kinesis` | — |
//! | `CSGEN_CONFIG` | a store configuration file packaged with the function (group names) | the built-in store |
//! | `CSGEN_COMPRESSION` | Parquet codec: `zstd`, `snappy` or `none` | `zstd` |
//!
//! AWS settings (region, credentials, `AWS_ENDPOINT_URL_S3`) come from the standard
//! chain, as everywhere in csgen. A wrong value fails the function's start with a
//! message naming the variable (Lambda reports it as an `init` error).

use std::path::PathBuf;

use csgen_model::ModelConfig;
use csgen_model::StoreConfig;
use csgen_model::config::DEFAULT_PROPERTIES;
use csgen_pipeline::{Compression, LakeSpec};

/// Which event the function takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// A Kinesis event source mapping's batch: enrich into the lake.
    Kinesis,
    /// A Firehose data-transformation event: enrich into JSON records.
    Firehose,
}

/// The checked settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub handler: Handler,
    /// Where the Kinesis handler writes; `None` only for the Firehose handler.
    pub lake: Option<LakeSpec>,
    /// The store: group names for the `group_name` column.
    pub store: StoreConfig,
    pub compression: Compression,
}

/// A setting that cannot be used, naming its variable.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{var}={value:?}: {reason}")]
    Invalid {
        var: &'static str,
        value: String,
        reason: String,
    },
    #[error("{var} is not set: {why}")]
    Missing {
        var: &'static str,
        why: &'static str,
    },
    #[error("CSGEN_CONFIG={path}: {source}")]
    ConfigFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("CSGEN_CONFIG={path}: {source}")]
    Config {
        path: PathBuf,
        #[source]
        source: csgen_model::ConfigError,
    },
}

impl Settings {
    /// Reads the settings through `var` (`std::env::var` in the binary).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let invalid = |var: &'static str, value: &str, reason: String| SettingsError::Invalid {
            var,
            value: value.to_owned(),
            reason,
        };
        let handler = match var("CSGEN_HANDLER").as_deref() {
            None | Some("kinesis") => Handler::Kinesis,
            Some("firehose") => Handler::Firehose,
            Some(other) => {
                return Err(invalid(
                    "CSGEN_HANDLER",
                    other,
                    "expected kinesis or firehose".into(),
                ));
            }
        };
        let lake = match var("CSGEN_LAKE") {
            Some(v) => Some(
                v.parse::<LakeSpec>()
                    .map_err(|e| invalid("CSGEN_LAKE", &v, e))?,
            ),
            None if handler == Handler::Kinesis => {
                return Err(SettingsError::Missing {
                    var: "CSGEN_LAKE",
                    why: "the kinesis handler writes to s3://BUCKET/PREFIX",
                });
            }
            None => None,
        };
        let compression = match var("CSGEN_COMPRESSION") {
            Some(v) => v
                .parse::<Compression>()
                .map_err(|e| invalid("CSGEN_COMPRESSION", &v, e))?,
            None => Compression::default(),
        };
        let store = match var("CSGEN_CONFIG") {
            Some(path) => load_store(PathBuf::from(path))?,
            None => ModelConfig::load("defaults.properties", DEFAULT_PROPERTIES)
                .map_err(|source| SettingsError::Config {
                    path: "built-in defaults".into(),
                    source,
                })?
                .store()
                .clone(),
        };
        Ok(Self {
            handler,
            lake,
            store,
            compression,
        })
    }
}

fn load_store(path: PathBuf) -> Result<StoreConfig, SettingsError> {
    let text = std::fs::read_to_string(&path).map_err(|source| SettingsError::ConfigFile {
        path: path.clone(),
        source,
    })?;
    let name = path.display().to_string();
    match ModelConfig::load(&name, &text) {
        Ok(model) => Ok(model.store().clone()),
        Err(source) => Err(SettingsError::Config { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn kinesis_needs_a_lake_and_firehose_does_not() {
        let err = Settings::from_env(env(&[])).unwrap_err().to_string();
        assert!(err.contains("CSGEN_LAKE is not set"), "{err}");
        let s = Settings::from_env(env(&[("CSGEN_HANDLER", "firehose")])).unwrap();
        assert_eq!(s.handler, Handler::Firehose);
        assert!(s.lake.is_none());
        let s = Settings::from_env(env(&[("CSGEN_LAKE", "s3://b/p")])).unwrap();
        assert_eq!(s.lake.unwrap().to_string(), "s3://b/p");
        assert!(!s.store.groups.is_empty(), "the built-in store has groups");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (pairs, says) in [
            (vec![("CSGEN_HANDLER", "sqs")], "CSGEN_HANDLER=\"sqs\""),
            (vec![("CSGEN_LAKE", "gs://x")], "CSGEN_LAKE=\"gs://x\""),
            (
                vec![("CSGEN_LAKE", "s3://b"), ("CSGEN_COMPRESSION", "lz4")],
                "CSGEN_COMPRESSION=\"lz4\"",
            ),
            (
                vec![
                    ("CSGEN_LAKE", "s3://b"),
                    ("CSGEN_CONFIG", "/nonexistent/x.toml"),
                ],
                "CSGEN_CONFIG=/nonexistent/x.toml",
            ),
        ] {
            let err = Settings::from_env(env(&pairs)).unwrap_err().to_string();
            assert!(err.contains(says), "{pairs:?}: {err}");
        }
    }

    #[test]
    fn a_broken_config_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.toml");
        std::fs::write(&path, "[store]\nno_such_key = 1\n").unwrap();
        let p = path.display().to_string();
        let err = Settings::from_env(env(&[("CSGEN_LAKE", "s3://b"), ("CSGEN_CONFIG", &p)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&p), "{err}");
    }
}
