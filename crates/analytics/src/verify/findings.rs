//! What verify found: the report's data, serialisable for `--json`.
//!
//! A [`Report`] holds one [`HourReport`] per hour partition that differs from the
//! ground truth, the run-wide findings (faults, dead letters, ids from elsewhere), and
//! the distribution tests. [`Report::passed`] is the verdict: no finding and no
//! failed test.

use serde::Serialize;

/// Ids shown per finding; the count says how many there are in all.
pub const EXAMPLES: usize = 3;

/// The whole verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The lake as named on the command line.
    pub lake: String,
    /// The manifest file.
    pub truth: String,
    pub seed: u64,
    pub shards: Vec<String>,
    /// Hours of the manifest and partitions of the lake, together.
    pub hours: usize,
    /// Valid events of the manifest.
    pub expected_events: u64,
    /// Distinct event ids in the lake (per partition, summed).
    pub found_events: u64,
    /// Rows in the lake: distinct ids plus extra copies.
    pub rows: u64,
    /// Whether the model was regenerated (`--config`): ids and distributions checked.
    pub model_checked: bool,
    /// The hours that differ, in order.
    pub failed_hours: Vec<HourReport>,
    /// Run-wide problems.
    pub findings: Vec<Finding>,
    /// How the labelled faults came through (informational; problems are findings).
    pub faults: Vec<FaultSummary>,
    pub distributions: Vec<ChiSquare>,
    /// What was not checked, and why.
    pub notes: Vec<String>,
}

impl Report {
    /// True when the lake preserved everything the manifest describes.
    pub fn passed(&self) -> bool {
        self.failed_hours.is_empty()
            && self.findings.is_empty()
            && self.distributions.iter().all(|t| t.passed)
    }

    /// Pretty JSON with the verdict first: `{"passed": …, "lake": …, …}`.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Verdict<'a> {
            passed: bool,
            #[serde(flatten)]
            report: &'a Report,
        }
        let verdict = Verdict {
            passed: self.passed(),
            report: self,
        };
        serde_json::to_string_pretty(&verdict).expect("a report always serialises")
    }
}

/// One hour partition that differs from the ground truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourReport {
    /// `YYYY-MM-DDTHH`.
    pub hour: String,
    /// Valid events of the manifest for the hour.
    pub expected: u64,
    /// Distinct event ids in the partition.
    pub found: u64,
    /// Rows in the partition.
    pub rows: u64,
    pub findings: Vec<Finding>,
}

/// One problem, with a count and a few example ids.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// The partition's distinct events differ from the manifest's valid events.
    EventCount { expected: u64, found: u64 },
    /// A breakdown differs (`event_type`, `group`, `funnel` sessions, `users`).
    Breakdown { of: String, diffs: Vec<Diff> },
    /// Events the model generated for this hour that the lake does not have here.
    MissingIds { count: u64, examples: Vec<Example> },
    /// Events in this partition that the model did not generate for this hour.
    UnexpectedIds { count: u64, examples: Vec<Example> },
    /// Rows whose `event_time` is outside their partition's hour.
    Misplaced { count: u64, examples: Vec<Example> },
    /// Ids with more rows than the injected copies explain.
    UnexpectedDuplicates {
        ids: u64,
        extra_rows: u64,
        examples: Vec<Example>,
    },
    /// Listed late or out-of-order events that are missing or not in the partition of
    /// their event time.
    FaultNotPreserved {
        fault: String,
        listed: u64,
        missing: u64,
        misplaced: u64,
        examples: Vec<Example>,
    },
    /// Malformed records that the lake holds as events.
    MalformedLoaded { count: u64, examples: Vec<Example> },
    /// Malformed records that are neither events nor dead letters.
    MalformedLost { count: u64, examples: Vec<Example> },
}

/// One key of a breakdown: expected vs found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub key: String,
    pub expected: u64,
    pub found: u64,
}

/// An example id and what is known about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Example {
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            note: None,
        }
    }

    pub fn with_note(id: impl Into<String>, note: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            note: Some(note.into()),
        }
    }
}

/// How one kind of labelled fault came through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaultSummary {
    /// `duplicate`, `late`, `out_of_order`, `malformed`.
    pub fault: String,
    /// Listed in the manifest.
    pub listed: u64,
    /// What became of them, in words (`11 second copies kept`, `all in place`, …).
    pub outcome: String,
}

/// A Pearson chi-square goodness-of-fit test of lake counts against the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChiSquare {
    /// What is tested, e.g. `group_view groups ~ groups[].list_share`.
    pub name: String,
    /// Observations tested.
    pub n: u64,
    pub statistic: f64,
    pub df: u64,
    pub p_value: f64,
    pub alpha: f64,
    pub passed: bool,
    /// Why the test failed without a p-value (counts where the model allows none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub cells: Vec<Cell>,
}

/// One category of a test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub label: String,
    pub observed: u64,
    pub expected: f64,
}
