//! `file:PATH`: records appended to a file, one per line.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use csgen_pipeline::endpoint::Form;
use tokio::io::AsyncWriteExt;

use crate::context::{Built, SinkContext, SinkEndpoint};
use crate::stdout::write_batch;
use crate::{Batch, Sink, SinkError, SinkStats};

pub const FORM: Form = Form {
    scheme: "file",
    form: "file:PATH",
    about: "records appended to a file, one per line",
};

/// A file, appended to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    pub path: PathBuf,
}

impl FileSpec {
    pub fn parse(rest: &str) -> Result<Self, String> {
        match rest {
            "" => Err("no file name: expected file:PATH".to_owned()),
            path => Ok(Self { path: path.into() }),
        }
    }
}

impl fmt::Display for FileSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "file:{}", self.path.display())
    }
}

#[async_trait::async_trait]
impl SinkEndpoint for FileSpec {
    async fn build(&self, _cx: &SinkContext) -> Result<Built, SinkError> {
        Ok(Built::unchecked(Box::new(
            FileSink::open(&self.path).await?,
        )))
    }
}

pub struct FileSink {
    path: PathBuf,
    file: tokio::fs::File,
    /// Only regular files can be synced (not /dev/null, pipes or terminals).
    regular: bool,
    stats: Arc<SinkStats>,
}

impl FileSink {
    /// Opens `path` for appending, creating it if needed.
    pub async fn open(path: &Path) -> Result<Self, SinkError> {
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await
            .map_err(|e| SinkError::io(&format!("file:{}", path.display()), e))?;
        let regular = file.metadata().await.is_ok_and(|m| m.is_file());
        Ok(Self {
            path: path.to_owned(),
            file,
            regular,
            stats: Arc::default(),
        })
    }
}

#[async_trait::async_trait]
impl Sink for FileSink {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        let target = self.describe();
        write_batch(&mut self.file, &batch, &self.stats, &target).await
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        let target = self.describe();
        self.file
            .flush()
            .await
            .map_err(|e| SinkError::io(&target, e))?;
        if self.regular {
            self.file
                .sync_data()
                .await
                .map_err(|e| SinkError::io(&target, e))?;
        }
        Ok(())
    }

    fn stats(&self) -> &Arc<SinkStats> {
        &self.stats
    }

    fn describe(&self) -> String {
        format!("file:{}", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use csgen_model::{Encoder, Format, Generator, StoreConfig};

    #[tokio::test]
    async fn appends_and_counts() {
        let dir = std::env::temp_dir().join(format!("csgen-file-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.txt");
        std::fs::write(&path, "existing\n").unwrap();
        let config = StoreConfig::defaults();
        let g = Generator::new(&config, 1);
        let mut enc = Encoder::new(Format::Url, &config.store_url);
        let mut batch = Batch::default();
        for seq in 0..5 {
            batch.push(&mut enc, g.click(seq, 0));
        }
        let mut sink = FileSink::open(&path).await.unwrap();
        sink.stats().add_generated(5);
        sink.send(batch).await.unwrap();
        sink.flush().await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 6);
        assert!(text.starts_with("existing\nhttps://webstore.demo.com/api/group/"));
        let s = sink.stats().snapshot();
        assert_eq!((s.delivered, s.failed, s.in_flight), (5, 0, 0));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
