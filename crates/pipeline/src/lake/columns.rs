//! The `events` table's Arrow schema and the column builders one partition fills.
//!
//! `dt` and `hour` are not columns of the files: they are in the Hive-style path
//! (`dt=YYYY-MM-DD/hour=HH`), which is how Athena, Glue, DuckDB
//! (`hive_partitioning`) and Spark read partition columns; a file that also held
//! them would make the engines disagree on which copy wins.

use std::fmt::Write as _;
use std::sync::{Arc, LazyLock};

use arrow_array::builder::{
    Decimal128Builder, Int32Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::cast::AsArray as _;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};

use super::items::ItemsBuilder;
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
        // Added with the catalog (issue 19); nullable, so lakes written before them
        // read with nulls there.
        text("country", true),
        text("os", true),
        text("utm_source", true),
        text("utm_medium", true),
        text("utm_campaign", true),
        text("order_id", true),
        Field::new("quantity", DataType::Int32, true),
        Field::new("price", MONEY, true),
        Field::new("revenue", MONEY, true),
        text("currency", true),
        Field::new("items", super::items::items_type(), true),
    ]))
});

/// The money columns' type: exact decimals with 3 places (see [`crate::money`]).
pub const MONEY: DataType =
    DataType::Decimal128(crate::money::PRECISION, crate::money::SCALE as i8);

/// The columns the first lakes had (before issue 19): their files have only these.
pub const FIRST_COLUMNS: usize = 12;

/// The schema of every Parquet file in `events/`.
pub fn schema() -> SchemaRef {
    SCHEMA.clone()
}

/// Rows per Arrow chunk a partition buffers: the Parquet writer's mini-batch, so the
/// chunks encode exactly as one batch would, and small enough that a first chunk's
/// growth copies stay in cache.
const CHUNK_ROWS: usize = 1024;

/// The rows of one partition: finished chunks of [`CHUNK_ROWS`] rows, and builders
/// for the current one.
///
/// Chunks keep growth copies small: one set of builders for a whole partition grew
/// by doubling, and copying its megabytes of `url` and `event_id` on each growth cost
/// a tenth of the run. After a partition's first chunk, the next builders are sized
/// from it and rarely grow at all.
#[derive(Default)]
pub struct Columns {
    building: Builders,
    done: Vec<Vec<ArrayRef>>,
    rows: usize,
}

impl Columns {
    pub fn push(&mut self, e: &Event<'_>) {
        self.building.push(e);
        self.rows += 1;
        if self.building.rows == CHUNK_ROWS {
            let chunk = self.building.finish();
            self.building = Builders::sized_like(&chunk);
            self.done.push(chunk);
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The rows so far as batches in push order; the partition starts empty again.
    pub fn finish(&mut self) -> Result<Vec<RecordBatch>, ArrowError> {
        let mut chunks = std::mem::take(&mut self.done);
        if self.building.rows > 0 {
            chunks.push(self.building.finish());
        }
        self.rows = 0;
        chunks
            .into_iter()
            .map(|columns| RecordBatch::try_new(schema(), columns))
            .collect()
    }
}

/// Column builders for one chunk.
struct Builders {
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
    country: StringBuilder,
    os: StringBuilder,
    utm_source: StringBuilder,
    utm_medium: StringBuilder,
    utm_campaign: StringBuilder,
    order_id: StringBuilder,
    quantity: Int32Builder,
    price: Decimal128Builder,
    revenue: Decimal128Builder,
    currency: StringBuilder,
    items: ItemsBuilder,
    rows: usize,
}

fn money(rows: usize) -> Decimal128Builder {
    Decimal128Builder::with_capacity(rows).with_data_type(MONEY)
}

/// Rows a new partition's first builders have room for: small, so that a partition
/// with a few events (hostile or sparse input opens many) costs kilobytes, not the
/// ~70 KB of full-chunk builders; busy partitions grow into a full chunk once.
const FIRST_ROWS: usize = 32;

impl Default for Builders {
    fn default() -> Self {
        let text = || StringBuilder::with_capacity(FIRST_ROWS, FIRST_ROWS * 16);
        Self {
            event_id: text(),
            event_time: TimestampMillisecondBuilder::with_capacity(FIRST_ROWS).with_timezone("UTC"),
            event_type: text(),
            user_id: Int64Builder::with_capacity(FIRST_ROWS),
            session_id: text(),
            group_id: Int32Builder::with_capacity(FIRST_ROWS),
            group_name: text(),
            product_id: Int64Builder::with_capacity(FIRST_ROWS),
            device: text(),
            browser: text(),
            referrer: text(),
            url: text(),
            country: text(),
            os: text(),
            utm_source: text(),
            utm_medium: text(),
            utm_campaign: text(),
            order_id: text(),
            quantity: Int32Builder::with_capacity(FIRST_ROWS),
            price: money(FIRST_ROWS),
            revenue: money(FIRST_ROWS),
            currency: text(),
            items: ItemsBuilder::with_capacity(FIRST_ROWS),
            rows: 0,
        }
    }
}

impl Builders {
    /// Builders for a full chunk, with room for text like `chunk`'s (plus 1/8).
    fn sized_like(chunk: &[ArrayRef]) -> Self {
        let text = |i: usize| {
            let bytes = chunk[i]
                .as_string_opt::<i32>()
                .map_or(0, |a| a.value_data().len());
            StringBuilder::with_capacity(CHUNK_ROWS, bytes + bytes / 8)
        };
        Self {
            event_id: text(0),
            event_time: TimestampMillisecondBuilder::with_capacity(CHUNK_ROWS).with_timezone("UTC"),
            event_type: text(2),
            user_id: Int64Builder::with_capacity(CHUNK_ROWS),
            session_id: text(4),
            group_id: Int32Builder::with_capacity(CHUNK_ROWS),
            group_name: text(6),
            product_id: Int64Builder::with_capacity(CHUNK_ROWS),
            device: text(8),
            browser: text(9),
            referrer: text(10),
            url: text(11),
            country: text(12),
            os: text(13),
            utm_source: text(14),
            utm_medium: text(15),
            utm_campaign: text(16),
            order_id: text(17),
            quantity: Int32Builder::with_capacity(CHUNK_ROWS),
            price: money(CHUNK_ROWS),
            revenue: money(CHUNK_ROWS),
            currency: text(21),
            items: ItemsBuilder::with_capacity(CHUNK_ROWS),
            rows: 0,
        }
    }

    fn push(&mut self, e: &Event<'_>) {
        self.event_id.append_value(&e.event_id);
        self.event_time.append_value(e.event_time_ms);
        self.event_type.append_value(e.event_type.as_str());
        self.user_id.append_value(e.user_id);
        match &e.session_id {
            SessionId::Given(s) => self.session_id.append_value(s),
            SessionId::Derived { user_id, start_ms } => {
                // Writing into the builder appends to the current value; the empty
                // append ends it. itoa: `write!` cost ~500 instructions a row.
                let (mut u, mut s) = (itoa::Buffer::new(), itoa::Buffer::new());
                let _ = self.session_id.write_str(u.format(*user_id));
                let _ = self.session_id.write_str("-");
                let _ = self.session_id.write_str(s.format(*start_ms));
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
        let d = &e.details;
        self.country.append_option(d.country.as_deref());
        self.os.append_option(d.os.as_deref());
        self.utm_source.append_option(d.utm_source.as_deref());
        self.utm_medium.append_option(d.utm_medium.as_deref());
        self.utm_campaign.append_option(d.utm_campaign.as_deref());
        self.order_id.append_option(d.order_id.as_deref());
        self.quantity.append_option(d.quantity);
        self.price.append_option(d.price.map(|m| i128::from(m.0)));
        self.revenue
            .append_option(d.revenue.map(|m| i128::from(m.0)));
        self.currency.append_option(d.currency.as_deref());
        self.items.append(d.items.as_deref());
        self.rows += 1;
    }

    /// The chunk's columns, in schema order; the builders start empty again.
    fn finish(&mut self) -> Vec<ArrayRef> {
        self.rows = 0;
        vec![
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
            Arc::new(self.country.finish()),
            Arc::new(self.os.finish()),
            Arc::new(self.utm_source.finish()),
            Arc::new(self.utm_medium.finish()),
            Arc::new(self.utm_campaign.finish()),
            Arc::new(self.order_id.finish()),
            Arc::new(self.quantity.finish()),
            Arc::new(self.price.finish()),
            Arc::new(self.revenue.finish()),
            Arc::new(self.currency.finish()),
            self.items.finish(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventType;
    use arrow_array::Array as _;

    #[test]
    fn chunks_hold_every_row_in_order() {
        let mut cols = Columns::default();
        let n = CHUNK_ROWS * 2 + 3;
        for i in 0..n {
            cols.push(&Event {
                event_id: i.to_string().into(),
                event_time_ms: i as i64,
                event_type: EventType::GroupView,
                user_id: 7,
                session_id: SessionId::Derived {
                    user_id: 7,
                    start_ms: 0,
                },
                group_id: Some(1),
                group_name: None,
                product_id: None,
                device: None,
                browser: None,
                referrer: None,
                url: "/api/group/1".into(),
                details: crate::event::Details {
                    price: (i % 2 == 0).then_some(crate::money::Money(12_990)),
                    ..Default::default()
                },
            });
        }
        assert_eq!(cols.rows(), n);
        let batches = cols.finish().unwrap();
        let sizes: Vec<usize> = batches.iter().map(RecordBatch::num_rows).collect();
        assert_eq!(sizes, [CHUNK_ROWS, CHUNK_ROWS, 3]);
        let ids = batches.iter().flat_map(|b| {
            let a = b.column(0).as_string::<i32>().clone();
            (0..a.len()).map(move |i| a.value(i).to_owned())
        });
        assert!(ids.eq((0..n).map(|i| i.to_string())));
        assert_eq!(batches[2].column(4).as_string::<i32>().value(0), "7-0");
        let price = batches[0].column_by_name("price").unwrap();
        assert_eq!(price.data_type(), &MONEY);
        assert_eq!(price.null_count(), CHUNK_ROWS / 2);
        assert_eq!(cols.rows(), 0);
        assert!(cols.finish().unwrap().is_empty());
    }
}
