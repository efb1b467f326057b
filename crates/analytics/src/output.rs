//! A query result as text: an aligned table, CSV with a header, or JSON (an array of
//! objects, one per row). Arrow's own writers do the formatting.

use std::str::FromStr;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::csv::WriterBuilder;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::json::ArrayWriter;
use datafusion::arrow::util::pretty::pretty_format_batches;

/// How `csgen query` prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// An aligned text table.
    #[default]
    Table,
    /// CSV with a header line.
    Csv,
    /// A JSON array of row objects (null columns left out).
    Json,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "table" => Ok(Self::Table),
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            _ => Err(format!("unknown format {s:?}; expected table, csv or json")),
        }
    }
}

/// `batches` (with `schema`, which also names the columns of an empty result) in `format`.
pub fn render(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    format: Format,
) -> Result<String, ArrowError> {
    let empty;
    let batches = if batches.is_empty() {
        empty = [RecordBatch::new_empty(schema.clone())];
        &empty[..]
    } else {
        batches
    };
    match format {
        Format::Table => Ok(format!("{}\n", pretty_format_batches(batches)?)),
        Format::Csv => {
            let mut out = Vec::new();
            let mut w = WriterBuilder::new().with_header(true).build(&mut out);
            for b in batches {
                w.write(b)?;
            }
            drop(w);
            Ok(String::from_utf8_lossy(&out).into_owned())
        }
        Format::Json => {
            let mut w = ArrayWriter::new(Vec::new());
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
            let out = w.into_inner();
            // The writer leaves an empty result empty; `[]` is what a reader expects.
            Ok(if out.is_empty() {
                "[]\n".to_owned()
            } else {
                format!("{}\n", String::from_utf8_lossy(&out))
            })
        }
    }
}
