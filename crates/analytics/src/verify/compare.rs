//! The comparison itself, with no I/O: the manifest, what the lake holds and (when the
//! model was regenerated) the exact ids per hour, in; per-hour findings out.
//!
//! Per hour partition it checks, against the manifest: valid events (distinct ids);
//! the breakdowns by event type, group, funnel step and distinct users; rows whose
//! event time is outside the partition; ids with more rows than the injected
//! duplicates explain; and, with the model, which ids are missing or should not be
//! there. The labelled faults are judged in [`super::faults`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use csgen_model::Manifest;
use csgen_model::realistic::{HourTruth, PAGES};

use super::expect::Expected;
use super::findings::{Diff, EXAMPLES, Example, Finding, HourReport};
use super::hour;
use super::ids::LakeIds;
use super::observe::{HourCounts, Observed};

/// Everything the comparison looks at.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub manifest: &'a Manifest,
    pub observed: &'a Observed,
    pub ids: &'a LakeIds,
    pub expected: Option<&'a Expected>,
}

/// The hours that differ from the manifest, in order.
pub fn hours(i: Inputs<'_>) -> Vec<HourReport> {
    let keys: BTreeSet<&String> = i
        .manifest
        .hours
        .keys()
        .chain(i.observed.hours.keys())
        .collect();
    let duplicates = unexpected_duplicates(i.manifest, i.observed);
    let by_hour = i.expected.map(|_| lake_ids_by_hour(i.ids));
    let none = HourCounts::default();
    let mut out = Vec::new();
    for key in keys {
        let truth = i.manifest.hours.get(key).cloned().unwrap_or_default();
        let seen = i.observed.hours.get(key).unwrap_or(&none);
        let mut findings = counts(&truth, seen);
        if let Some(m) = i.observed.misplaced.get(key) {
            findings.push(Finding::Misplaced {
                count: m.count,
                examples: m
                    .examples
                    .iter()
                    .map(|(id, at)| Example::with_note(id, format!("event time in {at}")))
                    .collect(),
            });
        }
        if let Some(f) = duplicates.get(key.as_str()) {
            findings.push(f.clone());
        }
        if let (Some(expected), Some(by_hour)) = (i.expected, &by_hour) {
            findings.extend(id_findings(key, expected, i.ids, by_hour));
        } else if let Some((count, examples)) = i.ids.foreign.get(key) {
            findings.push(foreign(*count, examples));
        }
        if !findings.is_empty() {
            out.push(HourReport {
                hour: key.clone(),
                expected: truth.events,
                found: seen.events,
                rows: seen.rows,
                findings,
            });
        }
    }
    out
}

/// Event count and breakdowns against the manifest's hour.
fn counts(truth: &HourTruth, seen: &HourCounts) -> Vec<Finding> {
    let mut out = Vec::new();
    if truth.events != seen.events {
        out.push(Finding::EventCount {
            expected: truth.events,
            found: seen.events,
        });
    }
    let funnel: BTreeMap<String, u64> = PAGES
        .iter()
        .map(|p| (p.event_type().to_owned(), truth.funnel.get(*p)))
        .collect();
    let users = |n| BTreeMap::from([("distinct".to_owned(), n)]);
    let revenue: BTreeMap<String, u64> = truth
        .revenue
        .iter()
        .map(|(k, v)| (k.clone(), u64::try_from(*v).unwrap_or(u64::MAX)))
        .collect();
    let breakdowns = [
        ("event_type", &truth.by_type, &seen.by_type),
        ("group", &truth.by_group, &seen.by_group),
        ("funnel", &funnel, &seen.funnel),
        ("users", &users(truth.distinct_users), &users(seen.users)),
        ("orders", &truth.orders, &seen.orders),
        ("revenue (minor units)", &revenue, &seen.revenue),
    ];
    for (of, expected, found) in breakdowns {
        let diffs = diff(expected, found);
        if !diffs.is_empty() {
            out.push(Finding::Breakdown {
                of: of.to_owned(),
                diffs,
            });
        }
    }
    out
}

/// Keys whose counts differ (a missing key counts 0).
pub fn diff(expected: &BTreeMap<String, u64>, found: &BTreeMap<String, u64>) -> Vec<Diff> {
    let keys: BTreeSet<&String> = expected.keys().chain(found.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (e, f) = (
                expected.get(k).copied().unwrap_or(0),
                found.get(k).copied().unwrap_or(0),
            );
            (e != f).then(|| Diff {
                key: k.clone(),
                expected: e,
                found: f,
            })
        })
        .collect()
}

/// Per partition: ids with more rows than 1 + their listed duplicate copies.
fn unexpected_duplicates(manifest: &Manifest, observed: &Observed) -> HashMap<String, Finding> {
    let mut allowed: HashMap<&str, u64> = HashMap::new();
    for id in &manifest.faults.duplicate.event_ids {
        *allowed.entry(id.as_str()).or_insert(1) += 1;
    }
    let mut out: HashMap<String, Finding> = HashMap::new();
    for r in &observed.repeated {
        let allow = allowed.get(r.id.as_str()).copied().unwrap_or(1);
        let rows = r.rows();
        if rows <= allow {
            continue;
        }
        // Charged to the partition with the most copies.
        let (part, _) = r.partitions.iter().max_by_key(|p| p.1).expect("a row");
        let f = out
            .entry(part.clone())
            .or_insert(Finding::UnexpectedDuplicates {
                ids: 0,
                extra_rows: 0,
                examples: Vec::new(),
            });
        if let Finding::UnexpectedDuplicates {
            ids,
            extra_rows,
            examples,
        } = f
        {
            *ids += 1;
            *extra_rows += rows - allow;
            if examples.len() < EXAMPLES {
                let copies = if allow == 1 {
                    "no copy injected".to_owned()
                } else {
                    format!("{} injected", allow - 1)
                };
                examples.push(Example::with_note(&r.id, format!("{rows} rows, {copies}")));
            }
        }
    }
    out
}

/// The lake's run ids per partition hour, each list sorted.
fn lake_ids_by_hour(ids: &LakeIds) -> BTreeMap<i64, Vec<u64>> {
    let mut out: BTreeMap<i64, Vec<u64>> = BTreeMap::new();
    for e in &ids.events {
        out.entry(i64::from(e.hour)).or_default().push(e.lo);
    }
    out
}

/// Missing and unexpected ids of one hour, against the regenerated model.
fn id_findings(
    key: &str,
    expected: &Expected,
    ids: &LakeIds,
    by_hour: &BTreeMap<i64, Vec<u64>>,
) -> Vec<Finding> {
    let Some(h) = hour::index(key) else {
        return Vec::new();
    };
    let empty = Vec::new();
    let found = by_hour.get(&h).unwrap_or(&empty);
    let want = expected.hours.get(&h);
    let valid = want.map_or(&empty, |w| &w.valid);
    let mut out = Vec::new();
    if want.is_some_and(|w| w.complete) {
        let missing = minus(valid, found);
        if !missing.is_empty() {
            out.push(Finding::MissingIds {
                count: missing.len() as u64,
                examples: missing
                    .iter()
                    .take(EXAMPLES)
                    .map(|&lo| {
                        let elsewhere: Vec<String> = ids.hours_of(lo).map(hour::key).collect();
                        match elsewhere.is_empty() {
                            true => Example::with_note(ids.id(lo), "not in the lake"),
                            false => Example::with_note(
                                ids.id(lo),
                                format!("found in {}", elsewhere.join(", ")),
                            ),
                        }
                    })
                    .collect(),
            });
        }
    }
    let unexpected = minus(found, valid);
    let no_examples = Vec::new();
    let (foreign, foreign_examples) = ids
        .foreign
        .get(key)
        .map_or((0, &no_examples), |(n, ex)| (*n, ex));
    if !unexpected.is_empty() || foreign > 0 {
        let mut examples: Vec<Example> = unexpected
            .iter()
            .take(EXAMPLES)
            .map(|&lo| match expected.hour_of(lo) {
                Some(other) => {
                    Example::with_note(ids.id(lo), format!("belongs to {}", hour::key(other)))
                }
                None => Example::with_note(ids.id(lo), "not an event of this run"),
            })
            .collect();
        examples.extend(
            foreign_examples
                .iter()
                .take(EXAMPLES.saturating_sub(examples.len()))
                .map(|id| Example::with_note(id, "not an event id of this run")),
        );
        out.push(Finding::UnexpectedIds {
            count: unexpected.len() as u64 + foreign,
            examples,
        });
    }
    out
}

fn foreign(count: u64, examples: &[String]) -> Finding {
    Finding::UnexpectedIds {
        count,
        examples: examples
            .iter()
            .map(|id| Example::with_note(id, "not an event id of this run"))
            .collect(),
    }
}

/// Elements of sorted `a` not in sorted `b`.
pub fn minus(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::new();
    let mut j = 0;
    for &x in a {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        if j >= b.len() || b[j] != x {
            out.push(x);
        }
    }
    out
}
