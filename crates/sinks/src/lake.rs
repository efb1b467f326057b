//! `lake:PATH` or `lake:s3://BUCKET/PREFIX` (`?max-age=…&max-buffer-mib=…&compression=…`):
//! the generator writing straight into the Parquet lake.
//!
//! [`LakeSink`] runs every record through the pipeline's enrich step and buffers the
//! events in a [`LakeWriter`]. Records count as delivered when their flush commits,
//! whether as events or as dead letters (a record enrich rejects is stored, with its
//! reason, in the dead-letter files: it is accounted for, not lost). A flush that fails
//! or is cut short by a deadline keeps its records in flight: the writer finishes it on
//! the next flush, and only then are they counted, so a record is never both lost and
//! counted as delivered. [`Sink::detail`] tells events and dead letters apart. There is
//! no source to resume, so no checkpoint is kept.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use csgen_pipeline::endpoint::{Form, Options, Written};
use csgen_pipeline::source::Item;
use csgen_pipeline::{
    Counters, EnrichOptions, EnrichStep, EventWindow, LakeOptions, LakeSpec, LakeWriter, Position,
    SourcePos,
};

use crate::context::{Built, SinkContext, SinkEndpoint};
use crate::{Batch, Sink, SinkError, SinkStats};

pub const FORM: Form = Form {
    scheme: "lake",
    form: "lake:PATH|s3://BUCKET/PREFIX[?options]",
    about: "enrich in-process, land Parquet (options: docs/pipeline.md#the-lake)",
};

/// A lake and how to write to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeSinkSpec {
    pub lake: LakeSpec,
    pub options: LakeOptions,
    /// Event times outside it are dead-lettered (`too-old`, `too-far-ahead`).
    pub window: EventWindow,
}

impl LakeSinkSpec {
    /// Reads `PATH[?options]` (the part after `lake:`).
    pub fn parse(rest: &str) -> Result<Self, String> {
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let lake = location.parse::<LakeSpec>()?;
        let mut o = Options::parse(query)?;
        let options = LakeOptions::parse(&mut o)?;
        let window = EventWindow::parse(&mut o)?;
        o.finish(&[LakeOptions::KEYS, EventWindow::KEYS].concat())?;
        Ok(Self {
            lake,
            options,
            window,
        })
    }
}

/// `lake:PATH[?options]`, or the same without `lake:` (the `--to`/`--lake` flags).
impl FromStr for LakeSinkSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s.strip_prefix("lake:").unwrap_or(s))
    }
}

impl fmt::Display for LakeSinkSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Written::default();
        self.options.write(&mut w);
        self.window.write(&mut w);
        write!(f, "lake:{}{w}", self.lake)
    }
}

#[async_trait::async_trait]
impl SinkEndpoint for LakeSinkSpec {
    async fn build(&self, cx: &SinkContext) -> Result<Built, SinkError> {
        let sink = LakeSink::open(self, cx).await?;
        Ok(Built::unchecked(Box::new(sink)))
    }
}

pub struct LakeSink {
    name: String,
    step: EnrichStep,
    writer: LakeWriter,
    stats: Arc<SinkStats>,
    /// The position of the next record in the generator's stream (for dead letters).
    pos: SourcePos,
    /// Records pushed since the last commit.
    pending: u64,
}

impl LakeSink {
    /// Opens the lake (a folder is created on the first flush); records are enriched
    /// with `cx.store`'s group names.
    pub async fn open(spec: &LakeSinkSpec, cx: &SinkContext) -> Result<Self, SinkError> {
        let name = spec.lake.to_string();
        let lake_error = |source| SinkError::Lake {
            target: format!("lake:{name}"),
            source: Box::new(source),
        };
        let store = spec.lake.open(&cx.aws).await.map_err(lake_error)?;
        let counters = Arc::new(Counters::default());
        // A run with an identity names its files after it: a rerun replaces them.
        let mut options = spec.options.clone();
        if let Some(id) = &cx.run_id {
            options.writer_id = Some(id.clone());
        }
        let (writer, pos) = LakeWriter::open(store, options, None, counters.clone())
            .await
            .map_err(lake_error)?;
        Ok(Self {
            step: EnrichStep::new(
                &cx.store,
                &EnrichOptions {
                    window: spec.window,
                    ..EnrichOptions::default()
                },
                format!("lake:{name}"),
                counters,
            ),
            name,
            writer,
            stats: Arc::default(),
            pos,
            pending: 0,
        })
    }

    /// The pipeline counters (records, events, dead letters, files, bytes).
    pub fn counters(&self) -> &Arc<Counters> {
        self.step.counters()
    }

    /// Commits what is buffered (and any unfinished flush). The records count as
    /// delivered only once the commit succeeded; on an error or a cancellation they stay
    /// in flight, held by the writer for the next commit.
    async fn commit(&mut self) -> Result<(), SinkError> {
        match self.writer.flush(&self.pos).await {
            Ok(_) => {
                self.stats.add_delivered(std::mem::take(&mut self.pending));
                Ok(())
            }
            Err(source) => Err(SinkError::Lake {
                target: self.describe(),
                source: Box::new(source),
            }),
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[async_trait::async_trait]
impl Sink for LakeSink {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        let (now, arrival_ms) = (Instant::now(), now_ms());
        for record in batch.records() {
            let pos = Position {
                line: self.pos.line + 1,
                offset: self.pos.offset,
                arrival_ms,
            };
            self.pos.line = pos.line;
            self.pos.offset = pos.offset + record.len() as u64 + 1;
            self.step
                .push(Item::Record(record), pos, now, &mut self.writer);
            self.pending += 1;
        }
        if self.writer.should_flush(now) {
            self.commit().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.commit().await
    }

    fn stats(&self) -> &Arc<SinkStats> {
        &self.stats
    }

    fn describe(&self) -> String {
        format!("lake:{}", self.name)
    }

    fn detail(&self) -> Option<String> {
        let c = self.counters().snapshot();
        Some(format!(
            "lake: {} events and {} dead letters (malformed records, with reasons, in dead_letters/) in {} files",
            c.committed_events, c.committed_dead_letters, c.files
        ))
    }
}
