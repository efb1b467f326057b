//! How the manifest's labelled faults came through the pipeline, id by id.
//!
//! - duplicates: the lake may keep a copy or drop it (both are correct); more rows
//!   than the copies are reported per hour by [`super::compare`];
//! - late and out-of-order events must be in the lake, and (with the model, which
//!   knows each one's event time) in the partition of their event time, not of their
//!   arrival; without the model the row's own `event_time` is checked against its
//!   partition for every row, these included;
//! - malformed records must not be events, and should be dead letters.

use std::collections::HashMap;

use csgen_model::Manifest;

use super::dead::DeadLetters;
use super::expect::Expected;
use super::findings::{EXAMPLES, Example, FaultSummary, Finding};
use super::hour;
use super::ids::LakeIds;
use super::observe::Observed;

/// Summaries of every fault kind, and the findings among them.
pub fn faults(
    manifest: &Manifest,
    observed: &Observed,
    ids: &LakeIds,
    expected: Option<&Expected>,
    dead: &DeadLetters,
) -> (Vec<FaultSummary>, Vec<Finding>) {
    let f = &manifest.faults;
    let mut summaries = vec![duplicates(&f.duplicate.event_ids, observed)];
    let mut findings = Vec::new();
    for (name, list) in [("late", &f.late), ("out_of_order", &f.out_of_order)] {
        let (summary, finding) = delayed(name, &list.event_ids, ids, expected);
        summaries.push(summary);
        findings.extend(finding);
    }
    let (summary, found) = malformed(&f.malformed.event_ids, ids, dead);
    summaries.push(summary);
    findings.extend(found);
    (summaries, findings)
}

fn duplicates(listed: &[String], observed: &Observed) -> FaultSummary {
    let rows: HashMap<&str, u64> = observed
        .repeated
        .iter()
        .map(|r| (r.id.as_str(), r.rows()))
        .collect();
    let mut copies: HashMap<&str, u64> = HashMap::new();
    for id in listed {
        *copies.entry(id).or_default() += 1;
    }
    let kept: u64 = copies
        .iter()
        .map(|(id, n)| rows.get(id).map_or(0, |r| (r - 1).min(*n)))
        .sum();
    let n = listed.len() as u64;
    let outcome = match kept {
        _ if n == 0 => "none injected".to_owned(),
        k if k == n => "every copy kept in the lake (a pipeline may keep or drop them)".to_owned(),
        0 => "every copy dropped (deduplicated)".to_owned(),
        k => format!("{k} copies kept in the lake, {} dropped", n - k),
    };
    FaultSummary {
        fault: "duplicate".to_owned(),
        listed: n,
        outcome,
    }
}

/// Late or out-of-order events: present, and in the partition of their event time.
fn delayed(
    name: &str,
    listed: &[String],
    ids: &LakeIds,
    expected: Option<&Expected>,
) -> (FaultSummary, Option<Finding>) {
    let (mut missing, mut misplaced) = (0, 0);
    let mut examples = Vec::new();
    for id in listed {
        let Some(lo) = ids.lo_of(id) else {
            missing += 1;
            push(&mut examples, Example::with_note(id, "not in the lake"));
            continue;
        };
        let found: Vec<i64> = ids.hours_of(lo).collect();
        let want = expected.and_then(|e| e.hour_of(lo));
        if found.is_empty() {
            missing += 1;
            push(&mut examples, Example::with_note(id, "not in the lake"));
        } else if let Some(want) = want.filter(|w| found != [*w]) {
            misplaced += 1;
            let at: Vec<String> = found.into_iter().map(hour::key).collect();
            let note = format!(
                "event time in {}, found in {}",
                hour::key(want),
                at.join(", ")
            );
            push(&mut examples, Example::with_note(id, note));
        }
    }
    let n = listed.len() as u64;
    let outcome = match (missing, misplaced, expected.is_some()) {
        (0, 0, true) => "all in the lake, in the partition of their event time".to_owned(),
        (0, 0, false) => "all in the lake".to_owned(),
        _ => format!("{missing} missing, {misplaced} in the wrong partition"),
    };
    let summary = FaultSummary {
        fault: name.to_owned(),
        listed: n,
        outcome,
    };
    let finding = (missing + misplaced > 0).then(|| Finding::FaultNotPreserved {
        fault: name.to_owned(),
        listed: n,
        missing,
        misplaced,
        examples,
    });
    (summary, finding)
}

/// Malformed records: none loaded as events, each a dead letter.
fn malformed(listed: &[String], ids: &LakeIds, dead: &DeadLetters) -> (FaultSummary, Vec<Finding>) {
    let (mut loaded, mut lost) = (Vec::new(), Vec::new());
    for id in listed {
        let in_lake = ids
            .lo_of(id)
            .is_some_and(|lo| ids.hours_of(lo).next().is_some());
        if in_lake {
            loaded.push(id);
        } else if !dead.ids.contains(id) {
            lost.push(id);
        }
    }
    let n = listed.len() as u64;
    let dead_lettered = n - loaded.len() as u64 - lost.len() as u64;
    let summary = FaultSummary {
        fault: "malformed".to_owned(),
        listed: n,
        outcome: format!(
            "{dead_lettered} dead letters, {} loaded as events, {} lost ({} dead letters in the lake)",
            loaded.len(),
            lost.len(),
            dead.records
        ),
    };
    let examples = |list: &[&String]| {
        list.iter()
            .take(EXAMPLES)
            .map(|id| Example::new(id.as_str()))
            .collect()
    };
    let mut findings = Vec::new();
    if !loaded.is_empty() {
        findings.push(Finding::MalformedLoaded {
            count: loaded.len() as u64,
            examples: examples(&loaded),
        });
    }
    if !lost.is_empty() {
        findings.push(Finding::MalformedLost {
            count: lost.len() as u64,
            examples: examples(&lost),
        });
    }
    (summary, findings)
}

fn push(examples: &mut Vec<Example>, e: Example) {
    if examples.len() < EXAMPLES {
        examples.push(e);
    }
}
