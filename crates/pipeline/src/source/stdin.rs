//! `-` / `stdin`: records on standard input, one per line. Read once: there is nothing
//! to resume after a crash, so it keeps no checkpoint.

use std::fmt;

use super::lines::LineSource;
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
        Ok(Box::new(LineSource::new(
            self.to_string(),
            Box::new(tokio::io::stdin()),
            SourcePos::default(),
        )))
    }

    fn checkpoint_name(&self) -> Option<String> {
        None
    }
}
