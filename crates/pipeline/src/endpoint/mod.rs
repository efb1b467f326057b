//! What sources and sinks share: the spec grammar, one duration syntax, the AWS
//! configuration loader, the Kafka client configuration.
//!
//! An endpoint is named by a spec `SCHEME:TARGET[?OPTIONS]` (`kinesis:clicks?linger=200ms`,
//! `file:/tmp/a.jsonl`, `lake:s3://bucket/prefix`). Each direction has one table of
//! [`Entry`]s — the source registry in [`crate::source`], the sink registry in the
//! sinks crate — from which parsing ([`parse`]), the forms list ([`forms`]) and the
//! `--help` text ([`help`]) all come, so an endpoint is named in one place only.

pub mod aws;
pub mod duration;
mod failure;
pub mod kafka;
pub mod options;

use std::fmt;

pub use failure::ServiceError;
pub use options::{Options, Written};

/// Which way records flow through an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Source,
    Sink,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Source => "source",
            Direction::Sink => "sink",
        })
    }
}

/// A spec that names no endpoint, or names one wrongly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("{direction} {spec:?}: unknown scheme {scheme:?}; expected one of: {forms}{hint}")]
    UnknownScheme {
        direction: Direction,
        spec: String,
        scheme: String,
        forms: String,
        /// Extra advice (sources: how to name a file with a colon in its name).
        hint: &'static str,
    },
    #[error("{direction} {spec:?}: {problem}")]
    Invalid {
        direction: Direction,
        spec: String,
        problem: String,
    },
}

/// How an endpoint is written and what it is: each endpoint module's `FORM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Form {
    /// The scheme before the colon (`kinesis`).
    pub scheme: &'static str,
    /// The spec's form for help and errors (`kinesis:STREAM[?options]`).
    pub form: &'static str,
    /// One line for `--help`.
    pub about: &'static str,
}

/// One row of a registry: an endpoint's [`Form`], and how to read its spec into the
/// registry's type.
pub struct Entry<T> {
    pub form: Form,
    /// Reads the text after `SCHEME:` (empty for a bare `SCHEME`).
    pub parse: fn(&str) -> Result<T, String>,
}

/// Longest spec accepted: specs are typed by people, and every byte of one is echoed
/// back in errors.
pub const MAX_SPEC_BYTES: usize = 4096;

/// Reads `spec` with the registry `table`. `bare` handles what has no known scheme
/// (`-`, a plain path) or returns `None`, making it an unknown-scheme error.
pub fn parse<T>(
    direction: Direction,
    table: &[Entry<T>],
    spec: &str,
    bare: impl FnOnce(&str) -> Option<Result<T, String>>,
    hint: &'static str,
) -> Result<T, SpecError> {
    let invalid = |problem: String| SpecError::Invalid {
        direction,
        spec: spec.to_owned(),
        problem,
    };
    if spec.len() > MAX_SPEC_BYTES {
        return Err(SpecError::Invalid {
            direction,
            spec: format!("{}…", spec.chars().take(64).collect::<String>()),
            problem: format!("longer than {MAX_SPEC_BYTES} bytes"),
        });
    }
    let (scheme, rest) = spec.split_once(':').unwrap_or((spec, ""));
    if let Some(entry) = table.iter().find(|e| e.form.scheme == scheme) {
        return (entry.parse)(rest).map_err(invalid);
    }
    if let Some(result) = bare(spec) {
        return result.map_err(invalid);
    }
    Err(SpecError::UnknownScheme {
        direction,
        spec: spec.to_owned(),
        scheme: scheme.to_owned(),
        forms: forms(table),
        hint,
    })
}

/// `stdout, file:PATH, …`: every form of the registry, for messages.
pub fn forms<T>(table: &[Entry<T>]) -> String {
    table
        .iter()
        .map(|e| e.form.form)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The registry as `--help` shows it: each form, and what it is on the next line.
pub fn help<T>(table: &[Entry<T>]) -> String {
    table
        .iter()
        .map(|e| format!("{}\n    {}", e.form.form, e.form.about))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `text` could be a scheme (`kafka`, `s3+tls`), as opposed to a path that
/// happens to contain a colon (`./a:b`, `/tmp/x:y`).
pub fn looks_like_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Vec<Entry<String>> {
        vec![
            Entry {
                form: Form {
                    scheme: "one",
                    form: "one",
                    about: "the first",
                },
                parse: |rest| match rest {
                    "" => Ok("one".into()),
                    _ => Err(format!("unexpected {rest:?}")),
                },
            },
            Entry {
                form: Form {
                    scheme: "two",
                    form: "two:NAME[?options]",
                    about: "the second",
                },
                parse: |rest| Ok(format!("two {rest}")),
            },
        ]
    }

    #[test]
    fn dispatches_by_scheme_and_keeps_the_endpoints_message() {
        let t = table();
        let p = |s: &str| parse(Direction::Sink, &t, s, |_| None, "");
        assert_eq!(p("one").unwrap(), "one");
        assert_eq!(p("two:x?a=1").unwrap(), "two x?a=1");
        assert_eq!(
            p("one:zz").unwrap_err().to_string(),
            "sink \"one:zz\": unexpected \"zz\""
        );
        assert_eq!(
            p("kafka:b/t").unwrap_err().to_string(),
            "sink \"kafka:b/t\": unknown scheme \"kafka\"; expected one of: one, two:NAME[?options]"
        );
        assert!(matches!(p(""), Err(SpecError::UnknownScheme { .. })));
        let long = "two:".to_owned() + &"x".repeat(MAX_SPEC_BYTES);
        assert!(
            p(&long)
                .unwrap_err()
                .to_string()
                .contains("longer than 4096 bytes")
        );
        assert_eq!(
            help(&t),
            "one\n    the first\ntwo:NAME[?options]\n    the second"
        );
    }

    #[test]
    fn tells_schemes_from_paths() {
        for s in ["kafka", "s3", "a+b", "x-1.2"] {
            assert!(looks_like_scheme(s), "{s}");
        }
        for s in ["", "./a", "/tmp/x", "1abc", "a b", "ä"] {
            assert!(!looks_like_scheme(s), "{s}");
        }
    }
}
