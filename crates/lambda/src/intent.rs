//! Writing a batch's files so that retries, bisections and timeouts never leave a
//! record twice in the lake.
//!
//! A batch's files are named by the records they hold (`part-{stream}-{shard}-{first}-
//! {last}`, sequence numbers of the first and last record in the file), so Lambda
//! retrying the same batch writes the same keys: an overwrite, not a duplicate. A
//! batch that failed part-way and comes back *different* — bisected after a function
//! error or a timeout, or resumed from a reported item failure — would name its files
//! differently, and the files the failed attempt did write would stay. So before
//! writing, the function records its intent:
//!
//! 1. list `_csgen/lambda/{stream}/{shard}/` (intents of attempts that never finished:
//!    empty in the normal case);
//! 2. for each intent whose sequence range overlaps this batch's, delete the files it
//!    names that this batch does not write, then the intent: its records are in this
//!    batch or in the rest of the failed one, which Lambda delivers again;
//! 3. put this batch's intent `{first}-{last}.json` naming every file it will write;
//! 4. put the files (events, then dead letters);
//! 5. delete the intent.
//!
//! A crash anywhere leaves either nothing or an intent that the next overlapping
//! attempt cleans up. It relies on Lambda's contract for a shard: batches are
//! contiguous, in order, one at a time, and a batch is checkpointed only when its
//! invocation succeeded (this function reports an item failure at the batch's first
//! record whenever a write failed, never in the middle).

use bytes::Bytes;
use csgen_pipeline::LakeError;
use csgen_pipeline::lake::Store;
use serde::{Deserialize, Serialize};

use crate::seq::{Origin, SeqNo};

/// The content of an intent object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Intent {
    version: u32,
    first: String,
    last: String,
    /// Paths (relative to the lake root) of the files the attempt writes.
    files: Vec<String>,
}

/// What a commit did besides writing its files.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CommitReport {
    pub files: usize,
    pub bytes: u64,
    /// Intents of unfinished earlier attempts that were cleaned up.
    pub cleaned_intents: usize,
    /// Files of those attempts that were deleted (not rewritten by this batch).
    pub removed_files: usize,
}

/// Most intents read for one shard: unfinished attempts are rare, and a lake holding
/// more has a problem a person should look at (the function then fails loudly).
pub const MAX_INTENTS: usize = 1000;

/// Writes `files` (path, bytes) for `origin`'s records `first..=last` with the intent
/// protocol above.
pub async fn commit(
    store: &Store,
    origin: &Origin,
    first: &SeqNo,
    last: &SeqNo,
    files: Vec<(String, Bytes)>,
) -> Result<CommitReport, CommitError> {
    let dir = origin.intent_dir();
    let mine = format!("{dir}/{first}-{last}.json");
    let mut report = CommitReport::default();
    let found = store.list(&dir).await?;
    if found.len() > MAX_INTENTS {
        return Err(CommitError::TooManyIntents {
            dir,
            found: found.len(),
        });
    }
    for path in found {
        let Some((a, b)) = range_of(&path) else {
            tracing::warn!(path, "lambda: not an intent, left alone");
            continue;
        };
        if b < *first || a > *last {
            continue;
        }
        let Some(bytes) = store.get(&path).await? else {
            continue;
        };
        let intent: Intent =
            serde_json::from_slice(&bytes).map_err(|source| CommitError::BadIntent {
                path: path.clone(),
                source,
            })?;
        for old in intent.files {
            if !files.iter().any(|(p, _)| *p == old) && is_lake_file(&old) {
                store.delete(&old).await?;
                report.removed_files += 1;
            }
        }
        if path != mine {
            store.delete(&path).await?;
        }
        report.cleaned_intents += 1;
    }
    let intent = Intent {
        version: 1,
        first: first.to_string(),
        last: last.to_string(),
        files: files.iter().map(|(p, _)| p.clone()).collect(),
    };
    let json = serde_json::to_vec(&intent).map_err(|source| CommitError::BadIntent {
        path: mine.clone(),
        source,
    })?;
    store.put(&mine, json).await?;
    report.files = files.len();
    report.bytes = files.iter().map(|(_, b)| b.len() as u64).sum();
    store.put_all(files).await?;
    store.delete(&mine).await?;
    if report.cleaned_intents > 0 {
        tracing::info!(stream = %origin.stream, shard = %origin.shard,
            intents = report.cleaned_intents, removed = report.removed_files,
            "lambda: cleaned up after an unfinished earlier attempt");
    }
    Ok(report)
}

/// Why a commit failed; every case is retried by Lambda (the batch is reported failed).
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error("intent {path}: {source}")]
    BadIntent {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{dir}: {found} unfinished intents (more than {MAX_INTENTS}); look at the lake")]
    TooManyIntents { dir: String, found: usize },
}

/// The sequence range of an intent's path, `…/{first}-{last}.json`.
fn range_of(path: &str) -> Option<(SeqNo, SeqNo)> {
    let name = path.rsplit('/').next()?.strip_suffix(".json")?;
    let (a, b) = name.split_once('-')?;
    Some((SeqNo::parse(a).ok()?, SeqNo::parse(b).ok()?))
}

/// Only files of the table and dead letters are deleted on an intent's word, so a
/// corrupted intent cannot remove checkpoints or other objects.
fn is_lake_file(path: &str) -> bool {
    (path.starts_with("events/") || path.starts_with("dead_letters/"))
        && !path
            .split('/')
            .any(|s| s == ".." || s == "." || s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intent_names_give_their_range() {
        let (a, b) = range_of("_csgen/lambda/s/shardId-1/12-345.json").unwrap();
        assert_eq!((a.as_str(), b.as_str()), ("12", "345"));
        for bad in ["x/12.json", "x/a-b.json", "x/1-2.txt", "x/-2.json"] {
            assert!(range_of(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn intents_delete_only_lake_files() {
        assert!(is_lake_file("events/dt=2026-11-01/hour=00/part-a.parquet"));
        assert!(is_lake_file("dead_letters/part-a.jsonl"));
        for bad in [
            "_csgen/checkpoints/x.json",
            "events/../_csgen/x",
            "events//x",
            "other/x",
        ] {
            assert!(!is_lake_file(bad), "{bad}");
        }
    }
}
