//! The `events` table's Arrow schema and the column builders one partition fills.
//!
//! `dt` and `hour` are not columns of the files: they are in the Hive-style path
//! (`dt=YYYY-MM-DD/hour=HH`), which is how Athena, Glue, DuckDB
//! (`hive_partitioning`) and Spark read partition columns; a file that also held
//! them would make the engines disagree on which copy wins.

use std::fmt::Write as _;
use std::sync::{Arc, LazyLock};

use arrow_array::builder::{
    Int32Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::event::{Event, SessionId};

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let text = |name, nullable| Field::new(name, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        text("event_id", false),
        Field::new(
            "event_time",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        text("event_type", false),
        Field::new("user_id", DataType::Int64, false),
        text("session_id", false),
        Field::new("group_id", DataType::Int32, true),
        text("group_name", true),
        Field::new("product_id", DataType::Int64, true),
        text("device", true),
        text("browser", true),
        text("referrer", true),
        text("url", false),
    ]))
});

/// The schema of every Parquet file in `events/`.
pub fn schema() -> SchemaRef {
    SCHEMA.clone()
}

/// Column builders for the rows of one partition.
pub struct Columns {
    event_id: StringBuilder,
    event_time: TimestampMillisecondBuilder,
    event_type: StringBuilder,
    user_id: Int64Builder,
    session_id: StringBuilder,
    group_id: Int32Builder,
    group_name: StringBuilder,
    product_id: Int64Builder,
    device: StringBuilder,
    browser: StringBuilder,
    referrer: StringBuilder,
    url: StringBuilder,
    rows: usize,
}

impl Default for Columns {
    fn default() -> Self {
        Self {
            event_id: StringBuilder::new(),
            event_time: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            event_type: StringBuilder::new(),
            user_id: Int64Builder::new(),
            session_id: StringBuilder::new(),
            group_id: Int32Builder::new(),
            group_name: StringBuilder::new(),
            product_id: Int64Builder::new(),
            device: StringBuilder::new(),
            browser: StringBuilder::new(),
            referrer: StringBuilder::new(),
            url: StringBuilder::new(),
            rows: 0,
        }
    }
}

impl Columns {
    pub fn push(&mut self, e: &Event<'_>) {
        self.event_id.append_value(&e.event_id);
        self.event_time.append_value(e.event_time_ms);
        self.event_type.append_value(e.event_type.as_str());
        self.user_id.append_value(e.user_id);
        match &e.session_id {
            SessionId::Given(s) => self.session_id.append_value(s),
            SessionId::Derived { user_id, start_ms } => {
                // Writing into the builder appends to the current value; the empty
                // append ends it.
                let _ = write!(self.session_id, "{user_id}-{start_ms}");
                self.session_id.append_value("");
            }
        }
        self.group_id.append_option(e.group_id);
        self.group_name.append_option(e.group_name);
        self.product_id.append_option(e.product_id);
        self.device.append_option(e.device.as_deref());
        self.browser.append_option(e.browser.as_deref());
        self.referrer.append_option(e.referrer.as_deref());
        self.url.append_value(&e.url);
        self.rows += 1;
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The rows so far as one batch; the builders start empty again.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.event_id.finish()),
            Arc::new(self.event_time.finish()),
            Arc::new(self.event_type.finish()),
            Arc::new(self.user_id.finish()),
            Arc::new(self.session_id.finish()),
            Arc::new(self.group_id.finish()),
            Arc::new(self.group_name.finish()),
            Arc::new(self.product_id.finish()),
            Arc::new(self.device.finish()),
            Arc::new(self.browser.finish()),
            Arc::new(self.referrer.finish()),
            Arc::new(self.url.finish()),
        ];
        RecordBatch::try_new(schema(), columns)
    }
}
