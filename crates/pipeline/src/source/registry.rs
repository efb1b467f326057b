//! The source registry: [`SourceSpec`], one variant per source module, and [`SOURCES`],
//! the table that parsing, the forms list and the `--from` help come from.

use std::fmt;
use std::str::FromStr;

use super::{Source, SourceContext, SourceEndpoint, SourceError, file, kafka, kinesis, stdin};
use crate::endpoint::{self, Direction, Entry, SpecError};

/// A source as a user names it (`--from SPEC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    Stdin(stdin::StdinSpec),
    File(file::FileSpec),
    Kinesis(kinesis::KinesisSpec),
    Kafka(kafka::KafkaSourceSpec),
}

/// Every source, in the order help lists them.
pub const SOURCES: &[Entry<SourceSpec>] = &[
    Entry {
        form: stdin::FORM,
        parse: |rest| stdin::StdinSpec::parse(rest).map(SourceSpec::Stdin),
    },
    Entry {
        form: file::FORM,
        parse: |rest| file::FileSpec::parse(rest).map(SourceSpec::File),
    },
    Entry {
        form: kinesis::FORM,
        parse: |rest| kinesis::KinesisSpec::parse(rest).map(SourceSpec::Kinesis),
    },
    Entry {
        form: kafka::FORM,
        parse: |rest| kafka::KafkaSourceSpec::parse(rest).map(SourceSpec::Kafka),
    },
];

impl SourceSpec {
    /// A file source.
    pub fn file(path: impl Into<std::path::PathBuf>) -> Self {
        Self::File(file::FileSpec { path: path.into() })
    }

    /// The forms `--from` accepts, for messages.
    pub fn forms() -> String {
        endpoint::forms(SOURCES)
    }

    /// One line per source, for `--help`.
    pub fn help() -> String {
        endpoint::help(SOURCES)
    }

    fn endpoint(&self) -> &dyn SourceEndpoint {
        match self {
            Self::Stdin(s) => s,
            Self::File(s) => s,
            Self::Kinesis(s) => s,
            Self::Kafka(s) => s,
        }
    }

    /// Opens the source at `cx.resume`.
    pub async fn open(&self, cx: &SourceContext) -> Result<Box<dyn Source>, SourceError> {
        self.endpoint().open(cx).await
    }

    /// The name of the source's checkpoint in the lake, if it can resume.
    pub fn checkpoint_name(&self) -> Option<String> {
        self.endpoint().checkpoint_name()
    }

    /// A key mixed into derived event ids (see [`crate::enrich::derived_id`]): two
    /// sources with the same bytes at the same offset still get different ids.
    pub fn key(&self) -> u64 {
        let name = self.checkpoint_name().unwrap_or_else(|| "stdin".to_owned());
        crate::hash::fnv1a(crate::hash::FNV_OFFSET, name.as_bytes())
    }
}

impl FromStr for SourceSpec {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, SpecError> {
        endpoint::parse(
            Direction::Source,
            SOURCES,
            s,
            |s| match s.split_once(':') {
                _ if s == "-" => Some(Ok(Self::Stdin(stdin::StdinSpec))),
                Some((scheme, _)) if endpoint::looks_like_scheme(scheme) => None,
                _ if s.is_empty() => Some(Err("empty source".to_owned())),
                _ => Some(file::FileSpec::parse(s).map(Self::File)),
            },
            " (a file whose name holds a colon: file:NAME or ./NAME)",
        )
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.endpoint().fmt(f)
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
