//! The fuzz targets' committed corpora (`fuzz/corpus/<target>/`), for the suite to
//! replay through the same entry points without building the fuzz targets, and the
//! proptest strategy of the suite's arbitrary-bytes tests.

use std::fmt::Debug;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use proptest::prelude::*;

/// Longest one input may take through an entry point in the (unoptimised) test
/// build: a hang detector, far above the milliseconds the inputs take.
pub const PER_INPUT: Duration = Duration::from_secs(10);

/// Every input of the committed corpus of fuzz target `target`, sorted by file name.
/// Panics when the folder is missing or empty: the corpus is part of the repository.
pub fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = crate::repo_root().join("fuzz/corpus").join(target);
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()));
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = entries
        .map(|entry| {
            let path = entry
                .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
                .path();
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, bytes)
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "corpus {} is empty", dir.display());
    inputs
}

/// Runs every input of `target`'s corpus through `entry`, each within [`PER_INPUT`]
/// (a panic names the input's file), and checks that every result in `must_see` came
/// up: a corpus that no longer reaches, say, both the accepting and the refusing side
/// of a parser has stopped exercising what lies behind it.
pub fn replay<T: PartialEq + Debug>(target: &str, entry: impl Fn(&[u8]) -> T, must_see: &[T]) {
    let mut seen = Vec::new();
    let inputs = corpus(target);
    for (path, bytes) in &inputs {
        let start = Instant::now();
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| entry(bytes)))
            .unwrap_or_else(|_| panic!("corpus input {} panicked", path.display()));
        let took = start.elapsed();
        assert!(took < PER_INPUT, "{} took {took:?}", path.display());
        if !seen.contains(&out) {
            seen.push(out);
        }
    }
    for want in must_see {
        assert!(
            seen.contains(want),
            "no input of corpus {target} gave {want:?} (of {})",
            inputs.len()
        );
    }
}

/// Inputs for an entry point: arbitrary bytes (up to 4 KiB, libFuzzer's default
/// length), or an input of `target`'s corpus with a few byte-level edits, which gets
/// past the parser's first bytes far more often.
pub fn inputs(target: &str) -> impl Strategy<Value = Vec<u8>> + use<> {
    let seeds: Vec<Vec<u8>> = corpus(target).into_iter().map(|(_, bytes)| bytes).collect();
    let edits = prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..16);
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..4096),
        (prop::sample::select(seeds), edits).prop_map(|(seed, edits)| mutate(&seed, &edits)),
    ]
}

/// `seed` with byte-level `edits` applied in turn, as a fuzzer's mutator would: each
/// `(at, op, byte)` inserts, deletes, replaces or duplicates (up to 16 bytes) at
/// position `at` modulo the length.
pub fn mutate(seed: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for &(at, op, byte) in edits {
        let i = at % (out.len() + 1);
        match op % 4 {
            0 => out.insert(i, byte),
            1 if i < out.len() => {
                out.remove(i);
            }
            2 if i < out.len() => out[i] = byte,
            3 => {
                let end = (i + usize::from(byte % 16) + 1).min(out.len());
                let copy = out[i..end].to_vec();
                out.splice(i..i, copy);
            }
            _ => out.push(byte),
        }
    }
    out
}
