//! Sources of raw records, as users name them: `-` (stdin), a file, or a Kinesis
//! stream (`kinesis:STREAM[?until-idle=5s]`).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Where `csgen enrich --from SOURCE` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// Standard input: read once, cannot resume after a crash.
    Stdin,
    /// A file of records, one per line; resumable by byte offset.
    File(PathBuf),
    /// A Kinesis stream, all shards; resumable by a sequence number per shard.
    Kinesis {
        stream: String,
        /// Stop once no shard has returned a record for this long (batch use, tests);
        /// `None` reads until shutdown.
        until_idle: Option<Duration>,
    },
}

impl SourceSpec {
    pub const FORMS: &'static str =
        "-, stdin, file:PATH, PATH, kinesis:STREAM[?until-idle=DURATION]";

    /// The name of the source's checkpoint in the lake, if it can resume.
    pub fn checkpoint_name(&self) -> Option<String> {
        match self {
            Self::Stdin => None,
            Self::File(p) => {
                let abs = std::path::absolute(p).unwrap_or_else(|_| p.clone());
                Some(format!("file-{}", abs.display()))
            }
            Self::Kinesis { stream, .. } => Some(format!("kinesis-{stream}")),
        }
    }

    /// A key mixed into derived event ids (see [`crate::enrich::derived_id`]).
    pub fn key(&self) -> u64 {
        let name = self.checkpoint_name().unwrap_or_else(|| "stdin".to_owned());
        fnv(0xcbf2_9ce4_8422_2325, name.as_bytes())
    }
}

/// FNV-1a over `bytes`, continuing from `h`.
pub(crate) fn fnv(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `500ms`, `5s`, `2m`.
fn parse_duration(s: &str) -> Option<Duration> {
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let n: u64 = s[..split].parse().ok()?;
    match &s[split..] {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => n.checked_mul(60).map(Duration::from_secs),
        _ => None,
    }
}

fn parse_kinesis(rest: &str, whole: &str) -> Result<SourceSpec, String> {
    let (stream, query) = rest.split_once('?').unwrap_or((rest, ""));
    if stream.is_empty() {
        return Err(format!(
            "source {whole:?}: no stream name; expected kinesis:STREAM"
        ));
    }
    let mut until_idle = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("until-idle", v)) => {
                until_idle = Some(parse_duration(v).ok_or_else(|| {
                    format!(
                        "source {whole:?}: until-idle={v:?} is not a duration like 500ms, 5s or 2m"
                    )
                })?);
            }
            _ => {
                return Err(format!(
                    "source {whole:?}: unknown option {pair:?}; expected until-idle=DURATION"
                ));
            }
        }
    }
    Ok(SourceSpec::Kinesis {
        stream: stream.to_owned(),
        until_idle,
    })
}

impl FromStr for SourceSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "-" | "stdin" => Ok(Self::Stdin),
            "" | "file:" => Err(format!("empty source; expected one of: {}", Self::FORMS)),
            _ => match s.strip_prefix("kinesis:") {
                Some(rest) => parse_kinesis(rest, s),
                None => Ok(Self::File(PathBuf::from(
                    s.strip_prefix("file:").unwrap_or(s),
                ))),
            },
        }
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stdin => f.write_str("stdin"),
            Self::File(p) => write!(f, "file:{}", p.display()),
            Self::Kinesis { stream, .. } => write!(f, "kinesis:{stream}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sources() {
        assert_eq!("-".parse::<SourceSpec>().unwrap(), SourceSpec::Stdin);
        assert_eq!(
            "file:a.jsonl".parse::<SourceSpec>().unwrap(),
            SourceSpec::File("a.jsonl".into())
        );
        assert_eq!(
            "a.jsonl".parse::<SourceSpec>().unwrap().to_string(),
            "file:a.jsonl"
        );
        assert!("".parse::<SourceSpec>().is_err());
        assert!(SourceSpec::Stdin.checkpoint_name().is_none());
        assert_ne!(SourceSpec::Stdin.key(), SourceSpec::File("x".into()).key());
    }

    #[test]
    fn parses_kinesis_sources() {
        assert_eq!(
            "kinesis:clicks".parse::<SourceSpec>().unwrap(),
            SourceSpec::Kinesis {
                stream: "clicks".into(),
                until_idle: None
            }
        );
        let s: SourceSpec = "kinesis:clicks?until-idle=1500ms".parse().unwrap();
        assert_eq!(
            s,
            SourceSpec::Kinesis {
                stream: "clicks".into(),
                until_idle: Some(Duration::from_millis(1500))
            }
        );
        assert_eq!(s.to_string(), "kinesis:clicks");
        assert_eq!(s.checkpoint_name().unwrap(), "kinesis-clicks");
        let two: SourceSpec = "kinesis:x?until-idle=2m".parse().unwrap();
        assert!(
            matches!(two, SourceSpec::Kinesis { until_idle: Some(d), .. } if d.as_secs() == 120)
        );
        for bad in [
            "kinesis:",
            "kinesis:?until-idle=5s",
            "kinesis:s?until-idle=5",
            "kinesis:s?until-idle=xs",
            "kinesis:s?idle=5s",
        ] {
            let e = bad.parse::<SourceSpec>().unwrap_err();
            assert!(e.contains(bad), "{bad}: {e}");
        }
    }
}
