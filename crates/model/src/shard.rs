//! `--shard I/N`: one of N disjoint slices of a run's logical stream.
//!
//! Shard I (1-based) owns the events whose sequence number is I−1 modulo N. The N
//! shards together emit exactly the unsharded stream (same ids, same draws), each
//! at 1/N of the rate, so N processes on N machines never overlap.

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

    /// Shard `index` (1-based) of `count`.
    pub fn new(index: u64, count: u64) -> Option<Self> {
        (count >= 1 && (1..=count).contains(&index)).then_some(Self { index, count })
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
        let bad = || format!("{s:?} is not a shard I/N with 1 <= I <= N (e.g. 1/4)");
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_and_reject() {
        assert_eq!("2/4".parse::<Shard>().unwrap(), Shard::new(2, 4).unwrap());
        for bad in ["0/4", "5/4", "1/0", "x/2", "3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad} must be rejected");
        }
    }

    proptest! {
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
