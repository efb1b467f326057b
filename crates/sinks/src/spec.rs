//! The sink registry: [`SinkSpec`], one variant per sink module, and [`SINKS`], the
//! table that parsing, the forms list and the `--sink` help come from.

use std::fmt;
use std::str::FromStr;

use csgen_pipeline::endpoint::{self, Direction, Entry, SpecError};

use crate::context::{Built, SinkContext, SinkEndpoint};
use crate::{AnySink, SinkError, browse, file, firehose, http, kafka, kinesis, lake, stdout};

/// A sink named on the command line (`--sink SPEC`) or in a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkSpec {
    Stdout(stdout::StdoutSpec),
    File(file::FileSpec),
    Kinesis(kinesis::KinesisSpec),
    Firehose(firehose::FirehoseSpec),
    Kafka(kafka::KafkaSpec),
    Http(http::HttpSpec),
    Browse(browse::BrowseSpec),
    Lake(lake::LakeSinkSpec),
}

/// Every sink, in the order help lists them.
pub const SINKS: &[Entry<SinkSpec>] = &[
    Entry {
        form: stdout::FORM,
        parse: |rest| stdout::StdoutSpec::parse(rest).map(SinkSpec::Stdout),
    },
    Entry {
        form: file::FORM,
        parse: |rest| file::FileSpec::parse(rest).map(SinkSpec::File),
    },
    Entry {
        form: kinesis::FORM,
        parse: |rest| kinesis::KinesisSpec::parse(rest).map(SinkSpec::Kinesis),
    },
    Entry {
        form: firehose::FORM,
        parse: |rest| firehose::FirehoseSpec::parse(rest).map(SinkSpec::Firehose),
    },
    Entry {
        form: kafka::FORM,
        parse: |rest| kafka::KafkaSpec::parse(rest).map(SinkSpec::Kafka),
    },
    Entry {
        form: http::FORM,
        parse: |rest| http::HttpSpec::parse(rest).map(SinkSpec::Http),
    },
    Entry {
        form: browse::FORM,
        parse: |rest| browse::BrowseSpec::parse(rest).map(SinkSpec::Browse),
    },
    Entry {
        form: lake::FORM,
        parse: |rest| lake::LakeSinkSpec::parse(rest).map(SinkSpec::Lake),
    },
];

impl SinkSpec {
    /// The forms `--sink` accepts, for messages.
    pub fn forms() -> String {
        endpoint::forms(SINKS)
    }

    /// One line per sink, for `--help`.
    pub fn help() -> String {
        endpoint::help(SINKS)
    }

    fn endpoint(&self) -> &dyn SinkEndpoint {
        match self {
            Self::Stdout(s) => s,
            Self::File(s) => s,
            Self::Kinesis(s) => s,
            Self::Firehose(s) => s,
            Self::Kafka(s) => s,
            Self::Http(s) => s,
            Self::Browse(s) => s,
            Self::Lake(s) => s,
        }
    }

    /// Builds the sink; its health check (if any) is left to the caller.
    pub async fn build(&self, cx: &SinkContext) -> Result<Built, SinkError> {
        self.endpoint().build(cx).await
    }

    /// Builds the sink and runs its health check.
    pub async fn open(&self, cx: &SinkContext) -> Result<AnySink, SinkError> {
        self.build(cx).await?.checked().await
    }
}

impl FromStr for SinkSpec {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, SpecError> {
        endpoint::parse(
            Direction::Sink,
            SINKS,
            s,
            |s| (s == "-").then_some(Ok(Self::Stdout(stdout::StdoutSpec))),
            "",
        )
    }
}

impl fmt::Display for SinkSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.endpoint().fmt(f)
    }
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
