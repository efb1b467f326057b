//! `--shard I/N`: one of N disjoint slices of a run's logical stream.
//!
//! Shard I (1-based) owns the events whose sequence number is I−1 modulo N. The N
//! shards together emit exactly the unsharded stream (same ids, same draws), each
//! at 1/N of the rate, so N processes on N machines never overlap.
//!
//! Orchestrators hand each worker its index in an environment variable, 0-based
//! (Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX`; AWS Batch array jobs:
//! `AWS_BATCH_JOB_ARRAY_INDEX`; a StatefulSet's pod index through the downward API).
//! [`ShardSpec`] is the option as written — `I/N` or `env:VAR/N` — and
//! [`ShardSpec::resolve`] reads the variable through an injected lookup, so the
//! parsing stays pure and testable.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// The whole stream.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// The most shards a stream splits into. Far above any real fleet (a Kubernetes
    /// Indexed Job allows 100,000 indexes), and small enough that stepping a sequence
    /// number by the shard count can never overflow (`2/18446744073709551615` wrapped).
    pub const MAX_COUNT: u64 = 1_000_000;

    /// Shard `index` (1-based) of `count`, with `1 <= count <=` [`Self::MAX_COUNT`].
    pub fn new(index: u64, count: u64) -> Option<Self> {
        ((1..=Self::MAX_COUNT).contains(&count) && (1..=count).contains(&index))
            .then_some(Self { index, count })
    }

    pub fn index(&self) -> u64 {
        self.index
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn owns(&self, seq: u64) -> bool {
        seq % self.count == self.index - 1
    }

    /// The first owned sequence number at or after `seq`.
    pub fn next_owned(&self, seq: u64) -> u64 {
        let want = self.index - 1;
        let have = seq % self.count;
        seq + (want + self.count - have) % self.count
    }

    /// How many owned sequence numbers lie in `start..end`.
    pub fn owned_in(&self, start: u64, end: u64) -> u64 {
        let first = self.next_owned(start);
        if first >= end {
            0
        } else {
            (end - first - 1) / self.count + 1
        }
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "{s:?} is not a shard I/N with 1 <= I <= N <= {} (e.g. 1/4)",
                Shard::MAX_COUNT
            )
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let i = i.trim().parse().map_err(|_| bad())?;
        let n = n.trim().parse().map_err(|_| bad())?;
        Shard::new(i, n).ok_or_else(bad)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `--shard` as written: a fixed shard, or the index an orchestrator gives the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardSpec {
    /// `I/N`, 1-based.
    Fixed(Shard),
    /// `env:VAR/N`: the variable `VAR` holds this worker's 0-based index, below N;
    /// the shard is index + 1 of N. N is a number or `env:VAR2` (a variable holding it).
    Env { index: String, count: Count },
}

/// The shard count of an `env:` shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Count {
    Fixed(u64),
    /// Read from this variable.
    Env(String),
}

/// Why `--shard env:…` could not be resolved in this environment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardEnvError {
    #[error(
        "--shard {spec}: the environment variable {var} is not set (it must hold this \
         worker's 0-based index, as a Kubernetes Indexed Job's JOB_COMPLETION_INDEX does)"
    )]
    Missing { spec: String, var: String },
    #[error("--shard {spec}: {var}={value:?} is not a whole number >= 0")]
    NotANumber {
        spec: String,
        var: String,
        value: String,
    },
    #[error(
        "--shard {spec}: {var}={index} is out of range: a 0-based index must be below the \
         shard count {count} (0..={last})",
        last = count - 1
    )]
    OutOfRange {
        spec: String,
        var: String,
        index: u64,
        count: u64,
    },
    #[error(
        "--shard {spec}: {var}={value:?} is not a shard count from 1 to {max}",
        max = Shard::MAX_COUNT
    )]
    BadCount {
        spec: String,
        var: String,
        value: String,
    },
}

impl ShardSpec {
    /// The shard, with `env:` variables read through `lookup` (the process environment
    /// in the binary, a map in tests).
    pub fn resolve(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Shard, ShardEnvError> {
        let (var, count) = match self {
            Self::Fixed(shard) => return Ok(*shard),
            Self::Env { index, count } => (index, count),
        };
        let spec = self.to_string();
        let read = |var: &str| {
            lookup(var).ok_or_else(|| ShardEnvError::Missing {
                spec: spec.clone(),
                var: var.to_owned(),
            })
        };
        let count = match count {
            Count::Fixed(n) => *n,
            Count::Env(v) => {
                let value = read(v)?;
                value
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=Shard::MAX_COUNT).contains(n))
                    .ok_or_else(|| ShardEnvError::BadCount {
                        spec: spec.clone(),
                        var: v.clone(),
                        value,
                    })?
            }
        };
        let value = read(var)?;
        let index = value
            .trim()
            .parse::<u64>()
            .map_err(|_| ShardEnvError::NotANumber {
                spec: spec.clone(),
                var: var.clone(),
                value: value.clone(),
            })?;
        Shard::new(index.saturating_add(1), count).ok_or(ShardEnvError::OutOfRange {
            spec,
            var: var.clone(),
            index,
            count,
        })
    }
}

/// An environment variable's name as POSIX shells allow it: `[A-Za-z_][A-Za-z0-9_]*`.
fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl FromStr for ShardSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some(rest) = s.strip_prefix("env:") else {
            return s.parse().map(Self::Fixed);
        };
        let bad = |why: &str| {
            format!(
                "{s:?} is not a shard env:VAR/N ({why}); e.g. env:JOB_COMPLETION_INDEX/16, \
                 where VAR holds a 0-based index and N is a number from 1 to {} or env:VAR2",
                Shard::MAX_COUNT
            )
        };
        let (var, count) = rest.split_once('/').ok_or_else(|| bad("no /N"))?;
        if !is_var_name(var) {
            return Err(bad("VAR is not a variable name"));
        }
        let count = match count.strip_prefix("env:") {
            Some(v) if is_var_name(v) => Count::Env(v.to_owned()),
            Some(_) => return Err(bad("the variable after /env: is not a variable name")),
            None => Count::Fixed(
                count
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| (1..=Shard::MAX_COUNT).contains(n))
                    .ok_or_else(|| bad("N is not a shard count"))?,
            ),
        };
        Ok(Self::Env {
            index: var.to_owned(),
            count,
        })
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(shard) => shard.fmt(f),
            Self::Env {
                index,
                count: Count::Fixed(n),
            } => write!(f, "env:{index}/{n}"),
            Self::Env {
                index,
                count: Count::Env(v),
            } => write!(f, "env:{index}/env:{v}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_and_reject() {
        assert_eq!("2/4".parse::<Shard>().unwrap(), Shard::new(2, 4).unwrap());
        for bad in [
            "0/4", "5/4", "1/0", "x/2", "3", "", "-1/4", "1/-4", "NaN/4", "1/4/4",
        ] {
            assert!(bad.parse::<Shard>().is_err(), "{bad} must be rejected");
        }
    }

    #[test]
    fn a_shard_count_near_u64_max_is_refused_instead_of_wrapping() {
        let err = "2/18446744073709551615".parse::<Shard>().unwrap_err();
        assert!(err.contains("N <= 1000000"), "{err}");
        assert!("1/1000001".parse::<Shard>().is_err());
        let last = Shard::new(Shard::MAX_COUNT, Shard::MAX_COUNT).unwrap();
        // Stepping by the largest count from the largest sequence a run can reach
        // stays in range.
        assert_eq!(
            last.next_owned(u64::MAX - Shard::MAX_COUNT * 2) % Shard::MAX_COUNT,
            Shard::MAX_COUNT - 1
        );
        assert_eq!(last.owned_in(0, Shard::MAX_COUNT), 1);
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn env_shards_read_a_zero_based_index() {
        let spec: ShardSpec = "env:JOB_COMPLETION_INDEX/16".parse().unwrap();
        assert_eq!(spec.to_string(), "env:JOB_COMPLETION_INDEX/16");
        let at = |i: &str| spec.resolve(&env(&[("JOB_COMPLETION_INDEX", i)]));
        assert_eq!(at("0").unwrap(), Shard::new(1, 16).unwrap());
        assert_eq!(at("15").unwrap(), Shard::new(16, 16).unwrap());
        assert_eq!(at(" 3\n").unwrap(), Shard::new(4, 16).unwrap());
        let fixed: ShardSpec = "3/4".parse().unwrap();
        assert_eq!(fixed.resolve(&env(&[])).unwrap(), Shard::new(3, 4).unwrap());
        assert_eq!(fixed.to_string(), "3/4");
    }

    #[test]
    fn env_shard_count_may_come_from_a_variable() {
        let spec: ShardSpec = "env:AWS_BATCH_JOB_ARRAY_INDEX/env:SHARDS".parse().unwrap();
        assert_eq!(spec.to_string(), "env:AWS_BATCH_JOB_ARRAY_INDEX/env:SHARDS");
        let got = spec.resolve(&env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "2"), ("SHARDS", "3")]));
        assert_eq!(got.unwrap(), Shard::new(3, 3).unwrap());
        for bad in ["0", "-1", "x", "", "1000001", "18446744073709551616"] {
            let err = spec
                .resolve(&env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "0"), ("SHARDS", bad)]))
                .unwrap_err();
            assert!(
                matches!(err, ShardEnvError::BadCount { .. }),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains("SHARDS"), "{err}");
        }
    }

    #[test]
    fn env_shard_errors_name_the_variable_and_the_range() {
        let spec: ShardSpec = "env:JOB_COMPLETION_INDEX/16".parse().unwrap();
        let missing = spec.resolve(&env(&[])).unwrap_err();
        assert!(matches!(missing, ShardEnvError::Missing { .. }));
        assert!(
            missing
                .to_string()
                .contains("JOB_COMPLETION_INDEX is not set"),
            "{missing}"
        );
        for (value, range) in [
            ("16", true),
            ("18446744073709551615", true),
            ("-1", false),
            ("1.5", false),
            ("NaN", false),
            ("", false),
            ("0x3", false),
        ] {
            let err = spec
                .resolve(&env(&[("JOB_COMPLETION_INDEX", value)]))
                .unwrap_err();
            if range {
                assert!(
                    matches!(err, ShardEnvError::OutOfRange { .. }),
                    "{value}: {err}"
                );
                assert!(err.to_string().contains("0..=15"), "{err}");
            } else {
                assert!(
                    matches!(err, ShardEnvError::NotANumber { .. }),
                    "{value}: {err}"
                );
            }
            assert!(err.to_string().contains("JOB_COMPLETION_INDEX"), "{err}");
        }
    }

    #[test]
    fn malformed_env_shards_are_refused_at_parse_time() {
        for bad in [
            "env:",
            "env:/4",
            "env:X",
            "env:X/",
            "env:X/0",
            "env:X/-1",
            "env:X/1000001",
            "env:1X/4",
            "env:A-B/4",
            "env:X/env:",
            "env:X/env:9",
            "env:X/4/4",
            "env:X/NaN",
        ] {
            let err = bad.parse::<ShardSpec>().unwrap_err();
            assert!(err.contains("env:VAR/N"), "{bad}: {err}");
        }
    }

    proptest! {
        #[test]
        fn shard_specs_never_panic_and_round_trip(s in "(env:)?[A-Z_0-9/: -]{0,24}") {
            if let Ok(spec) = s.parse::<ShardSpec>() {
                prop_assert_eq!(spec.to_string().parse::<ShardSpec>().unwrap(), spec);
            }
        }

        #[test]
        fn shards_partition_the_stream(n in 1u64..9, start in 0u64..1000, len in 0u64..200) {
            let end = start + len;
            let mut seen = vec![0u32; len as usize];
            for i in 1..=n {
                let shard = Shard::new(i, n).unwrap();
                let mut s = shard.next_owned(start);
                let mut count = 0;
                while s < end {
                    prop_assert!(shard.owns(s));
                    seen[(s - start) as usize] += 1;
                    count += 1;
                    s += n;
                }
                prop_assert_eq!(count, shard.owned_in(start, end));
            }
            prop_assert!(seen.iter().all(|&c| c == 1));
        }
    }
}
