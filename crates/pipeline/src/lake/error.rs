//! Why the lake could not be opened or written, with the cause kept: a caller can ask
//! [`LakeError::is_transient`] (a throttled or dropped S3 call) instead of reading text
//! (a wrong bucket, no permission, a corrupt checkpoint).

use std::error::Error;

use crate::endpoint::aws::AwsConfigError;

/// A boxed cause, for errors from several libraries (arrow, parquet).
pub type BoxError = Box<dyn Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    /// A local file operation failed.
    #[error("lake {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// An object store (S3) operation failed, after object_store's own retries.
    #[error("lake {path}: {source}")]
    Object {
        path: String,
        #[source]
        source: object_store::Error,
    },
    #[error("lake: encoding Parquet for partition {partition}: {source}")]
    Encode {
        partition: String,
        #[source]
        source: BoxError,
    },
    #[error("lake checkpoint {path}: {source}")]
    Checkpoint {
        path: String,
        #[source]
        source: CheckpointError,
    },
    #[error("lake {url}: {source}")]
    Config {
        url: String,
        #[source]
        source: ConfigError,
    },
    /// Another run writes from the same source into the same lake.
    #[error(
        "lake lock {lock} is held by {holder}: another run is reading the same source into \
         this lake (two would delete each other's staged files); wait for it to end"
    )]
    Locked { lock: String, holder: String },
    /// Another writer took over this run's expired S3 lease: stop before committing.
    #[error(
        "lake lock {lock} was taken over by another run after this run's lease expired; \
         stopping before the next commit (what this run did not commit is read again)"
    )]
    LockLost { lock: String },
}

/// A checkpoint that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("not a csgen checkpoint: {0}")]
    Json(#[from] serde_json::Error),
    #[error("version {found} is not {expected}")]
    Version { found: u32, expected: u32 },
    #[error("{0}")]
    Invalid(String),
}

/// A lake location that cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Aws(#[from] AwsConfigError),
    #[error(transparent)]
    Store(#[from] object_store::Error),
    /// A fixed writer id that file names cannot hold (`LakeOptions::writer_id`).
    #[error("writer id {0:?} must be 1 to 64 letters, digits or _")]
    WriterId(String),
}

impl LakeError {
    /// Whether trying again later could succeed: a timeout, a dropped connection, a
    /// throttled or failing service. Missing buckets or files, refused permissions,
    /// bad paths, corrupt checkpoints and configuration problems are not.
    pub fn is_transient(&self) -> bool {
        use std::io::ErrorKind as K;
        match self {
            Self::Io { source, .. } => matches!(
                source.kind(),
                K::TimedOut
                    | K::Interrupted
                    | K::WouldBlock
                    | K::ConnectionReset
                    | K::ConnectionAborted
                    | K::ConnectionRefused
            ),
            Self::Object { source, .. } => matches!(
                source,
                object_store::Error::Generic { .. } | object_store::Error::JoinError { .. }
            ),
            Self::Encode { .. }
            | Self::Checkpoint { .. }
            | Self::Config { .. }
            | Self::Locked { .. }
            | Self::LockLost { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttled_write_is_told_from_a_missing_bucket() {
        let throttled = LakeError::Object {
            path: "s3://b/x".into(),
            source: object_store::Error::Generic {
                store: "S3",
                source: "SlowDown".into(),
            },
        };
        let missing = LakeError::Object {
            path: "s3://nope/x".into(),
            source: object_store::Error::NotFound {
                path: "x".into(),
                source: "NoSuchBucket".into(),
            },
        };
        assert!(throttled.is_transient());
        assert!(!missing.is_transient());
        assert!(
            std::error::Error::source(&missing)
                .and_then(|e| e.downcast_ref::<object_store::Error>())
                .is_some(),
            "the object_store error is kept as the cause"
        );
    }
}
