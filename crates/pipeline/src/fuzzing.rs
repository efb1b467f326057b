//! Entry points for fuzzing the pipeline's readers: raw records (the one-pass JSON
//! scanner against serde, then the whole enrich stage and its dead letters), click
//! URLs (the one-pass reader against the general parser) and lake checkpoints.
//!
//! The `cargo fuzz` targets in `fuzz/` and the test suite's property tests and corpus
//! replay (`tests/it/fuzz.rs`) call these same functions, so they cannot drift apart.
//! Each takes arbitrary bytes and panics when an invariant breaks; see
//! [`csgen_model::fuzzing`] for the model's parsers and the shared [`Outcome`].

use std::sync::OnceLock;

use csgen_model::StoreConfig;
pub use csgen_model::fuzzing::Outcome;

use crate::dead_letter::DeadLetter;
use crate::enrich::{EnrichOptions, Enricher, Position};
use crate::lake::Checkpoint;
use crate::raw::{self, RawClick};
use crate::reason::Reason;
use crate::time;

/// Most records of one input the raw entry point reads (libFuzzer's inputs are a few
/// KiB; a proptest's may be longer).
const MAX_RECORDS: usize = 256;
/// The longest a reason's text may be, whatever the record: reasons are counted,
/// logged and written into every dead letter, so they quote input only in part.
const MAX_REASON_BYTES: usize = 4096;
/// Arrival time of the fuzzed records, Unix ms (2026-11-23).
const ARRIVAL_MS: i64 = 1_795_400_000_000;

/// The default store (built once: every input is enriched against it).
fn store() -> &'static StoreConfig {
    static STORE: OnceLock<StoreConfig> = OnceLock::new();
    STORE.get_or_init(StoreConfig::defaults)
}

/// A file of raw records, one per `\n`-terminated line, as `csgen enrich` reads it.
/// Every record: where the one-pass scanner takes a JSON record, serde takes it too
/// and reads the same fields; the enricher (one for the whole input, so sessions span
/// records) gives an event whose time is in the lake's range, or a reason of bounded
/// length whose dead letter is one JSON line that keeps the record losslessly.
pub fn raw_records(data: &[u8]) -> Outcome {
    let mut enricher = Enricher::new(store(), &EnrichOptions::default());
    let mut outcome = Outcome::Rejected;
    let mut offset = 0u64;
    for (i, record) in data.split(|&b| b == b'\n').take(MAX_RECORDS).enumerate() {
        fast_agrees_with_serde(record);
        let pos = Position {
            line: i as u64 + 1,
            offset,
            arrival_ms: ARRIVAL_MS,
        };
        offset += record.len() as u64 + 1;
        match enricher.enrich(record, pos) {
            Ok(event) => {
                outcome = Outcome::Accepted;
                assert!(
                    (time::MIN_MS..=time::MAX_MS).contains(&event.event_time_ms),
                    "event time {} out of range",
                    event.event_time_ms
                );
                assert!(!event.event_id.is_empty());
            }
            Err(reason) => dead_letter_keeps(&reason, pos, record),
        }
    }
    outcome
}

/// Where [`raw::fast::parse`] answers for a record, serde answers the same.
fn fast_agrees_with_serde(record: &[u8]) {
    let Ok(text) = std::str::from_utf8(record) else {
        return;
    };
    // As `raw::parse` trims before choosing a reader.
    let text = text.trim_matches([' ', '\t', '\r']);
    if !text.starts_with('{') {
        return;
    }
    if let Some(fast) = raw::fast::parse(text) {
        match serde_json::from_str::<RawClick<'_>>(text) {
            Ok(slow) => assert_eq!(fast, slow, "the readers disagree on {text:?}"),
            Err(e) => panic!("the fast reader took {text:?}, serde says {e}"),
        }
    }
}

/// A reason's text is bounded, and its dead letter is one JSON line holding the
/// record's bytes (as text, or base64 when they are not UTF-8).
fn dead_letter_keeps(reason: &Reason, pos: Position, record: &[u8]) {
    bounded(reason);
    let mut line = Vec::new();
    DeadLetter::new(reason, "fuzz", pos, record).write_line(&mut line);
    assert_eq!(
        line.iter().position(|&b| b == b'\n'),
        Some(line.len() - 1),
        "a dead letter is one line"
    );
    let letter: serde_json::Value = serde_json::from_slice(&line).expect("a dead letter is JSON");
    assert_eq!(letter["reason_code"], reason.code());
    match std::str::from_utf8(record) {
        Ok(text) => assert_eq!(letter["raw"], text),
        Err(_) => assert!(letter["raw_base64"].is_string(), "{letter}"),
    }
}

/// A reason quotes its input only in part, whatever the input's length.
fn bounded(reason: &Reason) {
    let said = reason.to_string();
    assert!(
        said.len() <= MAX_REASON_BYTES,
        "a {}-byte reason",
        said.len()
    );
}

/// A click URL through [`crate::url::parse`]: where the one-pass reader answers, the
/// general parser answers the same, and a refusal's reason is of bounded length.
pub fn url(data: &[u8]) -> Outcome {
    // URLs reach the parser as text out of a record (raw::parse checked the UTF-8).
    let text = String::from_utf8_lossy(data);
    if let Some(fast) = crate::url::canonical(&text) {
        assert_eq!(
            Ok(fast),
            crate::url::general(&text),
            "the URL readers disagree on {text:?}"
        );
    }
    match crate::url::parse(&text) {
        Ok(_) => Outcome::Accepted,
        Err(reason) => {
            bounded(&reason);
            Outcome::Rejected
        }
    }
}

/// A lake checkpoint file through [`Checkpoint::from_json`]: a refusal says why, and
/// what loads writes back to bytes that load as the same checkpoint.
pub fn checkpoint(data: &[u8]) -> Outcome {
    match Checkpoint::from_json(data) {
        Ok(cp) => {
            let again = Checkpoint::from_json(&cp.to_json());
            assert!(
                again.as_ref().is_ok_and(|again| *again == cp),
                "{cp:?} read back as {again:?}"
            );
            Outcome::Accepted
        }
        Err(e) => {
            assert!(!e.to_string().is_empty(), "a refusal without a reason");
            Outcome::Rejected
        }
    }
}
