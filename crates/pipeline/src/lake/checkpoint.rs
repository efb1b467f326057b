//! The checkpoint that ties a source position to what is committed in the lake.
//!
//! One JSON object per (source, lake) at `_csgen/checkpoints/{name}.json`, replaced
//! atomically at every flush. It is the commit record: a flush counts as committed
//! once its checkpoint is written, and `pending` lists the staged files that the
//! flush still has to move into place, so a restart can finish the moves.

use serde::{Deserialize, Serialize};

/// How far the source has been read and committed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcePos {
    /// Byte offset just after the last committed record.
    pub offset: u64,
    /// Records (lines) up to that offset.
    pub line: u64,
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
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("_csgen/checkpoints/{safe}.json")
    }
}
