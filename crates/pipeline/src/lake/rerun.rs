//! A writer with a fixed id replaces its earlier attempt.
//!
//! `csgen generate --sink lake:…` has no source position to checkpoint: a run killed
//! after some flushes committed, and run again, would store those flushes' events
//! twice. When the writer's id is derived from the run's identity (seed, config,
//! format, window, shard: `csgen_model::RunIdentity::writer_id`), every attempt of a
//! run has the same id, and its files are `events/…/part-{id}-…`,
//! `dead_letters/part-{id}-…` and `_csgen/staging/{id}/…`. Opening such a writer
//! removes them first, so the lake then holds the new attempt's files only.
//!
//! This is safe only if two attempts never run at once (the Kubernetes Job's
//! `podReplacementPolicy: Failed` starts a replacement pod only once the failed one
//! has terminated); while the rerun runs, a reader sees part of the run.

use super::LakeError;
use super::error::ConfigError;
use super::store::Store;

/// Longest writer id accepted (ids become file names).
pub const MAX_WRITER_ID: usize = 64;

/// Checks a fixed writer id: 1 to [`MAX_WRITER_ID`] of `[0-9A-Za-z_]` (no `-`, which
/// separates the id from the flush number in file names, and nothing a path could
/// misread).
pub fn check_writer_id(store: &Store, id: &str) -> Result<(), LakeError> {
    if valid_writer_id(id) {
        Ok(())
    } else {
        Err(LakeError::Config {
            url: store.describe(),
            source: ConfigError::WriterId(id.to_owned()),
        })
    }
}

/// 1 to [`MAX_WRITER_ID`] of `[0-9A-Za-z_]`: the ids file names can hold (a random
/// writer's UUID too).
pub fn valid_writer_id(id: &str) -> bool {
    (1..=MAX_WRITER_ID).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `path` (relative to the lake root) is a file of writer `id`.
pub fn is_writers_file(path: &str, id: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_prefix("part-")
        .and_then(|rest| rest.strip_prefix(id))
        .is_some_and(|rest| rest.starts_with('-'))
}

/// Removes every file an earlier writer with id `id` left in the lake; returns how
/// many. Idempotent: a removal cut short is finished by the next attempt.
pub async fn remove_earlier_attempt(store: &Store, id: &str) -> Result<usize, LakeError> {
    let mut doomed = store.list(&format!("_csgen/staging/{id}")).await?;
    for dir in ["events", "dead_letters"] {
        doomed.extend(
            store
                .list(dir)
                .await?
                .into_iter()
                .filter(|p| is_writers_file(p, id)),
        );
    }
    for path in &doomed {
        store.delete(path).await?;
    }
    if !doomed.is_empty() {
        tracing::info!(writer = id, files = doomed.len(), lake = %store.describe(),
            "lake: removed the files of an earlier attempt of this run");
    }
    Ok(doomed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_writers_own_files_match() {
        let id = "0123abcd";
        assert!(is_writers_file(
            "events/dt=2026-11-01/hour=00/part-0123abcd-000001-0000.parquet",
            id
        ));
        assert!(is_writers_file(
            "dead_letters/part-0123abcd-000002.jsonl",
            id
        ));
        for other in [
            "events/dt=2026-11-01/hour=00/part-0123abcd0-000001-0000.parquet",
            "events/dt=2026-11-01/hour=00/part-0123abc-000001-0000.parquet",
            "events/dt=2026-11-01/hour=00/part-copy.parquet",
            "events/dt=2026-11-01/hour=00/0123abcd-000001.parquet",
            "events/part-0123abcd",
        ] {
            assert!(!is_writers_file(other, id), "{other}");
        }
    }

    #[test]
    fn writer_ids_that_could_reach_other_paths_are_refused() {
        let store = Store::Local("lake".into());
        assert!(check_writer_id(&store, "0123abcd_x").is_ok());
        let long = "a".repeat(MAX_WRITER_ID + 1);
        for bad in ["", "a-b", "../x", "a/b", "a b", "ä", long.as_str()] {
            let err = check_writer_id(&store, bad).unwrap_err().to_string();
            assert!(err.contains("writer id"), "{bad}: {err}");
        }
    }
}
