//! The report as text for a terminal: a verdict first, then per hour what is wrong
//! with a few example ids, the run-wide findings, how the faults came through and the
//! distribution tests. (`--json` serialises the [`Report`] instead.)

use std::fmt::Write as _;

use super::findings::{ChiSquare, Diff, Example, Finding, Report};

/// Breakdown keys shown per line.
const DIFFS_SHOWN: usize = 8;

/// Renders the report.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "csgen verify: lake {} against {} (seed {}, shards {})",
        r.lake,
        r.truth,
        r.seed,
        r.shards.join(", ")
    );
    let _ = writeln!(
        w,
        "{} hours: {} events expected, {} found in {} rows; {}",
        r.hours,
        r.expected_events,
        r.found_events,
        r.rows,
        if r.model_checked {
            "ids and distributions checked against the regenerated model"
        } else {
            "counts checked (ids and distributions need --config)"
        }
    );
    let _ = writeln!(w);
    if r.passed() {
        let _ = writeln!(
            w,
            "PASSED: the lake preserved every event of the ground truth"
        );
    } else {
        let failed_tests = r.distributions.iter().filter(|t| !t.passed).count();
        let mut what = Vec::new();
        if !r.failed_hours.is_empty() {
            what.push(format!(
                "{} of {} hours differ",
                r.failed_hours.len(),
                r.hours
            ));
        }
        if !r.findings.is_empty() {
            what.push(plural(r.findings.len(), "run-wide finding"));
        }
        if failed_tests > 0 {
            what.push(plural(failed_tests, "failed distribution test"));
        }
        let _ = writeln!(w, "FAILED: {}", what.join(", "));
    }
    for h in &r.failed_hours {
        let _ = writeln!(w);
        let _ = writeln!(
            w,
            "{}: expected {} events, found {} ({:+}) in {} rows",
            h.hour,
            h.expected,
            h.found,
            h.found as i64 - h.expected as i64,
            h.rows
        );
        for f in &h.findings {
            let _ = writeln!(w, "  - {}", finding(f));
        }
    }
    if !r.findings.is_empty() {
        let _ = writeln!(w, "\nrun-wide:");
        for f in &r.findings {
            let _ = writeln!(w, "  - {}", finding(f));
        }
    }
    if !r.faults.is_empty() {
        let _ = writeln!(w, "\nlabelled faults:");
        for f in &r.faults {
            let _ = writeln!(w, "  {:<13}{:>6} listed: {}", f.fault, f.listed, f.outcome);
        }
    }
    if !r.distributions.is_empty() {
        let alpha = r.distributions[0].alpha;
        let _ = writeln!(w, "\ndistributions (Pearson chi-square, alpha {alpha}):");
        for t in &r.distributions {
            let _ = writeln!(w, "  {}", test(t));
        }
    }
    if !r.notes.is_empty() {
        let _ = writeln!(w, "\nnotes:");
        for n in &r.notes {
            let _ = writeln!(w, "  - {n}");
        }
    }
    out
}

fn finding(f: &Finding) -> String {
    match f {
        Finding::EventCount { expected, found } => {
            format!("events: expected {expected}, found {found}")
        }
        Finding::Breakdown { of, diffs } if of == "users" => match &diffs[..] {
            [d] => format!(
                "distinct users: {} -> {} ({:+})",
                d.expected,
                d.found,
                d.found as i64 - d.expected as i64
            ),
            _ => format!("users: {}", diff_list(diffs)),
        },
        Finding::Breakdown { of, diffs } => format!("by {of}: {}", diff_list(diffs)),
        Finding::MissingIds { count, examples } => {
            format!("missing ids: {count}{}", eg(examples))
        }
        Finding::UnexpectedIds { count, examples } => {
            format!("ids that do not belong here: {count}{}", eg(examples))
        }
        Finding::Misplaced { count, examples } => {
            format!("rows outside the partition's hour: {count}{}", eg(examples))
        }
        Finding::UnexpectedDuplicates {
            ids,
            extra_rows,
            examples,
        } => format!(
            "unexpected duplicates: {ids} ids with {extra_rows} extra rows{}",
            eg(examples)
        ),
        Finding::FaultNotPreserved {
            fault,
            listed,
            missing,
            misplaced,
            examples,
        } => format!(
            "{fault} events not preserved: of {listed} listed, {missing} missing and \
             {misplaced} in the wrong partition{}",
            eg(examples)
        ),
        Finding::MalformedLoaded { count, examples } => format!(
            "malformed records loaded as events: {count}{}",
            eg(examples)
        ),
        Finding::MalformedLost { count, examples } => format!(
            "malformed records neither events nor dead letters: {count}{}",
            eg(examples)
        ),
    }
}

fn diff_list(diffs: &[Diff]) -> String {
    let mut parts: Vec<String> = diffs
        .iter()
        .take(DIFFS_SHOWN)
        .map(|d| {
            format!(
                "{}: {} -> {} ({:+})",
                d.key,
                d.expected,
                d.found,
                d.found as i64 - d.expected as i64
            )
        })
        .collect();
    if diffs.len() > DIFFS_SHOWN {
        parts.push(format!("and {} more", diffs.len() - DIFFS_SHOWN));
    }
    parts.join(", ")
}

/// `1 thing`, `2 things`.
fn plural(n: usize, thing: &str) -> String {
    match n {
        1 => format!("1 {thing}"),
        n => format!("{n} {thing}s"),
    }
}

/// `, e.g. ID (note), ID`.
fn eg(examples: &[Example]) -> String {
    if examples.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = examples
        .iter()
        .map(|e| match &e.note {
            Some(note) => format!("{} ({note})", e.id),
            None => e.id.clone(),
        })
        .collect();
    format!(", e.g. {}", shown.join(", "))
}

fn test(t: &ChiSquare) -> String {
    let verdict = if t.passed { "ok  " } else { "FAIL" };
    let mut line = format!(
        "{verdict} {}: chi2 {:.2}, df {}, p {:.4} (n {})",
        t.name, t.statistic, t.df, t.p_value, t.n
    );
    if let Some(note) = &t.note {
        let _ = write!(line, "; {note}");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::findings::{FaultSummary, HourReport};

    fn report() -> Report {
        Report {
            lake: "./lake".into(),
            truth: "truth.json".into(),
            seed: 7,
            shards: vec!["1/1".into()],
            hours: 3,
            expected_events: 1712,
            found_events: 1205,
            rows: 1216,
            model_checked: true,
            failed_hours: vec![HourReport {
                hour: "2026-11-02T01".into(),
                expected: 507,
                found: 0,
                rows: 0,
                findings: vec![
                    Finding::EventCount {
                        expected: 507,
                        found: 0,
                    },
                    Finding::Breakdown {
                        of: "group".into(),
                        diffs: vec![Diff {
                            key: "1".into(),
                            expected: 70,
                            found: 0,
                        }],
                    },
                    Finding::MissingIds {
                        count: 507,
                        examples: vec![Example::with_note("b414-01", "not in the lake")],
                    },
                ],
            }],
            findings: vec![Finding::MalformedLoaded {
                count: 1,
                examples: vec![Example::new("b414-02")],
            }],
            faults: vec![FaultSummary {
                fault: "late".into(),
                listed: 2,
                outcome: "all in the lake".into(),
            }],
            distributions: vec![ChiSquare {
                name: "group of group_view events ~ groups[].list_share".into(),
                n: 300,
                statistic: 0.5,
                df: 1,
                p_value: 0.4795,
                alpha: 0.001,
                passed: true,
                note: None,
                cells: Vec::new(),
            }],
            notes: vec!["hour 2026-11-01T23 was emitted in part".into()],
        }
    }

    #[test]
    fn a_failed_report_reads_well() {
        insta::assert_snapshot!(render(&report()));
    }

    #[test]
    fn a_passed_report_says_so_first() {
        let mut r = report();
        r.failed_hours.clear();
        r.findings.clear();
        let text = render(&r);
        assert!(
            text.lines()
                .nth(3)
                .unwrap()
                .starts_with("PASSED: the lake preserved every event"),
            "{text}"
        );
    }
}
