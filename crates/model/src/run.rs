//! A run's identity, and which ground-truth manifests may be merged into one.
//!
//! A sharded run is N processes with the same config, seed, format and window, each
//! with its own `--shard`. [`RunIdentity`] is what they share: it goes into each
//! shard's manifest, so [`merge`] can refuse manifests that cannot belong to one run
//! (another seed, config, format or window; the same shard twice), and with the shard
//! it names the lake writer of a shard ([`RunIdentity::writer_id`]), so that a rerun
//! of a shard replaces its earlier attempt's files instead of adding to them.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::realistic::Manifest;
use crate::shard::Shard;

/// What decides the records of a run: two processes with the same identity and shard
/// emit the same records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunIdentity {
    pub seed: u64,
    /// Record format (`json`, `url`, `url-object`).
    pub format: String,
    /// SHA-256 (hex) of the configuration text the run was given.
    pub config_sha256: String,
    /// Event time of the run's start, Unix ms (`--from`, `--start`, else the clock).
    pub from_ms: i64,
    /// End of the backfill (exclusive), Unix ms, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_ms: Option<i64>,
    /// `--count`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// SHA-256 (hex) of a configuration's text.
pub fn config_sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl RunIdentity {
    /// The lake writer id of `shard` of this run: 32 hex digits (the shape of a random
    /// writer id), the same for every attempt of the shard and different for any other
    /// shard or run.
    pub fn writer_id(&self, shard: Shard) -> String {
        let json = serde_json::to_string(self).expect("an identity always serialises");
        let digest = Sha256::new()
            .chain_update(json.as_bytes())
            .chain_update(b"\0shard=")
            .chain_update(shard.to_string().as_bytes())
            .finalize();
        hex::encode(&digest[..16])
    }

    /// How `self` and `other` differ, in words (empty when equal).
    fn differences(&self, other: &RunIdentity) -> Vec<String> {
        let mut out = Vec::new();
        let mut differ = |what: &str, a: String, b: String| {
            if a != b {
                out.push(format!("{what} {a} vs {b}"));
            }
        };
        differ("seed", self.seed.to_string(), other.seed.to_string());
        differ("format", self.format.clone(), other.format.clone());
        differ(
            "config sha256",
            self.config_sha256.clone(),
            other.config_sha256.clone(),
        );
        differ("from", time(Some(self.from_ms)), time(Some(other.from_ms)));
        differ("to", time(self.to_ms), time(other.to_ms));
        differ("count", opt(self.count), opt(other.count));
        out
    }
}

fn time(ms: Option<i64>) -> String {
    match ms.map(chrono::DateTime::from_timestamp_millis) {
        None => "none".into(),
        Some(Some(t)) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        Some(None) => format!("{ms:?} ms"),
    }
}

fn opt(n: Option<u64>) -> String {
    n.map_or_else(|| "none".into(), |n| n.to_string())
}

/// Why manifests cannot be merged into the manifest of one run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("no ground-truth manifest to merge")]
    Empty,
    #[error("{other} is not of the same run as {first}: {differences}")]
    OtherRun {
        first: String,
        other: String,
        differences: String,
    },
    #[error(
        "{file}: shard {shard:?} is not I/N with 1 <= I <= N <= {max}",
        max = Shard::MAX_COUNT
    )]
    BadShard { file: String, shard: String },
    #[error(
        "{file}: shard {shard} splits the run in {count}, but {first} splits it in \
         {first_count}: merge the shards of one split"
    )]
    OtherSplit {
        file: String,
        shard: Shard,
        count: u64,
        first: String,
        first_count: u64,
    },
    #[error(
        "shard {shard} is in both {first} and {other}: the manifest of a rerun replaces \
         its earlier attempt's, it is not added to it"
    )]
    Overlap {
        shard: Shard,
        first: String,
        other: String,
    },
}

/// Merges the manifests of shards of one run, each with its name (a file) for errors,
/// into the manifest of their union. Refuses manifests of different runs (seed,
/// format, config, window: [`RunIdentity`]; manifests written without an identity are
/// compared on seed and format), of different splits, or that cover a shard twice.
pub fn merge(parts: &[(String, Manifest)]) -> Result<Manifest, MergeError> {
    let ((first_name, first), rest) = parts.split_first().ok_or(MergeError::Empty)?;
    let mut seen: HashSet<u64> = HashSet::new();
    let mut owner: Vec<(u64, &str)> = Vec::new();
    let mut split: Option<u64> = None;
    for (name, m) in parts {
        let differences = match (&first.run, &m.run) {
            (Some(a), Some(b)) => a.differences(b),
            (None, None) => {
                let mut d = Vec::new();
                if first.seed != m.seed {
                    d.push(format!("seed {} vs {}", first.seed, m.seed));
                }
                if first.format != m.format {
                    d.push(format!("format {} vs {}", first.format, m.format));
                }
                d
            }
            (a, _) => vec![format!(
                "{} has no run identity (written by an older csgen)",
                if a.is_none() { first_name } else { name }
            )],
        };
        if !differences.is_empty() {
            return Err(MergeError::OtherRun {
                first: first_name.clone(),
                other: name.clone(),
                differences: differences.join(", "),
            });
        }
        for s in &m.shards {
            let shard: Shard = s.parse().map_err(|_| MergeError::BadShard {
                file: name.clone(),
                shard: s.clone(),
            })?;
            let count = *split.get_or_insert(shard.count());
            if shard.count() != count {
                return Err(MergeError::OtherSplit {
                    file: name.clone(),
                    shard,
                    count: shard.count(),
                    first: first_name.clone(),
                    first_count: count,
                });
            }
            if !seen.insert(shard.index()) {
                let other = owner
                    .iter()
                    .find(|(i, _)| *i == shard.index())
                    .map_or(name.as_str(), |(_, n)| n);
                return Err(MergeError::Overlap {
                    shard,
                    first: other.to_owned(),
                    other: name.clone(),
                });
            }
            owner.push((shard.index(), name));
        }
    }
    let mut merged = first.clone();
    for (_, m) in rest {
        merged.merge(m);
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> RunIdentity {
        RunIdentity {
            seed: 7,
            format: "json".into(),
            config_sha256: config_sha256("[store]\n"),
            from_ms: 1_790_000_000_000,
            to_ms: Some(1_790_003_600_000),
            count: None,
        }
    }

    fn manifest(shards: &[&str], run: Option<RunIdentity>) -> Manifest {
        Manifest {
            seed: 7,
            format: "json".into(),
            shards: shards.iter().map(|s| s.to_string()).collect(),
            records: 10,
            events: 9,
            run,
            ..Manifest::default()
        }
    }

    fn named(ms: Vec<Manifest>) -> Vec<(String, Manifest)> {
        ms.into_iter()
            .enumerate()
            .map(|(i, m)| (format!("truth-{i}.json"), m))
            .collect()
    }

    #[test]
    fn writer_ids_differ_by_shard_and_run_and_repeat_for_a_rerun() {
        let run = identity();
        let a = run.writer_id(Shard::new(1, 4).unwrap());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, identity().writer_id(Shard::new(1, 4).unwrap()));
        assert_ne!(a, run.writer_id(Shard::new(2, 4).unwrap()));
        assert_ne!(a, run.writer_id(Shard::new(1, 2).unwrap()));
        let other = RunIdentity {
            config_sha256: config_sha256("[store]\n# another\n"),
            ..identity()
        };
        assert_ne!(a, other.writer_id(Shard::new(1, 4).unwrap()));
    }

    #[test]
    fn the_shards_of_one_run_merge() {
        let parts = named(vec![
            manifest(&["2/3"], Some(identity())),
            manifest(&["1/3"], Some(identity())),
            manifest(&["3/3"], Some(identity())),
        ]);
        let m = merge(&parts).unwrap();
        assert_eq!(m.shards, ["1/3", "2/3", "3/3"]);
        assert_eq!((m.records, m.events), (30, 27));
        assert_eq!(m.run, Some(identity()));
    }

    #[test]
    fn manifests_of_other_runs_are_refused_with_what_differs() {
        let other = RunIdentity {
            seed: 8,
            to_ms: None,
            ..identity()
        };
        let err = merge(&named(vec![
            manifest(&["1/2"], Some(identity())),
            manifest(&["2/2"], Some(other)),
        ]))
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("truth-1.json is not of the same run as truth-0.json"),
            "{text}"
        );
        assert!(text.contains("seed 7 vs 8"), "{text}");
        assert!(text.contains("to 2026-09-21T"), "{text}");
        let config = RunIdentity {
            config_sha256: config_sha256("x"),
            ..identity()
        };
        let err = merge(&named(vec![
            manifest(&["1/2"], Some(identity())),
            manifest(&["2/2"], Some(config)),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("config sha256"), "{err}");
        let err = merge(&named(vec![
            manifest(&["1/2"], Some(identity())),
            manifest(&["2/2"], None),
        ]))
        .unwrap_err();
        assert!(
            err.to_string().contains("truth-1.json has no run identity"),
            "{err}"
        );
        let mut url = manifest(&["2/2"], None);
        url.format = "url".into();
        let err = merge(&named(vec![manifest(&["1/2"], None), url])).unwrap_err();
        assert!(err.to_string().contains("format json vs url"), "{err}");
    }

    #[test]
    fn a_shard_twice_or_another_split_is_refused() {
        let err = merge(&named(vec![
            manifest(&["1/2"], Some(identity())),
            manifest(&["1/2"], Some(identity())),
        ]))
        .unwrap_err();
        assert_eq!(
            err,
            MergeError::Overlap {
                shard: Shard::new(1, 2).unwrap(),
                first: "truth-0.json".into(),
                other: "truth-1.json".into()
            }
        );
        // A manifest that lists a shard twice is refused too.
        let err = merge(&named(vec![manifest(&["1/2", "1/2"], Some(identity()))])).unwrap_err();
        assert!(matches!(err, MergeError::Overlap { .. }), "{err}");
        let err = merge(&named(vec![
            manifest(&["1/2"], Some(identity())),
            manifest(&["3/4"], Some(identity())),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("splits the run in 4"), "{err}");
        for bad in ["0/2", "x", "", "2/18446744073709551615"] {
            let err = merge(&named(vec![manifest(&[bad], Some(identity()))])).unwrap_err();
            assert!(matches!(err, MergeError::BadShard { .. }), "{bad}: {err}");
        }
        assert_eq!(merge(&[]).unwrap_err(), MergeError::Empty);
    }
}
