//! The `products` and `customers` dimension tables beside `events/`, written from the
//! realistic model's dimension rows (`RealisticModel::product_rows`, `customer_rows`).
//!
//! Both are pure functions of (config, seed), so the files are too: their names are
//! fixed (`products/part-00000.parquet`, `customers/part-{shard}-of-{count}-00000.parquet`)
//! and a rerun overwrites them with the same bytes' worth of rows, never adds a second
//! copy. Each file is one `put` (local: written aside and renamed; S3: one object),
//! so a reader never sees half a file. Products are the same for every shard, so only
//! shard 1 writes them; each shard writes its own customers.

use std::sync::{Arc, LazyLock};

use arrow_array::builder::{
    Decimal128Builder, Int32Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use csgen_model::realistic::{CustomerRow, ProductRow};
use csgen_model::{RealisticModel, Shard};
use parquet::arrow::ArrowWriter;

use super::columns::MONEY;
use super::{LakeError, LakeOptions, Store};

/// Rows per file: a bounded encode buffer for a catalog of millions of products.
pub const ROWS_PER_FILE: usize = 1 << 20;

static PRODUCTS: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("product_id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("group_id", DataType::Int32, false),
        Field::new("group_name", DataType::Utf8, false),
        Field::new("category", DataType::Utf8, false),
        Field::new("price", MONEY, false),
        Field::new("currency", DataType::Utf8, false),
    ]))
});

static CUSTOMERS: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("user_id", DataType::Int64, false),
        Field::new(
            "signup_time",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        Field::new("country", DataType::Utf8, true),
        Field::new("device", DataType::Utf8, false),
        Field::new("os", DataType::Utf8, false),
    ]))
});

/// The `products` table's schema: one row per product of the catalog.
pub fn products_schema() -> SchemaRef {
    PRODUCTS.clone()
}

/// The `customers` table's schema: one row per customer of the population.
pub fn customers_schema() -> SchemaRef {
    CUSTOMERS.clone()
}

/// What [`write_dimensions`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DimensionSummary {
    pub products: u64,
    pub customers: u64,
    pub files: u64,
}

/// Writes the model's `products` (shard 1 only) and `shard`'s `customers` into `store`.
pub async fn write_dimensions(
    store: &Store,
    model: &RealisticModel,
    shard: Shard,
    options: &LakeOptions,
) -> Result<DimensionSummary, LakeError> {
    let mut summary = DimensionSummary::default();
    if shard.index() == 1 {
        let mut rows = model.product_rows().peekable();
        let mut n = 0;
        while rows.peek().is_some() || n == 0 {
            let chunk: Vec<ProductRow<'_>> = rows.by_ref().take(ROWS_PER_FILE).collect();
            summary.products += chunk.len() as u64;
            let batch = products_batch(&chunk).map_err(|e| encode_err("products", e))?;
            let path = format!("products/part-{n:05}.parquet");
            store.put(&path, encode(&batch, options, &path)?).await?;
            summary.files += 1;
            n += 1;
        }
    }
    let mut rows = model.customer_rows(shard).peekable();
    let mut n = 0;
    while rows.peek().is_some() || n == 0 {
        let chunk: Vec<CustomerRow<'_>> = rows.by_ref().take(ROWS_PER_FILE).collect();
        summary.customers += chunk.len() as u64;
        let batch = customers_batch(&chunk).map_err(|e| encode_err("customers", e))?;
        let path = format!(
            "customers/part-{}-of-{}-{n:05}.parquet",
            shard.index(),
            shard.count()
        );
        store.put(&path, encode(&batch, options, &path)?).await?;
        summary.files += 1;
        n += 1;
    }
    tracing::info!(
        products = summary.products,
        customers = summary.customers,
        files = summary.files,
        "dimension tables written"
    );
    Ok(summary)
}

fn encode_err(table: &str, e: impl Into<super::BoxError>) -> LakeError {
    LakeError::Encode {
        partition: table.to_owned(),
        source: e.into(),
    }
}

/// The rows as one batch of the `products` schema.
pub fn products_batch(rows: &[ProductRow<'_>]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = rows.len();
    let mut id = Int64Builder::with_capacity(n);
    let mut name = StringBuilder::with_capacity(n, n * 32);
    let mut group = Int32Builder::with_capacity(n);
    let mut group_name = StringBuilder::with_capacity(n, n * 8);
    let mut category = StringBuilder::with_capacity(n, n * 8);
    let mut price = Decimal128Builder::with_capacity(n).with_data_type(MONEY);
    let mut currency = StringBuilder::with_capacity(n, n * 3);
    for r in rows {
        id.append_value(i64::try_from(r.product_id).unwrap_or(i64::MAX));
        name.append_value(&r.name);
        group.append_value(i32::try_from(r.group_id).unwrap_or(i32::MAX));
        group_name.append_value(r.group_name);
        category.append_value(r.category);
        price.append_value(thousandths(r.price_minor, r.currency.digits()));
        currency.append_value(r.currency.code());
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(name.finish()),
        Arc::new(group.finish()),
        Arc::new(group_name.finish()),
        Arc::new(category.finish()),
        Arc::new(price.finish()),
        Arc::new(currency.finish()),
    ];
    RecordBatch::try_new(products_schema(), columns)
}

/// The rows as one batch of the `customers` schema.
pub fn customers_batch(rows: &[CustomerRow<'_>]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = rows.len();
    let mut id = Int64Builder::with_capacity(n);
    let mut signup = TimestampMillisecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut country = StringBuilder::with_capacity(n, n * 2);
    let mut device = StringBuilder::with_capacity(n, n * 7);
    let mut os = StringBuilder::with_capacity(n, n * 7);
    for r in rows {
        id.append_value(i64::try_from(r.user_id).unwrap_or(i64::MAX));
        signup.append_value(r.signup_ms);
        country.append_option(r.country);
        device.append_value(r.device);
        os.append_value(r.os);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(signup.finish()),
        Arc::new(country.finish()),
        Arc::new(device.finish()),
        Arc::new(os.finish()),
    ];
    RecordBatch::try_new(customers_schema(), columns)
}

/// Minor units of a currency with `digits` decimals as the money columns' thousandths.
fn thousandths(minor: u64, digits: u8) -> i128 {
    let scale = crate::money::SCALE.saturating_sub(u32::from(digits));
    i128::from(minor) * 10i128.pow(scale)
}

fn encode(batch: &RecordBatch, options: &LakeOptions, path: &str) -> Result<Vec<u8>, LakeError> {
    let mut out = Vec::new();
    let props = super::writer_properties(options);
    let mut w = ArrowWriter::try_new(&mut out, batch.schema(), Some(props))
        .map_err(|e| encode_err(path, e))?;
    w.write(batch).map_err(|e| encode_err(path, e))?;
    w.close().map_err(|e| encode_err(path, e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use csgen_model::RealisticConfig;

    #[test]
    fn batches_hold_every_row_with_exact_prices() {
        let config = RealisticConfig::from_toml("[customers]\ncount = 500\n").unwrap();
        let model = RealisticModel::new(&config, 11);
        let products: Vec<_> = model.product_rows().collect();
        let batch = products_batch(&products).unwrap();
        assert_eq!(batch.num_rows(), products.len());
        let price = batch
            .column(5)
            .as_any()
            .downcast_ref::<arrow_array::Decimal128Array>()
            .unwrap();
        for (i, p) in products.iter().enumerate() {
            assert_eq!(
                price.value(i),
                i128::from(p.price_minor) * 10,
                "cents → thousandths"
            );
        }
        let customers: Vec<_> = model.customer_rows(Shard::ALL).collect();
        assert_eq!(customers.len(), 500);
        assert_eq!(customers_batch(&customers).unwrap().num_rows(), 500);
        assert_eq!(thousandths(1980, 0), 1_980_000);
        assert_eq!(thousandths(1505, 3), 1505);
    }
}
