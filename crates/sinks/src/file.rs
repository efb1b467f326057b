//! `file:PATH`: records appended to a file, one per line.
//!
//! A batch is written whole by one `write_all` on tokio's blocking pool, the batch
//! moved there: `tokio::fs::File` would copy it into its own buffer first, 2 MiB at a
//! time with a blocking-pool round trip each (a backfill writes ~450 MB a million
//! events).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use csgen_pipeline::endpoint::Form;
use std::io::Write;

use crate::context::{Built, SinkContext, SinkEndpoint};
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
    /// `None` while a write or sync runs on the blocking pool, and for good if one
    /// was abandoned (its future dropped) or panicked: later calls then fail.
    file: Option<std::fs::File>,
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
            file: Some(file.into_std().await),
            regular,
            stats: Arc::default(),
        })
    }
}

#[async_trait::async_trait]
impl Sink for FileSink {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        let n = batch.len() as u64;
        let written = self
            .blocking(move |mut file| file.write_all(&batch.data))
            .await;
        match written {
            Ok(()) => {
                self.stats.add_delivered(n);
                Ok(())
            }
            Err(e) => {
                self.stats.add_failed(n);
                Err(e)
            }
        }
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        // Writes go straight to the file; a regular file is synced to disk.
        if self.regular {
            self.blocking(|file| file.sync_data()).await?;
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

impl FileSink {
    /// Runs `op` on the file on tokio's blocking pool.
    async fn blocking(
        &mut self,
        op: impl FnOnce(&std::fs::File) -> std::io::Result<()> + Send + 'static,
    ) -> Result<(), SinkError> {
        let target = self.describe();
        let Some(file) = self.file.take() else {
            let e = std::io::Error::other("an earlier write was abandoned before it ended");
            return Err(SinkError::io(&target, e));
        };
        let (file, done) = tokio::task::spawn_blocking(move || {
            let done = op(&file);
            (file, done)
        })
        .await
        .map_err(|e| SinkError::io(&target, std::io::Error::other(e)))?;
        self.file = Some(file);
        done.map_err(|e| SinkError::io(&target, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use csgen_model::{Encoder, Format, Generator, StoreConfig};

    /// `n` classic clicks of the default store as URL records.
    fn urls(n: u64) -> Batch {
        let config = StoreConfig::defaults();
        let g = Generator::new(&config, 1);
        let mut enc = Encoder::new(Format::Url, &config.store_url);
        let mut batch = Batch::default();
        for seq in 0..n {
            batch.push(&mut enc, g.click(seq, 0));
        }
        batch
    }

    #[tokio::test]
    async fn appends_and_counts() {
        let dir = std::env::temp_dir().join(format!("csgen-file-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.txt");
        std::fs::write(&path, "existing\n").unwrap();
        let batch = urls(5);
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

    /// `/dev/full` fails every write with ENOSPC.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_failed_write_names_the_file_and_counts_the_batch_failed() {
        let full = Path::new("/dev/full");
        let batch = urls(3);
        let mut sink = FileSink::open(full).await.unwrap();
        sink.stats().add_generated(3);
        let err = sink.send(batch.clone()).await.unwrap_err();
        assert!(err.to_string().contains("file:/dev/full"), "{err}");
        let s = sink.stats().snapshot();
        assert_eq!((s.delivered, s.failed), (0, 3));
        // The file is still there for the next batch (which fails the same way).
        sink.stats().add_generated(3);
        assert!(sink.send(batch).await.is_err());
        assert_eq!(sink.stats().snapshot().failed, 6);
    }
}
