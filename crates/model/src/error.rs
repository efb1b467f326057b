//! Configuration problems that say where they are: the key and the line.

use std::fmt;

/// One thing wrong (or worth a warning) in a configuration, located by key and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Problem {
    /// The key at fault, if the problem is about one key (or a family: `name-N`).
    pub key: Option<String>,
    /// The 1-based line the key is on, when the key is present in the file.
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn at(key: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            key: Some(key.into()),
            line,
            message: message.into(),
        }
    }

    pub fn missing(key: impl Into<String>) -> Self {
        Self::at(key, None, "missing (required)")
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found in a configuration, so a user can fix them all in one go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

impl From<Problem> for ConfigError {
    fn from(p: Problem) -> Self {
        Self { problems: vec![p] }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{n} problem{} in the configuration",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}
