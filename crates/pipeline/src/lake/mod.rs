//! The Parquet lake: where semantic events land.
//!
//! Layout under the root (a folder or `s3://bucket/prefix`):
//!
//! ```text
//! events/dt=YYYY-MM-DD/hour=HH/part-{writer}-{flush}-{n}.parquet   the table
//! dead_letters/part-{writer}-{flush}.jsonl                          rejected records
//! _csgen/checkpoints/{name}.json                                    source position ↔ commit
//! _csgen/staging/{writer}/…                                         files not yet committed
//! ```
//!
//! [`LakeWriter`] buffers events per partition and flushes on size or age; see
//! `writer.rs` for the commit protocol that keeps restarts exact.

mod checkpoint;
mod columns;
mod partition;
mod store;
mod writer;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use checkpoint::{Checkpoint, ShardPos, SourcePos};
pub use columns::schema;
pub use partition::Partition;
pub use store::Store;
pub use writer::{FlushHook, FlushReport, FlushStage, LakeWriter, properties as writer_properties};

/// Why the lake could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("lake {path}: {message}")]
    Store { path: String, message: String },
    #[error("lake: encoding Parquet for partition {partition}: {message}")]
    Encode { partition: String, message: String },
    #[error("lake checkpoint {path}: {message}")]
    Checkpoint { path: String, message: String },
    #[error("lake {url}: {message}")]
    Config { url: String, message: String },
}

/// Parquet compression of the event files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// zstd level 1: about as fast as snappy here, and smaller.
    #[default]
    Zstd,
    Snappy,
    None,
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
}

impl Default for LakeOptions {
    fn default() -> Self {
        Self {
            max_buffer_bytes: 64 << 20,
            max_age: Duration::from_secs(300),
            compression: Compression::Zstd,
            max_row_group_rows: 1 << 20,
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
    /// Opens the storage. S3 settings come from the standard AWS environment
    /// (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL`; plain `http://` endpoints such
    /// as a local test server are allowed).
    pub fn store(&self) -> Result<Store, LakeError> {
        self.store_with(&|key| std::env::var(key).ok())
    }

    /// [`Self::store`] with the AWS settings read through `get` instead of the
    /// process environment (tests point it at a local server this way).
    pub fn store_with(&self, get: &dyn Fn(&str) -> Option<String>) -> Result<Store, LakeError> {
        match self {
            Self::Local(root) => Ok(Store::Local(root.clone())),
            Self::S3 { bucket, prefix } => {
                use object_store::aws::AmazonS3Builder;
                let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
                if let Some(ep) = get("AWS_ENDPOINT_URL_S3").or_else(|| get("AWS_ENDPOINT_URL")) {
                    b = b
                        .with_allow_http(ep.starts_with("http://"))
                        .with_endpoint(ep);
                }
                let region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));
                b = b.with_region(region.unwrap_or_else(|| "us-east-1".to_owned()));
                if let (Some(id), Some(secret)) =
                    (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY"))
                {
                    b = b.with_access_key_id(id).with_secret_access_key(secret);
                    if let Some(token) = get("AWS_SESSION_TOKEN") {
                        b = b.with_token(token);
                    }
                }
                let s3 = b.build().map_err(|e| LakeError::Config {
                    url: self.to_string(),
                    message: e.to_string(),
                })?;
                Ok(Store::Object {
                    store: Arc::new(s3),
                    prefix: object_store::path::Path::from(prefix.as_str()),
                    url: self.to_string(),
                })
            }
        }
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
