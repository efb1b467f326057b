//! The Glue/Athena `CREATE EXTERNAL TABLE` statements for a lake (`csgen ddl --lake …`):
//! `events`, and the dimension tables `products` and `customers` beside it.
//!
//! The columns come from the writers' Arrow schemas, so the DDL cannot drift from the
//! files. Partitions are declared with partition projection, so Athena needs no
//! crawler and no `MSCK REPAIR TABLE`; the comment says what to do without it. The
//! projection covers the days the lake holds ([`Days`]), as Athena advises: a range
//! wider than the data makes every query look for partitions that are not there, a
//! narrower one hides data.
//!
//! Nothing the user typed reaches the statement unchecked: the table name must be a
//! Glue name ([`TableName`]), paths are written as escaped string literals, and a path
//! with control characters is refused.

use std::fmt;
use std::str::FromStr;

use arrow_schema::{DataType, Schema, TimeUnit};
use chrono::NaiveDate;

use crate::lake::dimensions::{customers_schema, products_schema};
use crate::lake::{LakeSpec, schema};

/// A table name as Glue and Athena accept it: `NAME` or `DATABASE.NAME`, each of
/// letters, digits and underscores, at most 255 characters (Athena lower-cases them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    database: Option<String>,
    table: String,
}

impl FromStr for TableName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let part = |p: &str| {
            let ok = !p.is_empty()
                && p.len() <= 255
                && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            ok.then(|| p.to_owned()).ok_or_else(|| {
                format!(
                    "table name {s:?}: expected NAME or DATABASE.NAME, each 1 to 255 letters, \
                     digits or underscores"
                )
            })
        };
        match s.split_once('.') {
            Some((db, table)) => Ok(Self {
                database: Some(part(db)?),
                table: part(table)?,
            }),
            None => Ok(Self {
                database: None,
                table: part(s)?,
            }),
        }
    }
}

impl TableName {
    /// `table` in this name's database (`db.events` → `db.products`).
    pub fn sibling(&self, table: &str) -> Self {
        Self {
            database: self.database.clone(),
            table: table.to_owned(),
        }
    }
}

/// The names of the lake's three tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    pub events: TableName,
    pub products: TableName,
    pub customers: TableName,
}

impl TableNames {
    /// `products` and `customers` default to those names in the events table's database.
    pub fn new(
        events: TableName,
        products: Option<TableName>,
        customers: Option<TableName>,
    ) -> Self {
        Self {
            products: products.unwrap_or_else(|| events.sibling("products")),
            customers: customers.unwrap_or_else(|| events.sibling("customers")),
            events,
        }
    }
}

impl fmt::Display for TableName {
    /// Quoted for the statement: `` `db`.`table` ``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(db) = &self.database {
            write!(f, "`{db}`.")?;
        }
        write!(f, "`{}`", self.table)
    }
}

/// The days the partition projection covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    /// The first `dt=` day.
    pub first: NaiveDate,
    /// Days after the current day (UTC, when a query runs) that are covered too: at
    /// least one, for clocks a little ahead and live data.
    pub ahead: u32,
}

impl Days {
    /// For a lake whose partitions run from `first` to `last`, as of `today`.
    pub fn spanning(first: NaiveDate, last: NaiveDate, today: NaiveDate) -> Self {
        let ahead = (last - today).num_days().clamp(1, i64::from(u32::MAX));
        Self {
            first,
            ahead: u32::try_from(ahead).unwrap_or(u32::MAX),
        }
    }

    /// From `first` on, up to a day ahead.
    pub fn since(first: NaiveDate) -> Self {
        Self { first, ahead: 1 }
    }
}

/// Why the statement cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum DdlError {
    #[error("lake {0:?}: the path holds control characters, which a table location cannot")]
    ControlCharacters(String),
}

/// The three statements for the lake at `spec`: `events` (partitioned, over `days`),
/// then `products` and `customers`, separated by a blank line (Athena runs one
/// statement per query).
pub fn create_tables(spec: &LakeSpec, names: &TableNames, days: Days) -> Result<String, DdlError> {
    let mut out = create_table(spec, &names.events, days)?;
    for (name, folder, schema, what) in [
        (
            &names.products,
            "products",
            products_schema(),
            "the catalog, one row per product",
        ),
        (
            &names.customers,
            "customers",
            customers_schema(),
            "the customers, one row per user_id",
        ),
    ] {
        out.push('\n');
        out.push_str(&dimension_table(spec, name, folder, &schema, what)?);
    }
    Ok(out)
}

/// The statement for a dimension table: not partitioned, written whole by the
/// realistic model (`generate --sink lake:` or `csgen catalog`).
fn dimension_table(
    spec: &LakeSpec,
    table: &TableName,
    folder: &str,
    schema: &Schema,
    what: &str,
) -> Result<String, DdlError> {
    let described = checked(spec)?;
    let location = location(spec, folder);
    Ok(format!(
        "-- csgen lake {described}: table {table}, Parquet, not partitioned: {what}.\n\
         -- Written by the realistic model (csgen generate --sink lake:, csgen catalog); a lake\n\
         -- of the classic model has no {folder}/ folder and this table is empty.\n\
         CREATE EXTERNAL TABLE IF NOT EXISTS {table} (\n{}\n)\n\
         STORED AS PARQUET\n\
         LOCATION {};\n",
        columns(schema),
        literal(&location)
    ))
}

/// The lake's description, refused if it holds control characters.
fn checked(spec: &LakeSpec) -> Result<String, DdlError> {
    let described = spec.to_string();
    if described.chars().any(char::is_control) {
        return Err(DdlError::ControlCharacters(described));
    }
    Ok(described)
}

/// The URL of the lake's `folder/`.
fn location(spec: &LakeSpec, folder: &str) -> String {
    match spec {
        LakeSpec::S3 { .. } => format!("{spec}/{folder}/"),
        LakeSpec::Local(p) => format!(
            "file://{}/{folder}/",
            std::path::absolute(p)
                .unwrap_or_else(|_| p.clone())
                .display()
        ),
    }
}

/// The column list of a statement, one `` `name` type `` per line.
fn columns(schema: &Schema) -> String {
    let columns: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("  `{}` {}", f.name(), hive_type(f.data_type())))
        .collect();
    columns.join(",\n")
}

/// The `events` statement for the lake at `spec`, as table `table`, over `days`.
fn create_table(spec: &LakeSpec, table: &TableName, days: Days) -> Result<String, DdlError> {
    let described = checked(spec)?;
    let location = location(spec, "events");
    let mut out = String::new();
    out.push_str(&format!(
        "-- csgen lake {described}: table {table}, Parquet, partitioned by event time (UTC).\n"
    ));
    if matches!(spec, LakeSpec::Local(_)) {
        out.push_str("-- A local lake: copy it to S3 (aws s3 sync) and change LOCATION and the template to the s3:// URL.\n");
    }
    out.push_str(&format!(
        "-- Partitions are found by partition projection, from {} to {} day{} after the\n\
         -- current day: no crawler and no MSCK REPAIR needed. Data for earlier days added\n\
         -- later needs the range widened (run csgen ddl again).\n",
        days.first,
        days.ahead,
        if days.ahead == 1 { "" } else { "s" },
    ));
    out.push_str(concat!(
        "-- Without projection (e.g. Hive, Spark, Glue crawlers): drop the projection.* and\n",
        "-- storage.location.template properties and run `MSCK REPAIR TABLE` after new\n",
        "-- dt=/hour= folders appear (or `ALTER TABLE … ADD PARTITION (dt='…', hour='…')`).\n",
    ));
    out.push_str(&format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS {table} (\n{}\n)\n",
        columns(&schema())
    ));
    out.push_str("PARTITIONED BY (`dt` string, `hour` string)\nSTORED AS PARQUET\n");
    out.push_str(&format!(
        "LOCATION {}\nTBLPROPERTIES (\n",
        literal(&location)
    ));
    let props = [
        ("projection.enabled", "true".to_owned()),
        ("projection.dt.type", "date".to_owned()),
        ("projection.dt.format", "yyyy-MM-dd".to_owned()),
        (
            "projection.dt.range",
            format!("{},NOW+{}DAYS", days.first, days.ahead),
        ),
        ("projection.dt.interval", "1".to_owned()),
        ("projection.dt.interval.unit", "DAYS".to_owned()),
        ("projection.hour.type", "integer".to_owned()),
        ("projection.hour.range", "0,23".to_owned()),
        ("projection.hour.digits", "2".to_owned()),
        (
            "storage.location.template",
            format!("{location}dt=${{dt}}/hour=${{hour}}/"),
        ),
    ];
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("  {} = {}", literal(k), literal(v)))
        .collect();
    out.push_str(&props.join(",\n"));
    out.push_str("\n);\n");
    Ok(out)
}

/// `s` as a Hive/Athena string literal: quoted, with `\` and `'` escaped.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The Hive/Athena type of a column of the lake's schemas.
fn hive_type(t: &DataType) -> String {
    match t {
        DataType::Utf8 => "string".into(),
        DataType::Int32 => "int".into(),
        DataType::Int64 => "bigint".into(),
        DataType::Timestamp(TimeUnit::Millisecond, _) => "timestamp".into(),
        DataType::Decimal128(p, s) => format!("decimal({p},{s})"),
        DataType::List(item) => format!("array<{}>", hive_type(item.data_type())),
        DataType::Struct(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("{}:{}", f.name(), hive_type(f.data_type())))
                .collect();
            format!("struct<{}>", fields.join(","))
        }
        other => unreachable!("the lake's schemas have no {other} column"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn s3_ddl() {
        let spec: LakeSpec = "s3://my-bucket/clicks".parse().unwrap();
        let names = TableNames::new("analytics.csgen_events".parse().unwrap(), None, None);
        let days = Days::spanning(day("2026-11-01"), day("2026-11-08"), day("2026-11-29"));
        insta::assert_snapshot!(create_tables(&spec, &names, days).unwrap());
    }

    #[test]
    fn dimension_tables_are_named_in_the_events_database_unless_given() {
        let events: TableName = "shop.clicks".parse().unwrap();
        let names = TableNames::new(events.clone(), None, Some("dims.users".parse().unwrap()));
        assert_eq!(names.products.to_string(), "`shop`.`products`");
        assert_eq!(names.customers.to_string(), "`dims`.`users`");
        let sql = create_tables(
            &LakeSpec::Local("/l".into()),
            &names,
            Days::since(day("2026-11-01")),
        )
        .unwrap();
        assert_eq!(sql.matches("CREATE EXTERNAL TABLE").count(), 3, "{sql}");
        assert!(sql.contains("LOCATION 'file:///l/products/';"), "{sql}");
        assert!(sql.contains("LOCATION 'file:///l/customers/';"), "{sql}");
        let bare = TableNames::new("clicks".parse().unwrap(), None, None);
        assert_eq!(bare.products.to_string(), "`products`");
    }

    #[test]
    fn nested_columns_have_hive_types() {
        use arrow_schema::Field;
        let item = DataType::Struct(
            vec![
                Field::new("product_id", DataType::Int64, false),
                Field::new("price", DataType::Decimal128(18, 3), false),
            ]
            .into(),
        );
        let list = DataType::List(std::sync::Arc::new(Field::new("item", item, true)));
        assert_eq!(
            hive_type(&list),
            "array<struct<product_id:bigint,price:decimal(18,3)>>"
        );
    }

    #[test]
    fn table_names_that_are_not_glue_names_are_refused() {
        assert_eq!(
            "analytics.clicks".parse::<TableName>().unwrap().to_string(),
            "`analytics`.`clicks`"
        );
        for bad in [
            "",
            "a.b.c",
            ".x",
            "x.",
            "ev`ents",
            "events` (x int); DROP TABLE t; --",
            "événements",
            "a b",
            &"x".repeat(256),
        ] {
            let e = bad.parse::<TableName>().unwrap_err();
            assert!(e.contains("letters, digits or underscores"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn paths_are_escaped_literals() {
        let spec = LakeSpec::Local("/tmp/it's a \\ lake".into());
        let names = TableNames::new("events".parse().unwrap(), None, None);
        let sql = create_tables(&spec, &names, Days::since(day("2026-11-01"))).unwrap();
        assert!(
            sql.contains(r"LOCATION 'file:///tmp/it\'s a \\ lake/customers/';"),
            "{sql}"
        );
        assert!(
            sql.contains(r"LOCATION 'file:///tmp/it\'s a \\ lake/events/'"),
            "{sql}"
        );
        assert!(
            sql.contains(r"'storage.location.template' = 'file:///tmp/it\'s a \\ lake/events/dt=${dt}/hour=${hour}/'"),
            "{sql}"
        );
        let spec = LakeSpec::Local("/tmp/x\n) LOCATION 'elsewhere".into());
        let e = create_tables(&spec, &names, Days::since(day("2026-11-01"))).unwrap_err();
        assert!(e.to_string().contains("control characters"), "{e}");
    }

    #[test]
    fn the_projection_covers_the_lakes_days() {
        let d = Days::spanning(day("2019-03-01"), day("2019-03-05"), day("2026-11-29"));
        assert_eq!(
            d,
            Days {
                first: day("2019-03-01"),
                ahead: 1
            }
        );
        let future = Days::spanning(day("2026-11-01"), day("2026-12-09"), day("2026-11-29"));
        assert_eq!(future.ahead, 10, "data ahead of today stays covered");
        let sql = create_table(&LakeSpec::Local("/l".into()), &"e".parse().unwrap(), d).unwrap();
        assert!(
            sql.contains("'projection.dt.range' = '2019-03-01,NOW+1DAYS'"),
            "{sql}"
        );
    }
}
