//! Sink specifications as users write them: `stdout`, `file:PATH`, …

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::stream_options::{StreamKind, StreamOptions};
use crate::{AnySink, BuildOptions, FileSink, FirehoseSink, KinesisSink, SinkError, StdoutSink};

/// A sink named on the command line (`--sink SPEC`) or in a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkSpec {
    Stdout,
    File(PathBuf),
    /// `kinesis:STREAM[?options]`
    Kinesis {
        stream: String,
        options: StreamOptions,
    },
    /// `firehose:NAME[?options]`
    Firehose {
        name: String,
        options: StreamOptions,
    },
}

impl SinkSpec {
    /// The forms `--sink` accepts, for help and error messages.
    pub const FORMS: &'static str =
        "stdout, file:PATH, kinesis:STREAM[?options], firehose:NAME[?options]";

    /// Opens the sink with default [`BuildOptions`].
    pub async fn build(&self) -> Result<AnySink, SinkError> {
        self.build_with(&BuildOptions::default()).await
    }

    /// Opens the sink; `options` carries settings from outside the spec (endpoint).
    pub async fn build_with(&self, options: &BuildOptions) -> Result<AnySink, SinkError> {
        Ok(match self {
            Self::Stdout => AnySink::Stdout(StdoutSink::new()),
            Self::File(path) => AnySink::File(FileSink::open(path).await?),
            Self::Kinesis { stream, options: o } => {
                let stream = match (stream.as_str(), &options.kinesis_stream) {
                    ("", Some(configured)) => configured.as_str(),
                    ("", None) => {
                        return Err(SinkError::Fatal {
                            target: "kinesis".into(),
                            message: "no stream name: use kinesis:STREAM or set \
                                      url-kinesis-stream-name in the config"
                                .into(),
                        });
                    }
                    (named, _) => named,
                };
                let o = with_run_flush_timeout(o, options);
                AnySink::Kinesis(KinesisSink::connect(stream, &o, options).await?)
            }
            Self::Firehose { name, options: o } => {
                let o = with_run_flush_timeout(o, options);
                AnySink::Firehose(FirehoseSink::connect(name, &o, options).await?)
            }
        })
    }
}

/// The spec's options, with the run's flush timeout unless the spec set its own.
fn with_run_flush_timeout(o: &StreamOptions, build: &BuildOptions) -> StreamOptions {
    let mut o = o.clone();
    if let (false, Some(t)) = (o.flush_timeout_set, build.flush_timeout) {
        o.flush_timeout = t;
    }
    o
}

impl FromStr for SinkSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, rest) = s.split_once(':').unwrap_or((s, ""));
        match kind {
            "stdout" | "-" if rest.is_empty() => Ok(Self::Stdout),
            "file" if !rest.is_empty() => Ok(Self::File(PathBuf::from(rest))),
            "kinesis" => {
                let (stream, options) = StreamOptions::parse_spec(rest, StreamKind::Kinesis)
                    .map_err(|e| format!("sink {s:?}: {e}"))?;
                Ok(Self::Kinesis { stream, options })
            }
            "firehose" => {
                let (name, options) = StreamOptions::parse_spec(rest, StreamKind::Firehose)
                    .map_err(|e| format!("sink {s:?}: {e}"))?;
                Ok(Self::Firehose { name, options })
            }
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
            Self::Kinesis { stream, options } => write!(f, "kinesis:{stream}{options}"),
            Self::Firehose { name, options } => write!(f, "firehose:{name}{options}"),
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
        let k: SinkSpec = "kinesis:clicks?partition-key=user".parse().unwrap();
        assert_eq!(k.to_string(), "kinesis:clicks?partition-key=user");
        let f: SinkSpec = "firehose:lake".parse().unwrap();
        assert_eq!(f.to_string(), "firehose:lake");
        let err = "kinesis:clicks?speed=9".parse::<SinkSpec>().unwrap_err();
        assert!(err.contains("unknown option \"speed\""), "{err}");
        for bad in ["file:", "nope", "stdout:x", ""] {
            let err = bad.parse::<SinkSpec>().unwrap_err();
            assert!(err.contains("expected one of"), "{err}");
        }
    }
}
