//! Sink specifications as users write them: `stdout`, `file:PATH`, …

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::{AnySink, FileSink, SinkError, StdoutSink};

/// A sink named on the command line (`--sink SPEC`) or in a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkSpec {
    Stdout,
    File(PathBuf),
}

impl SinkSpec {
    /// The forms `--sink` accepts, for help and error messages.
    pub const FORMS: &'static str = "stdout, file:PATH";

    /// Opens the sink.
    pub async fn build(&self) -> Result<AnySink, SinkError> {
        Ok(match self {
            Self::Stdout => AnySink::Stdout(StdoutSink::new()),
            Self::File(path) => AnySink::File(FileSink::open(path).await?),
        })
    }
}

impl FromStr for SinkSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, rest) = s.split_once(':').unwrap_or((s, ""));
        match kind {
            "stdout" | "-" if rest.is_empty() => Ok(Self::Stdout),
            "file" if !rest.is_empty() => Ok(Self::File(PathBuf::from(rest))),
            _ => Err(format!(
                "unknown sink {s:?}; expected one of: {}",
                Self::FORMS
            )),
        }
    }
}

impl fmt::Display for SinkSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stdout => f.write_str("stdout"),
            Self::File(p) => write!(f, "file:{}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!("stdout".parse::<SinkSpec>().unwrap(), SinkSpec::Stdout);
        assert_eq!(
            "file:/tmp/a b.jsonl".parse::<SinkSpec>().unwrap(),
            SinkSpec::File("/tmp/a b.jsonl".into())
        );
        for bad in ["file:", "nope", "stdout:x", ""] {
            let err = bad.parse::<SinkSpec>().unwrap_err();
            assert!(err.contains("expected one of"), "{err}");
        }
    }
}
