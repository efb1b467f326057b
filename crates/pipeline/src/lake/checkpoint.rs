//! The checkpoint that ties a source position to what is committed in the lake.
//!
//! One JSON object per (source, lake) at `_csgen/checkpoints/{name}.json`, replaced
//! atomically at every flush. It is the commit record: a flush counts as committed
//! once its checkpoint is written, and `pending` lists the staged files that the
//! flush still has to move into place, so a restart can finish the moves.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::CheckpointError;

/// How far the source has been read and committed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcePos {
    /// Byte offset just after the last committed record (files; 0 for Kinesis).
    pub offset: u64,
    /// Records (lines) up to that offset.
    pub line: u64,
    /// Kinesis: how far each shard has been read, by shard id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub shards: BTreeMap<String, ShardPos>,
}

/// How far one Kinesis shard has been read and committed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardPos {
    /// Sequence number of the last committed record; resume AFTER it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
    /// The shard was closed (resharding) and read to its end: never read again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closed: bool,
}

/// A staged file and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Move {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub version: u32,
    /// The writer id in the lake's file names; a restart keeps it.
    pub writer: String,
    /// The last committed flush.
    pub flush: u64,
    pub source: SourcePos,
    pub pending: Vec<Move>,
}

impl Checkpoint {
    pub const VERSION: u32 = 1;

    /// Where the checkpoint called `name` lives, relative to the lake root.
    pub fn path(name: &str) -> String {
        format!("_csgen/checkpoints/{}.json", Self::file_name(name))
    }

    /// The file name (without extension) that stands for checkpoint `name`; its lock
    /// (`_csgen/locks/`) has the same.
    pub fn file_name(name: &str) -> String {
        name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }

    /// Reads a checkpoint file's bytes and checks what can be checked without the
    /// lake; the caller names the file. The fuzz target `checkpoint` (fuzz/) and the
    /// suite's replay of its corpus go through here.
    pub fn from_json(bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
        let cp: Checkpoint = serde_json::from_slice(bytes)?;
        if cp.version != Checkpoint::VERSION {
            return Err(CheckpointError::Version {
                found: cp.version,
                expected: Checkpoint::VERSION,
            });
        }
        Ok(cp)
    }

    /// The file's bytes, as [`Checkpoint::from_json`] reads them.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a checkpoint always serialises")
    }
}
