//! Sources of raw records, as users name them: `-` (stdin) or a file.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where `csgen enrich --from SOURCE` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// Standard input: read once, cannot resume after a crash.
    Stdin,
    /// A file of records, one per line; resumable by byte offset.
    File(PathBuf),
}

impl SourceSpec {
    pub const FORMS: &'static str = "-, stdin, file:PATH, PATH";

    /// The name of the source's checkpoint in the lake, if it can resume.
    pub fn checkpoint_name(&self) -> Option<String> {
        match self {
            Self::Stdin => None,
            Self::File(p) => {
                let abs = std::path::absolute(p).unwrap_or_else(|_| p.clone());
                Some(format!("file-{}", abs.display()))
            }
        }
    }

    /// A key mixed into derived event ids (see [`crate::enrich::derived_id`]).
    pub fn key(&self) -> u64 {
        let name = self.checkpoint_name().unwrap_or_else(|| "stdin".to_owned());
        name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }
}

impl FromStr for SourceSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "-" | "stdin" => Ok(Self::Stdin),
            "" | "file:" => Err(format!("empty source; expected one of: {}", Self::FORMS)),
            _ => Ok(Self::File(PathBuf::from(
                s.strip_prefix("file:").unwrap_or(s),
            ))),
        }
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stdin => f.write_str("stdin"),
            Self::File(p) => write!(f, "file:{}", p.display()),
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
}
