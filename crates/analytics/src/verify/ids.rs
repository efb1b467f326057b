//! Every event of the lake in compact form, for the id-level checks and the
//! distribution tests: one scan of `(partition, event_id, event_type, group_id)`.
//!
//! A realistic-model event id is a UUIDv8 whose high half is the run's key and whose
//! low half is the event's key (`slot << 36 | session << 8 | index in session`, with
//! the UUID variant bits set). So an event is 16 bytes here — low half, hour, page,
//! group — and consecutive events of a session have consecutive low halves, which the
//! transition test uses. Ids with another high half, or that are not UUIDs, are not
//! this run's and are kept apart as text.

use std::collections::{BTreeMap, HashMap};

use csgen_model::realistic::Page;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int32Type};
use futures_util::TryStreamExt as _;
use uuid::Uuid;

use super::findings::EXAMPLES;
use super::hour::{self, PARTITION_SQL};
use crate::error::AnalyticsError;
use crate::lake::Lake;

/// Page code for an `event_type` the model does not have.
pub const UNKNOWN_PAGE: u8 = u8::MAX;

/// One distinct (event, partition) of the lake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LakeEvent {
    /// Low half of the event id.
    pub lo: u64,
    /// Hour index of the partition.
    pub hour: i32,
    /// Group id (0 for none).
    pub group: u16,
    /// Index in [`csgen_model::realistic::PAGES`], or [`UNKNOWN_PAGE`].
    pub page: u8,
}

/// The lake's events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LakeIds {
    /// High half of the run's event ids.
    pub run: u64,
    /// Sorted by (lo, hour), one entry per distinct (id, partition).
    pub events: Vec<LakeEvent>,
    /// Ids that are not the run's, per partition: how many, and a few of them.
    pub foreign: BTreeMap<String, (u64, Vec<String>)>,
}

impl LakeIds {
    /// Builds from rows `(partition, event_id, event_type, group_id)`; `run` is the high
    /// half of the run's ids (else that of the first id seen).
    #[cfg(test)]
    pub fn from_rows<'a>(
        run: Option<u64>,
        rows: impl IntoIterator<Item = (&'a str, &'a str, &'a str, Option<i32>)>,
    ) -> Self {
        let mut ids = LakeIds::default();
        let mut run = run;
        let mut hours: HashMap<String, i32> = HashMap::new();
        for (part, id, event_type, group) in rows {
            ids.push(&mut run, &mut hours, part, id, event_type, group);
        }
        ids.finish(run)
    }

    fn push(
        &mut self,
        run: &mut Option<u64>,
        hours: &mut HashMap<String, i32>,
        part: &str,
        id: &str,
        event_type: &str,
        group: Option<i32>,
    ) {
        let parsed = Uuid::try_parse(id).ok().map(|u| u.as_u64_pair());
        let hour = match hours.get(part) {
            Some(h) => Some(*h),
            None => {
                let h = hour::index(part).and_then(|h| i32::try_from(h).ok());
                if let Some(h) = h {
                    hours.insert(part.to_owned(), h);
                }
                h
            }
        };
        match (parsed, hour) {
            (Some((hi, lo)), Some(hour)) if *run.get_or_insert(hi) == hi => {
                self.events.push(LakeEvent {
                    lo,
                    hour,
                    group: group.and_then(|g| u16::try_from(g).ok()).unwrap_or(0),
                    page: Page::from_event_type(event_type).map_or(UNKNOWN_PAGE, |p| p as u8),
                });
            }
            _ => {
                let (count, examples) = self.foreign.entry(part.to_owned()).or_default();
                *count += 1;
                if examples.len() < EXAMPLES {
                    examples.push(id.to_owned());
                }
            }
        }
    }

    fn finish(mut self, run: Option<u64>) -> Self {
        self.run = run.unwrap_or_default();
        self.events.sort_unstable();
        self.events.dedup_by_key(|e| (e.lo, e.hour));
        self
    }

    /// Scans the lake.
    pub async fn scan(lake: &Lake, run: Option<u64>) -> Result<Self, AnalyticsError> {
        let sql =
            format!("SELECT {PARTITION_SQL} AS part, event_id, event_type, group_id FROM events");
        let frame = lake.sql(&sql).await?;
        let mut stream = frame
            .execute_stream()
            .await
            .map_err(|e| lake.query_err(e))?;
        let mut ids = LakeIds::default();
        let mut run = run;
        let mut hours = HashMap::new();
        while let Some(batch) = stream.try_next().await.map_err(|e| lake.query_err(e))? {
            let text = |i: usize| cast(batch.column(i), &DataType::Utf8);
            let (part, id, kind) = (
                text(0).map_err(|e| lake.query_err(e))?,
                text(1).map_err(|e| lake.query_err(e))?,
                text(2).map_err(|e| lake.query_err(e))?,
            );
            let group = cast(batch.column(3), &DataType::Int32).map_err(|e| lake.query_err(e))?;
            let (part, id, kind) = (
                part.as_string::<i32>(),
                id.as_string::<i32>(),
                kind.as_string::<i32>(),
            );
            let group = group.as_primitive::<Int32Type>();
            for i in 0..batch.num_rows() {
                let g = (!group.is_null(i)).then(|| group.value(i));
                ids.push(
                    &mut run,
                    &mut hours,
                    part.value(i),
                    id.value(i),
                    kind.value(i),
                    g,
                );
            }
        }
        Ok(ids.finish(run))
    }

    /// The partitions (hour indexes) that hold the id with low half `lo`.
    pub fn hours_of(&self, lo: u64) -> impl Iterator<Item = i64> + '_ {
        let start = self.events.partition_point(|e| e.lo < lo);
        self.events[start..]
            .iter()
            .take_while(move |e| e.lo == lo)
            .map(|e| i64::from(e.hour))
    }

    /// The text form of the run's id with low half `lo`.
    pub fn id(&self, lo: u64) -> String {
        Uuid::from_u64_pair(self.run, lo).to_string()
    }

    /// The low half of `id` if it is one of the run's ids.
    pub fn lo_of(&self, id: &str) -> Option<u64> {
        let (hi, lo) = Uuid::try_parse(id).ok()?.as_u64_pair();
        (hi == self.run).then_some(lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "b414ba26-e372-831c-9c82-";

    #[test]
    fn events_are_sorted_distinct_and_foreign_ids_kept_apart() {
        let a = format!("{RUN}171000000201");
        let b = format!("{RUN}171000000200");
        let rows = [
            ("2026-11-02T00", a.as_str(), "product_view", Some(2)),
            ("2026-11-02T00", b.as_str(), "landing", None),
            ("2026-11-02T00", a.as_str(), "product_view", Some(2)),
            ("2026-11-02T01", a.as_str(), "product_view", Some(2)),
            ("2026-11-02T01", "not-a-uuid", "landing", None),
            (
                "2026-11-02T01",
                "00000000-0000-8000-8000-000000000001",
                "landing",
                None,
            ),
        ];
        let ids = LakeIds::from_rows(None, rows);
        assert_eq!(ids.events.len(), 3, "{:?}", ids.events);
        let lo_b = ids.lo_of(&b).unwrap();
        let lo_a = ids.lo_of(&a).unwrap();
        assert_eq!(lo_a, lo_b + 1, "consecutive events of a session");
        assert_eq!(ids.events[0].page, Page::Landing as u8);
        assert_eq!(ids.events[1].group, 2);
        let h0 = hour::index("2026-11-02T00").unwrap();
        assert_eq!(ids.hours_of(lo_a).collect::<Vec<_>>(), [h0, h0 + 1]);
        assert_eq!(ids.id(lo_a), a);
        let (count, examples) = &ids.foreign["2026-11-02T01"];
        assert_eq!(*count, 2);
        assert_eq!(examples[0], "not-a-uuid");
    }
}
