//! `file:PATH` (or a plain path): records in a file, one per line, resumable by byte
//! offset: the lake's checkpoint holds the offset after the last committed record.

use std::fmt;
use std::path::PathBuf;

use std::os::unix::fs::MetadataExt as _;

use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

use super::lines::LineSource;
use super::read_ahead::ReadAhead;
use super::{Source, SourceContext, SourceEndpoint, SourceError};
use crate::endpoint::Form;
use crate::hash::{FNV_OFFSET, fnv1a};
use crate::lake::{FileIdentity, SourcePos};

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

/// How much of a file's beginning identifies it.
const HEAD_BYTES: u64 = 4096;

impl FileSpec {
    /// Refuses to resume in a file that is not the one the checkpoint was written for:
    /// shorter than the committed offset, or with other first bytes (a file replaced
    /// by a new one of the same name, as log rotation does).
    fn check_resume(
        &self,
        cx: &SourceContext,
        len: u64,
        head: &[u8],
        now: &FileIdentity,
    ) -> Result<(), SourceError> {
        let changed = |what: String| SourceError::Changed {
            source_name: self.to_string(),
            what,
            checkpoint: cx
                .checkpoint
                .clone()
                .unwrap_or_else(|| "(unnamed)".to_owned()),
        };
        let pos = &cx.resume;
        if len < pos.offset {
            return Err(changed(format!(
                "the file has {len} bytes, fewer than the {} already read from it: it was \
                 truncated or replaced",
                pos.offset
            )));
        }
        let Some(then) = &pos.file else {
            return Ok(());
        };
        let same = then.head_len <= len
            && head.len() as u64 >= then.head_len
            && format!(
                "{:016x}",
                fnv1a(FNV_OFFSET, &head[..then.head_len as usize])
            ) == then.head;
        if !same {
            return Err(changed(format!(
                "its first {} bytes are not those read before: it was replaced or rewritten",
                then.head_len
            )));
        }
        if (then.dev, then.ino) != (now.dev, now.ino) {
            tracing::warn!(source = %self, "the file has moved (another inode) but begins as before: resuming in it");
        }
        Ok(())
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
        let meta = file.metadata().await.map_err(io)?;
        let head_len = meta.len().min(HEAD_BYTES);
        let mut head = vec![0; head_len as usize];
        file.read_exact(&mut head).await.map_err(io)?;
        let identity = FileIdentity {
            head_len,
            head: format!("{:016x}", fnv1a(FNV_OFFSET, &head)),
            dev: meta.dev(),
            ino: meta.ino(),
        };
        self.check_resume(cx, meta.len(), &head, &identity)?;
        file.seek(std::io::SeekFrom::Start(cx.resume.offset))
            .await
            .map_err(io)?;
        let resume = SourcePos {
            file: Some(identity),
            ..cx.resume.clone()
        };
        let file = ReadAhead::spawn("csgen-read", file.into_std().await).map_err(io)?;
        Ok(Box::new(LineSource::new(
            self.to_string(),
            Box::new(file),
            resume,
        )))
    }

    fn checkpoint_name(&self) -> Option<String> {
        let abs = std::path::absolute(&self.path).unwrap_or_else(|_| self.path.clone());
        Some(format!("file-{}", abs.display()))
    }
}
