//! `-` / `stdin`: records on standard input, one per line. Read once: there is nothing
//! to resume after a crash, so it keeps no checkpoint.

use std::fmt;

use super::lines::LineSource;
use super::read_ahead::ReadAhead;
use super::{Source, SourceContext, SourceEndpoint, SourceError};
use crate::endpoint::Form;
use crate::lake::SourcePos;

pub const FORM: Form = Form {
    scheme: "stdin",
    form: "-, stdin",
    about: "records on standard input, one per line (not resumable)",
};

/// Standard input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StdinSpec;

impl StdinSpec {
    pub fn parse(rest: &str) -> Result<Self, String> {
        match rest {
            "" => Ok(Self),
            _ => Err("stdin takes no name or options".to_owned()),
        }
    }
}

impl fmt::Display for StdinSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stdin")
    }
}

#[async_trait::async_trait]
impl SourceEndpoint for StdinSpec {
    async fn open(&self, _cx: &SourceContext) -> Result<Box<dyn Source>, SourceError> {
        let stdin =
            ReadAhead::spawn("csgen-stdin", std::io::stdin()).map_err(|error| SourceError::Io {
                source_name: self.to_string(),
                error,
            })?;
        Ok(Box::new(LineSource::new(
            self.to_string(),
            Box::new(stdin),
            SourcePos::default(),
        )))
    }

    fn checkpoint_name(&self) -> Option<String> {
        None
    }
}
