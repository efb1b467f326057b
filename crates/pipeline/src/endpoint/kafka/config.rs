//! librdkafka properties that do not belong on a command line: security (SASL, TLS)
//! and anything else a managed cluster needs, from a file (`--kafka-config FILE`) and
//! from `CSGEN_KAFKA_*` environment variables, so that secrets never sit in a spec.
//!
//! The file has one `key=value` per line; blank lines and lines starting with `#` or `!`
//! are ignored, spaces around the key and the value too. An environment variable
//! `CSGEN_KAFKA_SASL_PASSWORD` is the property `sasl.password` (the rest of the name in
//! lower case, `_` read as `.`), and wins over the same key in the file. Every property
//! is checked by librdkafka when loaded, so a typo is an error naming its line or
//! variable. Values are never shown: not in `Debug`, not in errors, not in logs.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;

/// Prefix of the environment variables that carry librdkafka properties.
pub const ENV_PREFIX: &str = "CSGEN_KAFKA_";
/// Largest config file read: far beyond any real one, small enough to refuse a wrong file.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Most properties one configuration may hold.
pub const MAX_PROPERTIES: usize = 1000;

/// Where a property came from, for errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File { path: PathBuf, line: usize },
    Env { var: String },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { path, line } => write!(f, "{} line {line}", path.display()),
            Self::Env { var } => write!(f, "environment variable {var}"),
        }
    }
}

/// One librdkafka property. The value is private and has no `Debug`.
#[derive(Clone, PartialEq, Eq)]
struct Property {
    key: String,
    value: String,
    origin: Origin,
}

/// The librdkafka properties of a run (empty by default). `Debug` shows each key and
/// where it came from, never a value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KafkaSettings {
    properties: Vec<Property>,
}

impl fmt::Debug for KafkaSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.properties
                    .iter()
                    .map(|p| (&p.key, format!("<set by {}>", p.origin))),
            )
            .finish()
    }
}

/// A librdkafka property an endpoint sets itself (from its spec options), or refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub key: &'static str,
    /// `None`: the endpoint leaves librdkafka's default but lets nobody change it.
    pub value: Option<String>,
    /// Who owns it, for the error when a file or variable sets it, e.g.
    /// `the spec option linger`.
    pub owner: &'static str,
}

/// Why the Kafka client configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum KafkaConfigError {
    #[error("kafka config {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("kafka config {}: larger than {MAX_FILE_BYTES} bytes", path.display())]
    TooLarge { path: PathBuf },
    #[error("kafka config: more than {MAX_PROPERTIES} properties")]
    TooMany,
    #[error("kafka config {origin}: {problem}")]
    Syntax { origin: Origin, problem: String },
    #[error("kafka config {second}: {key:?} is already set by {first}")]
    Duplicate {
        key: String,
        first: Origin,
        second: Origin,
    },
    /// librdkafka refused the property (unknown name, bad value); its reason, with the
    /// value left out when the key is a secret.
    #[error("kafka config {origin}: {key}: {reason}")]
    Refused {
        origin: Origin,
        key: String,
        reason: String,
    },
    #[error("kafka config {origin}: {key} is set by {owner}; set it there")]
    Owned {
        origin: Origin,
        key: String,
        owner: &'static str,
    },
}

impl KafkaSettings {
    /// Reads `file` (if any) and the `CSGEN_KAFKA_*` variables of `env` (pass
    /// `std::env::vars_os()`), checking every property with librdkafka.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Result<Self, KafkaConfigError> {
        let mut properties = match file {
            Some(path) => read_file(path)?,
            None => Vec::new(),
        };
        let mut from_env = env_properties(env)?;
        // Sorted, so that the order (and the first error) does not depend on the environment's.
        from_env.sort_by(|a, b| a.key.cmp(&b.key));
        for p in from_env {
            if let Some(i) = properties.iter().position(|q| q.key == p.key) {
                tracing::debug!(key = %p.key, from = %p.origin, over = %properties[i].origin, "kafka property overridden");
                properties[i] = p;
            } else {
                properties.push(p);
            }
        }
        if properties.len() > MAX_PROPERTIES {
            return Err(KafkaConfigError::TooMany);
        }
        for p in &properties {
            check_with_librdkafka(p)?;
        }
        Ok(Self { properties })
    }

    /// Settings with these properties, as if read from `origin` (for tests and embedding).
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        origin: Origin,
    ) -> Result<Self, KafkaConfigError> {
        let properties: Vec<Property> = pairs
            .into_iter()
            .map(|(k, v)| Property {
                key: k.to_owned(),
                value: v.to_owned(),
                origin: origin.clone(),
            })
            .collect();
        for p in &properties {
            check_with_librdkafka(p)?;
        }
        Ok(Self { properties })
    }

    /// The property keys, in order (values stay private).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.properties.iter().map(|p| p.key.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    /// A client configuration: the endpoint's own `settings`, then these properties.
    /// A property that an endpoint setting owns is an error naming the owner.
    pub fn client_config(&self, settings: &[Setting]) -> Result<ClientConfig, KafkaConfigError> {
        let mut config = ClientConfig::new();
        for s in settings {
            if let Some(value) = &s.value {
                config.set(s.key, value);
            }
        }
        for p in &self.properties {
            if let Some(s) = settings.iter().find(|s| s.key == p.key) {
                return Err(KafkaConfigError::Owned {
                    origin: p.origin.clone(),
                    key: p.key.clone(),
                    owner: s.owner,
                });
            }
            config.set(&p.key, &p.value);
        }
        Ok(config)
    }
}

/// Whether a property's value is a secret (never echoed, even in an error).
pub fn is_sensitive(key: &str) -> bool {
    const MARKS: [&str; 7] = [
        "password",
        "secret",
        "jaas",
        "token",
        ".pem",
        "ssl_key",
        "oauthbearer.config",
    ];
    MARKS.iter().any(|m| key.contains(m))
}

fn read_file(path: &Path) -> Result<Vec<Property>, KafkaConfigError> {
    let read = |source| KafkaConfigError::Read {
        path: path.to_owned(),
        source,
    };
    let len = std::fs::metadata(path).map_err(read)?.len();
    if len > MAX_FILE_BYTES {
        return Err(KafkaConfigError::TooLarge {
            path: path.to_owned(),
        });
    }
    let bytes = std::fs::read(path).map_err(read)?;
    let mut properties: Vec<Property> = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let origin = Origin::File {
            path: path.to_owned(),
            line: i + 1,
        };
        let syntax = |problem: &str| KafkaConfigError::Syntax {
            origin: origin.clone(),
            problem: problem.to_owned(),
        };
        let line = std::str::from_utf8(line).map_err(|_| syntax("not UTF-8 text"))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| syntax("expected key=value"))?;
        let (key, value) = (key.trim(), value.trim());
        check_key(key).map_err(|p| syntax(&p))?;
        if let Some(first) = properties.iter().find(|p| p.key == key) {
            return Err(KafkaConfigError::Duplicate {
                key: key.to_owned(),
                first: first.origin.clone(),
                second: origin,
            });
        }
        if properties.len() == MAX_PROPERTIES {
            return Err(KafkaConfigError::TooMany);
        }
        properties.push(Property {
            key: key.to_owned(),
            value: value.to_owned(),
            origin,
        });
    }
    Ok(properties)
}

fn env_properties(
    env: impl IntoIterator<Item = (OsString, OsString)>,
) -> Result<Vec<Property>, KafkaConfigError> {
    let mut properties = Vec::new();
    for (name, value) in env {
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let origin = Origin::Env {
            var: name.to_owned(),
        };
        let syntax = |problem: String| KafkaConfigError::Syntax {
            origin: origin.clone(),
            problem,
        };
        let key = rest.to_ascii_lowercase().replace('_', ".");
        check_key(&key).map_err(|p| syntax(format!("{p} (from the variable's name)")))?;
        let value = value
            .into_string()
            .map_err(|_| syntax("the value is not UTF-8 text".into()))?;
        if properties.len() == MAX_PROPERTIES {
            return Err(KafkaConfigError::TooMany);
        }
        properties.push(Property {
            key,
            value: value.trim().to_owned(),
            origin,
        });
    }
    Ok(properties)
}

/// A property name as librdkafka spells them: lower-case words joined by `.` or `_`.
fn check_key(key: &str) -> Result<(), String> {
    let ok = !key.is_empty()
        && key.len() <= 128
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not a librdkafka property name (lower-case words joined by dots)",
            key.chars().take(64).collect::<String>()
        ))
    }
}

/// Asks librdkafka whether it takes the property, without building a client.
fn check_with_librdkafka(p: &Property) -> Result<(), KafkaConfigError> {
    let mut one = ClientConfig::new();
    one.set(&p.key, &p.value);
    let reason = match one.create_native_config() {
        Ok(_) => return Ok(()),
        Err(KafkaError::ClientConfig(_, reason, _, _)) => reason,
        Err(KafkaError::Nul(_)) => "the value contains a NUL byte".to_owned(),
        Err(other) => other.to_string(),
    };
    let reason = if is_sensitive(&p.key) && !p.value.is_empty() {
        reason.replace(&p.value, "…")
    } else {
        reason
    };
    Err(KafkaConfigError::Refused {
        origin: p.origin.clone(),
        key: p.key.clone(),
        reason,
    })
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
