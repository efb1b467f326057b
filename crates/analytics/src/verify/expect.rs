//! The events the model generated, regenerated from the config and the manifest's seed
//! and shards: the exact ids each hour should hold.
//!
//! A session is a pure function of (config, seed, slot, index), so walking the model's
//! stream over the manifest's hours gives every record whose event time falls in them,
//! in the order a run emits them. A run emits a contiguous stretch of that stream: the
//! records arriving from `--from` on, up to `--to` (or a `--count`/`--duration` stop).
//! The stretch is found by sliding a window of the manifest's record count along the
//! regenerated stream until its per-hour counts equal the manifest's: then the ids of
//! every hour are known exactly, even in hours the window cut (late arrivals before
//! `--from`, late records after `--to`). When no single window fits (a manifest merged
//! from some of a run's shards), an hour is known exactly only if the model has no more
//! records in it than the manifest; for the others only "is this id the model's for
//! this hour" can be asked, not "which ids are missing".

use std::collections::{BTreeMap, HashMap};

use csgen_model::realistic::Fault;
use csgen_model::{EventStream, Format, Manifest, RealisticModel, Shard};
use uuid::Uuid;

use super::hour;

/// The regenerated ids, per hour of event time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expected {
    /// High half of the run's event ids.
    pub run: u64,
    /// Per hour index, for the manifest's hours.
    pub hours: BTreeMap<i64, HourExpected>,
    /// Whether the run's window was found in the regenerated stream.
    pub window: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HourExpected {
    /// Low halves of the ids of the valid events the run emitted (or, for an hour that
    /// is not `complete`, that the model has), sorted.
    pub valid: Vec<u64>,
    /// Whether `valid` is exactly what the run emitted.
    pub complete: bool,
}

impl Expected {
    /// The hour the model put the event with id low half `lo` in, if any.
    pub fn hour_of(&self, lo: u64) -> Option<i64> {
        self.hours
            .iter()
            .find(|(_, h)| h.valid.binary_search(&lo).is_ok())
            .map(|(i, _)| *i)
    }
}

/// Why the model cannot be the one the manifest was written from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error("the manifest's format {0:?} is not json, url or url-object")]
    Format(String),
    #[error("the manifest's shard {0:?} is not I/N")]
    Shard(String),
    #[error(
        "hour {hour}: the manifest has {manifest} records, the model only {model} \
         for the whole hour"
    )]
    TooFewRecords {
        hour: String,
        manifest: u64,
        model: u64,
    },
    #[error("the manifest lists {fault} event {id}, which the model does not make {fault}")]
    Fault { fault: &'static str, id: String },
}

/// One regenerated record: id low half, slot of its hour, and whether it is a valid
/// event (not a duplicate copy, not malformed).
#[derive(Debug, Clone, Copy)]
struct Record {
    lo: u64,
    hour: u32,
    valid: bool,
}

/// Regenerates the manifest's hours with `model` (built from the run's config and the
/// manifest's seed) and checks that it reproduces the manifest.
pub fn expected(model: &RealisticModel, manifest: &Manifest) -> Result<Expected, Mismatch> {
    let format: Format = manifest
        .format
        .parse()
        .map_err(|_| Mismatch::Format(manifest.format.clone()))?;
    let hours: Vec<i64> = manifest
        .hours
        .keys()
        .filter_map(|k| hour::index(k))
        .collect();
    let want: Vec<u64> = manifest.hours.values().map(|h| h.records).collect();
    let (Some(&first), Some(&last)) = (hours.first(), hours.last()) else {
        return Ok(Expected::default());
    };
    let slot: HashMap<i64, u32> = hours
        .iter()
        .enumerate()
        .map(|(i, h)| (*h, i as u32))
        .collect();
    let shards = shards(manifest)?;
    let delay = model.config().faults.max_delay_ms() as i64 + 1;
    let end = hour::start_ms(last + 1) + delay;
    let mut run = 0;
    let mut faults: HashMap<u64, Fault> = HashMap::new();
    let mut records = Vec::new();
    let mut chunk = Vec::new();
    for &shard in &shards {
        let mut stream = EventStream::new(model, shard, hour::start_ms(first));
        let mut until = hour::start_ms(first);
        while until < end {
            until = (until + hour::start_ms(1)).min(end);
            chunk.clear();
            stream.fill_until(until, &mut chunk);
            for e in &chunk {
                let Some(&h) = slot.get(&hour::of_ms(e.ts_ms)) else {
                    continue;
                };
                let (hi, lo) = model.event_id(e).as_u64_pair();
                run = hi;
                let fault = e.fault.for_format(format);
                if fault != Fault::None {
                    faults.insert(lo, fault);
                }
                let valid = fault != Fault::DuplicateCopy && !fault.is_malformed();
                records.push(Record { lo, hour: h, valid });
            }
        }
    }
    let mut have = vec![0u64; hours.len()];
    for r in &records {
        have[r.hour as usize] += 1;
    }
    for (i, (&m, &w)) in have.iter().zip(&want).enumerate() {
        if m < w {
            return Err(Mismatch::TooFewRecords {
                hour: hour::key(hours[i]),
                manifest: w,
                model: m,
            });
        }
    }
    check_faults(manifest, run, &faults)?;

    let window = (shards.len() == 1)
        .then(|| window(&records, &want, manifest.records))
        .flatten();
    let mut out: BTreeMap<i64, HourExpected> = hours
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let complete = window.is_some() || have[i] == want[i];
            (
                *h,
                HourExpected {
                    valid: Vec::new(),
                    complete,
                },
            )
        })
        .collect();
    let emitted = match window {
        Some(start) => &records[start..start + manifest.records as usize],
        None => &records[..],
    };
    for r in emitted.iter().filter(|r| r.valid) {
        let h = out
            .get_mut(&hours[r.hour as usize])
            .expect("a manifest hour");
        h.valid.push(r.lo);
    }
    for h in out.values_mut() {
        h.valid.sort_unstable();
    }
    Ok(Expected {
        run,
        hours: out,
        window: window.is_some(),
    })
}

/// The start of the one stretch of `records` of length `n` whose per-hour counts are
/// `want`; `None` if there is none, or more than one.
fn window(records: &[Record], want: &[u64], n: u64) -> Option<usize> {
    let n = usize::try_from(n).ok().filter(|n| *n <= records.len())?;
    let mut have = vec![0u64; want.len()];
    for r in &records[..n] {
        have[r.hour as usize] += 1;
    }
    let mut off = have.iter().zip(want).filter(|(h, w)| h != w).count();
    let mut found = None;
    for start in 0..=records.len() - n {
        if off == 0 {
            if found.is_some() {
                return None;
            }
            found = Some(start);
        }
        if start + n == records.len() {
            break;
        }
        for (r, add) in [(records[start], false), (records[start + n], true)] {
            let i = r.hour as usize;
            let was = have[i] == want[i];
            have[i] = if add { have[i] + 1 } else { have[i] - 1 };
            match (was, have[i] == want[i]) {
                (true, false) => off += 1,
                (false, true) => off -= 1,
                _ => {}
            }
        }
    }
    found
}

/// The shards to regenerate: the whole stream when the manifest covers all of them.
fn shards(manifest: &Manifest) -> Result<Vec<Shard>, Mismatch> {
    let mut shards = manifest
        .shards
        .iter()
        .map(|s| s.parse::<Shard>().map_err(|_| Mismatch::Shard(s.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    shards.sort_by_key(|s| (s.count(), s.index()));
    shards.dedup();
    let whole = shards
        .first()
        .is_some_and(|s| shards.len() as u64 == s.count())
        && shards.iter().all(|s| s.count() == shards[0].count());
    Ok(if whole { vec![Shard::ALL] } else { shards })
}

/// Every fault the manifest lists must be one the model drew, of the same kind.
fn check_faults(
    manifest: &Manifest,
    run: u64,
    faults: &HashMap<u64, Fault>,
) -> Result<(), Mismatch> {
    let f = &manifest.faults;
    let lists = [
        ("duplicate", &f.duplicate.event_ids),
        ("late", &f.late.event_ids),
        ("out_of_order", &f.out_of_order.event_ids),
        ("malformed", &f.malformed.event_ids),
    ];
    for (name, ids) in lists {
        for id in ids {
            let kind = Uuid::try_parse(id)
                .ok()
                .map(|u| u.as_u64_pair())
                .filter(|(hi, _)| *hi == run)
                .and_then(|(_, lo)| faults.get(&lo));
            let same = kind.is_some_and(|k| match name {
                "malformed" => k.is_malformed(),
                _ => k.name() == name,
            });
            if !same {
                return Err(Mismatch::Fault {
                    fault: name,
                    id: id.clone(),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(hours: &[u32]) -> Vec<Record> {
        hours
            .iter()
            .enumerate()
            .map(|(i, &hour)| Record {
                lo: i as u64,
                hour,
                valid: true,
            })
            .collect()
    }

    #[test]
    fn the_window_is_the_one_stretch_with_the_manifests_hour_counts() {
        // Arrival order; hour 0 has a late record arriving among hour 1's.
        let r = records(&[0, 0, 1, 0, 1, 1, 2, 1, 2]);
        assert_eq!(window(&r, &[0, 3, 2], 5), Some(4));
        assert_eq!(window(&r, &[3, 2, 0], 5), Some(0));
        assert_eq!(window(&r, &[1, 3, 1], 5), None, "at 2 and at 3: ambiguous");
        assert_eq!(window(&r, &[0, 0, 9], 9), None, "no such stretch");
        assert_eq!(window(&r, &[1, 0, 0], 1), None, "three of them: ambiguous");
        assert_eq!(window(&r, &[0, 0, 0], 10), None, "longer than the stream");
    }
}
