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
    /// Files: which file the offset is in, so that a resume notices a replaced file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileIdentity>,
}

/// What identifies a source file across runs: its first bytes, and where it was.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileIdentity {
    /// How many of the file's first bytes `head` covers (at most 4 KiB).
    pub head_len: u64,
    /// FNV-1a of those bytes, hex.
    pub head: String,
    /// Device and inode when the checkpoint was written: a change alone (a copy, a
    /// restore) is only logged, since the bytes are what matter.
    #[serde(default)]
    pub dev: u64,
    #[serde(default)]
    pub ino: u64,
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
    /// The checkpoint's full name (e.g. `file-/data/raw.jsonl`): its file name is a
    /// lossy, hashed form of it. Absent in checkpoints of csgen before 0.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The writer id in the lake's file names; a restart keeps it.
    pub writer: String,
    /// The last committed flush.
    pub flush: u64,
    pub source: SourcePos,
    pub pending: Vec<Move>,
}

/// Largest checkpoint file read: thousands of Kinesis shards and a flush's moves fit
/// in far less.
pub const MAX_BYTES: usize = 16 << 20;
/// Most pending moves in a checkpoint: a flush writes a file per partition (at most
/// `max-partitions`, bounded by its option's range) and one dead-letter file.
pub const MAX_PENDING: usize = 100_001;

impl Checkpoint {
    pub const VERSION: u32 = 1;

    /// Where the checkpoint called `name` lives, relative to the lake root.
    pub fn path(name: &str) -> String {
        format!("_csgen/checkpoints/{}.json", Self::file_name(name))
    }

    /// The file name (without extension) that stands for checkpoint `name`; its lock
    /// (`_csgen/locks/`) has the same. A name of `[A-Za-z0-9._-]` only is kept as it
    /// is; any other is cleaned and followed by a hash of the whole name, so that
    /// `file-/in/ä.jsonl` and `file-/in/ö.jsonl` never share a checkpoint.
    pub fn file_name(name: &str) -> String {
        let clean = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
        if !name.is_empty() && name.len() <= 120 && name.chars().all(clean) {
            return name.to_owned();
        }
        let safe: String = name
            .chars()
            .rev()
            .take(100)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .map(|c| if clean(c) { c } else { '_' })
            .collect();
        let hash = crate::hash::fnv1a(crate::hash::FNV_OFFSET, name.as_bytes());
        format!("{safe}-{hash:016x}")
    }

    /// Where csgen before 0.2 kept checkpoint `name` (each character outside
    /// `[A-Za-z0-9._-]` became `_`, so different names could share it), if that is
    /// not [`Checkpoint::path`].
    pub fn legacy_path(name: &str) -> Option<String> {
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
        let legacy = format!("_csgen/checkpoints/{safe}.json");
        (legacy != Self::path(name)).then_some(legacy)
    }

    /// Reads a checkpoint file's bytes and checks what can be checked without the
    /// lake; the caller names the file. The fuzz target `checkpoint` (fuzz/) and the
    /// suite's replay of its corpus go through here.
    pub fn from_json(bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
        if bytes.len() > MAX_BYTES {
            return Err(CheckpointError::Invalid(format!(
                "{} bytes, more than the {MAX_BYTES} a checkpoint can have",
                bytes.len()
            )));
        }
        let cp: Checkpoint = serde_json::from_slice(bytes)?;
        if cp.version != Checkpoint::VERSION {
            return Err(CheckpointError::Version {
                found: cp.version,
                expected: Checkpoint::VERSION,
            });
        }
        cp.check()?;
        Ok(cp)
    }

    /// The writer id and every pending move must be what a writer makes: a tampered or
    /// corrupt checkpoint must not make csgen move (or delete) files elsewhere.
    fn check(&self) -> Result<(), CheckpointError> {
        let invalid = |what: String| Err(CheckpointError::Invalid(what));
        if !super::rerun::valid_writer_id(&self.writer) {
            return invalid(format!(
                "writer {:?} is not a writer id (1 to 64 letters, digits or _)",
                crate::reason::clip(&self.writer)
            ));
        }
        if self.pending.len() > MAX_PENDING {
            return invalid(format!(
                "{} pending moves, more than a flush makes ({MAX_PENDING})",
                self.pending.len()
            ));
        }
        for m in &self.pending {
            if !is_move(m, &self.writer, self.flush) {
                return invalid(format!(
                    "pending move {:?} -> {:?} is not one of writer {}'s flush {} \
                     (_csgen/staging/{{writer}}/… to events/dt=…/hour=…/part-… or dead_letters/part-…)",
                    crate::reason::clip(&m.from),
                    crate::reason::clip(&m.to),
                    self.writer,
                    self.flush
                ));
            }
        }
        Ok(())
    }

    /// The file's bytes, as [`Checkpoint::from_json`] reads them.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a checkpoint always serialises")
    }
}

/// Whether `m` is a move flush `k` of `writer` makes (see `flush.rs`): an event file
/// `_csgen/staging/{w}/{k}-{i}.parquet` to `events/dt=YYYY-MM-DD/hour=HH/part-{w}-{k}-{i}.parquet`,
/// or the dead letters `_csgen/staging/{w}/{k}-dead.jsonl` to `dead_letters/part-{w}-{k}.jsonl`.
fn is_move(m: &Move, writer: &str, k: u64) -> bool {
    let number = |s: &str, min: usize| s.len() >= min && s.bytes().all(|b| b.is_ascii_digit());
    let flush = |s: &str| number(s, 6) && s.parse::<u64>() == Ok(k);
    let Some(staged) = m
        .from
        .strip_prefix("_csgen/staging/")
        .and_then(|r| r.strip_prefix(writer))
        .and_then(|r| r.strip_prefix('/'))
    else {
        return false;
    };
    if let Some(name) = staged.strip_suffix("-dead.jsonl") {
        return flush(name) && m.to == format!("dead_letters/part-{writer}-{name}.jsonl");
    }
    let Some((kk, i)) = staged
        .strip_suffix(".parquet")
        .and_then(|n| n.split_once('-'))
    else {
        return false;
    };
    if !(flush(kk) && number(i, 4)) {
        return false;
    }
    let Some(rest) = m.to.strip_prefix("events/dt=") else {
        return false;
    };
    let Some((date, rest)) = rest.split_once("/hour=") else {
        return false;
    };
    let Some((hour, file)) = rest.split_once('/') else {
        return false;
    };
    let date_ok = date.len() == 10
        && date.bytes().enumerate().all(|(j, b)| {
            if j == 4 || j == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let hour_ok = number(hour, 2) && hour.len() == 2 && hour < "24";
    date_ok && hour_ok && file == format!("part-{writer}-{kk}-{i}.parquet")
}
