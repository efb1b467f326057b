//! The Parquet lake: where semantic events land.
//!
//! Layout under the root (a folder or `s3://bucket/prefix`):
//!
//! ```text
//! events/dt=YYYY-MM-DD/hour=HH/part-{writer}-{flush}-{n}.parquet   the table
//! dead_letters/part-{writer}-{flush}.jsonl                          rejected records
//! _csgen/checkpoints/{name}.json                                    source position ↔ commit
//! _csgen/locks/{name}.lock                                          the run writing it (lock.rs)
//! _csgen/staging/{writer}/…                                         files not yet committed
//! ```
//!
//! [`LakeWriter`] buffers events per partition and flushes on size or age; see
//! `writer.rs` for the commit protocol that keeps restarts exact.

mod batch;
mod checkpoint;
mod columns;
pub mod dimensions;
mod error;
mod flush;
mod items;
mod lock;
mod partition;
mod rerun;
mod store;
mod writer;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;

use crate::endpoint::aws::{self, AwsSettings};
use crate::endpoint::{Options, Written};

pub use batch::{BatchFile, BatchFiles, IndexRange};
pub use checkpoint::{Checkpoint, FileIdentity, ShardPos, SourcePos};
pub use columns::{FIRST_COLUMNS, MONEY, schema};
pub use error::{BoxError, CheckpointError, ConfigError, LakeError};
pub use lock::{LEASE, LakeLock};
pub use partition::Partition;
pub use store::{Store, write_atomically};
pub use writer::{FlushHook, FlushReport, FlushStage, LakeWriter, properties as writer_properties};

/// Parquet compression of the event files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// zstd level 1: about as fast as snappy here, and smaller.
    #[default]
    Zstd,
    Snappy,
    None,
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Zstd => "zstd",
            Self::Snappy => "snappy",
            Self::None => "none",
        })
    }
}

impl FromStr for Compression {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "zstd" => Ok(Self::Zstd),
            "snappy" => Ok(Self::Snappy),
            "none" => Ok(Self::None),
            _ => Err(format!(
                "unknown compression {s:?}; expected zstd, snappy or none"
            )),
        }
    }
}

/// Buffering and file settings (Firehose's "buffering hints", plus the format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeOptions {
    /// Flush when the buffered raw records reach this many bytes (default 64 MiB).
    pub max_buffer_bytes: usize,
    /// Flush when the oldest buffered event was read this long ago (default 300 s).
    pub max_age: Duration,
    pub compression: Compression,
    /// Rows per Parquet row group at most (default 1 Mi).
    pub max_row_group_rows: usize,
    /// Partitions (event-time hours) buffered at once before a flush (default 256).
    pub max_partitions: usize,
    /// A fixed writer id (1 to 64 of `[0-9A-Za-z_]`) instead of a random one: a writer
    /// opened with it and without a checkpoint first removes what an earlier writer of
    /// the same id left, so a rerun of a run replaces its earlier attempt (see
    /// `rerun.rs`). With a checkpoint, the checkpoint's writer id is used.
    pub writer_id: Option<String>,
    /// Encode a half-full buffer on the other cores while the next is read
    /// (`flush-behind=true`; off by default: it flushes at half the buffer, so a live
    /// stream writes twice the files; on two cores realistic events ran 1.28× (disk) to
    /// 1.55× (tmpfs) one core's speed behind, 1.32–1.34× inline: docs/pipeline.md#speed).
    pub flush_behind: bool,
}

impl LakeOptions {
    /// The option keys of a lake spec (`lake:PATH?max-age=10s`).
    pub const KEYS: &'static [&'static str] = &[
        "max-age",
        "max-buffer-mib",
        "max-partitions",
        "compression",
        "flush-behind",
    ];
    /// Most buffered MiB: beyond it a flush's encoding would hold gigabytes at once.
    pub const MAX_BUFFER_MIB: usize = 4096;

    /// Reads the lake's options from a spec's options (defaults for what is absent).
    pub fn parse(o: &mut Options<'_>) -> Result<Self, String> {
        let d = Self::default();
        Ok(Self {
            max_age: o
                .duration(
                    "max-age",
                    Duration::from_millis(100)..=Duration::from_secs(86_400),
                )?
                .unwrap_or(d.max_age),
            max_buffer_bytes: o
                .number::<usize>("max-buffer-mib", 1..=Self::MAX_BUFFER_MIB)?
                .map_or(d.max_buffer_bytes, |mib| mib << 20),
            max_partitions: o
                .number::<usize>("max-partitions", 1..=10_000)?
                .unwrap_or(d.max_partitions),
            compression: o
                .choice(
                    "compression",
                    &[
                        ("zstd", Compression::Zstd),
                        ("snappy", Compression::Snappy),
                        ("none", Compression::None),
                    ],
                )?
                .unwrap_or(d.compression),
            flush_behind: o.boolean("flush-behind")?.unwrap_or(d.flush_behind),
            ..d
        })
    }

    /// Writes the options that differ from the defaults.
    pub fn write(&self, w: &mut Written) {
        let d = Self::default();
        w.changed_duration("max-age", self.max_age, d.max_age)
            .changed(
                "max-buffer-mib",
                self.max_buffer_bytes >> 20,
                d.max_buffer_bytes >> 20,
            )
            .changed("max-partitions", self.max_partitions, d.max_partitions)
            .changed("compression", self.compression, d.compression)
            .changed("flush-behind", self.flush_behind, d.flush_behind);
    }
}

impl Default for LakeOptions {
    fn default() -> Self {
        Self {
            max_buffer_bytes: 64 << 20,
            max_age: Duration::from_secs(300),
            compression: Compression::Zstd,
            max_row_group_rows: 1 << 20,
            max_partitions: 256,
            writer_id: None,
            flush_behind: false,
        }
    }
}

/// A lake as a user names it: `./lake` or `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LakeSpec {
    Local(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl FromStr for LakeSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(rest) = s.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!(
                    "lake {s:?}: no bucket; expected s3://BUCKET/PREFIX"
                ));
            }
            Ok(Self::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_matches('/').to_owned(),
            })
        } else if s.is_empty() || s.contains("://") {
            Err(format!(
                "lake {s:?}: expected a folder or s3://BUCKET/PREFIX"
            ))
        } else {
            Ok(Self::Local(PathBuf::from(s)))
        }
    }
}

impl fmt::Display for LakeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local(p) => write!(f, "{}", p.display()),
            Self::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Self::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

impl LakeSpec {
    /// Opens the storage. S3 settings come from the standard AWS chain ([`aws::load`]:
    /// region, credentials, profiles, SSO, instance roles), the endpoint from
    /// `AWS_ENDPOINT_URL_S3`, the run's override or `AWS_ENDPOINT_URL` (plain `http://`
    /// endpoints such as a local test server are allowed).
    pub async fn open(&self, settings: &AwsSettings) -> Result<Store, LakeError> {
        let (bucket, prefix) = match self {
            Self::Local(root) => return Ok(Store::Local(root.clone())),
            Self::S3 { bucket, prefix } => (bucket, prefix),
        };
        let config = |source: ConfigError| LakeError::Config {
            url: self.to_string(),
            source,
        };
        let sdk = aws::load(settings).await.map_err(|e| config(e.into()))?;
        let region = sdk.region().map_or("us-east-1", |r| r.as_ref());
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(region)
            .with_credentials(aws::object_store_credentials(&sdk).map_err(|e| config(e.into()))?);
        if let Some(ep) = aws::service_endpoint(&sdk, "s3", "AWS_ENDPOINT_URL_S3") {
            b = b
                .with_allow_http(ep.starts_with("http://"))
                .with_endpoint(ep);
        }
        let s3 = b.build().map_err(|e| config(e.into()))?;
        Ok(Store::Object {
            store: Arc::new(s3),
            prefix: object_store::path::Path::from(prefix.as_str()),
            url: self.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lake_specs() {
        assert_eq!(
            "./lake".parse::<LakeSpec>().unwrap(),
            LakeSpec::Local("./lake".into())
        );
        assert_eq!(
            "s3://b/p/q/".parse::<LakeSpec>().unwrap(),
            LakeSpec::S3 {
                bucket: "b".into(),
                prefix: "p/q".into()
            }
        );
        assert_eq!("s3://b".parse::<LakeSpec>().unwrap().to_string(), "s3://b");
        for bad in ["", "s3://", "s3:///x", "gs://b/x"] {
            assert!(bad.parse::<LakeSpec>().is_err(), "{bad}");
        }
    }
}
