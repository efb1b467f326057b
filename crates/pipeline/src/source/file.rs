//! `file:PATH` (or a plain path): records in a file, one per line, resumable by byte
//! offset: the lake's checkpoint holds the offset after the last committed record.

use std::fmt;
use std::path::PathBuf;

use tokio::io::AsyncSeekExt as _;

use super::lines::LineSource;
use super::{Source, SourceContext, SourceEndpoint, SourceError};
use crate::endpoint::Form;

pub const FORM: Form = Form {
    scheme: "file",
    form: "file:PATH, PATH",
    about: "records in a file, one per line (resumable: the byte offset is checkpointed)",
};

/// A file of records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    pub path: PathBuf,
}

impl FileSpec {
    pub fn parse(path: &str) -> Result<Self, String> {
        if path.is_empty() {
            return Err("no file name: expected file:PATH".to_owned());
        }
        Ok(Self { path: path.into() })
    }
}

impl fmt::Display for FileSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "file:{}", self.path.display())
    }
}

#[async_trait::async_trait]
impl SourceEndpoint for FileSpec {
    async fn open(&self, cx: &SourceContext) -> Result<Box<dyn Source>, SourceError> {
        let io = |error| SourceError::Io {
            source_name: self.to_string(),
            error,
        };
        let mut file = tokio::fs::File::open(&self.path).await.map_err(io)?;
        file.seek(std::io::SeekFrom::Start(cx.resume.offset))
            .await
            .map_err(io)?;
        Ok(Box::new(LineSource::new(
            self.to_string(),
            Box::new(file),
            cx.resume.clone(),
        )))
    }

    fn checkpoint_name(&self) -> Option<String> {
        let abs = std::path::absolute(&self.path).unwrap_or_else(|_| self.path.clone());
        Some(format!("file-{}", abs.display()))
    }
}
