//! A query result as text: an aligned table, CSV with a header, or JSON (an array of
//! objects, one per row). Arrow's own formatters and writers do the formatting.
//!
//! Strings come from records, so they can hold terminal escape sequences: the table
//! (which is for reading) shows them escaped ([`crate::escape`]); JSON escapes them the
//! JSON way, so the data is unchanged; CSV keeps the data exact for a file or a pipe,
//! and escapes them when it goes to a terminal.

use std::str::FromStr;
use std::sync::Arc;

use comfy_table::{Cell, Table};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use datafusion::arrow::csv::WriterBuilder;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::json::ArrayWriter;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::escape::{for_terminal, json_for_terminal};

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

/// `batches` (with `schema`, which also names the columns of an empty result) in
/// `format`; `terminal` says whether the text goes to a terminal (see the module docs).
pub fn render(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    format: Format,
    terminal: bool,
) -> Result<String, ArrowError> {
    let empty;
    let batches = if batches.is_empty() {
        empty = [RecordBatch::new_empty(schema.clone())];
        &empty[..]
    } else {
        batches
    };
    match format {
        Format::Table => Ok(format!("{}\n", table(schema, batches)?)),
        Format::Csv => {
            let mut out = Vec::new();
            let mut w = WriterBuilder::new().with_header(true).build(&mut out);
            for b in batches {
                w.write(&csv_ready(b, terminal)?)?;
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
                json_for_terminal(format!("{}\n", String::from_utf8_lossy(&out)))
            })
        }
    }
}

/// An aligned table, as Arrow's pretty printer draws it, with every cell escaped.
fn table(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Table, ArrowError> {
    let mut table = Table::new();
    // Arrow's pretty printer's style, so that output looks as it always did.
    table.load_preset("||--+-++|    ++++++");
    table.set_header(
        schema
            .fields()
            .iter()
            .map(|f| Cell::new(for_terminal(f.name()))),
    );
    let options = FormatOptions::default().with_display_error(true);
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            table.add_row(
                formatters
                    .iter()
                    .map(|f| Cell::new(for_terminal(&f.value(row).to_string()))),
            );
        }
    }
    Ok(table)
}

/// `batch` as the CSV writer takes it: nested columns (the `items` of a purchase) as
/// their display text, which is all a CSV cell can hold; with `terminal`, every string
/// column escaped for a terminal too (as plain `Utf8`).
fn csv_ready(batch: &RecordBatch, terminal: bool) -> Result<RecordBatch, ArrowError> {
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        let strings: Option<Vec<Option<String>>> = match column.data_type() {
            DataType::Utf8 if terminal => Some(escape_all(column.as_string::<i32>().iter())),
            DataType::LargeUtf8 if terminal => Some(escape_all(column.as_string::<i64>().iter())),
            DataType::Utf8View if terminal => Some(escape_all(column.as_string_view().iter())),
            t if t.is_nested() => {
                let f = ArrayFormatter::try_new(column.as_ref(), &FormatOptions::default())?;
                let text: Vec<Option<String>> = (0..column.len())
                    .map(|i| column.is_valid(i).then(|| f.value(i).to_string()))
                    .collect();
                Some(match terminal {
                    true => escape_all(text.iter().map(Option::as_deref)),
                    false => text,
                })
            }
            _ => None,
        };
        match strings {
            Some(values) => {
                fields.push(Field::new(
                    field.name(),
                    DataType::Utf8,
                    field.is_nullable(),
                ));
                columns.push(Arc::new(StringArray::from(values)) as ArrayRef);
            }
            None => {
                fields.push(field.as_ref().clone());
                columns.push(column.clone());
            }
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

fn escape_all<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Vec<Option<String>> {
    values
        .map(|v| v.map(|s| for_terminal(s).into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int64Array, StringViewArray};

    use super::*;

    fn batch() -> RecordBatch {
        let url: ArrayRef = Arc::new(StringViewArray::from(vec![
            Some("https://s/x?q=\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            None,
        ]));
        let n: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
        RecordBatch::try_from_iter([("url", url), ("n", n)]).unwrap()
    }

    /// Regression: a list column (the lake's `items`) made `--format csv` fail, since
    /// Arrow's CSV writer takes no nested types.
    #[test]
    fn csv_holds_a_list_column_as_its_display_text() {
        use datafusion::arrow::array::ListArray;
        use datafusion::arrow::datatypes::Int32Type;
        let items: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(3), Some(4)]),
            None,
        ]));
        let b = RecordBatch::try_from_iter([("items", items)]).unwrap();
        for terminal in [false, true] {
            let csv = render(&b.schema(), std::slice::from_ref(&b), Format::Csv, terminal).unwrap();
            assert_eq!(csv, "items\n\"[3, 4]\"\n\"\"\n", "terminal {terminal}");
        }
    }

    fn has_raw_controls(text: &str) -> bool {
        text.chars()
            .any(|c| crate::escape::is_unsafe(c) && c != '\n')
    }

    #[test]
    fn strings_from_records_reach_a_terminal_escaped() {
        let b = batch();
        let schema = b.schema();
        for (format, terminal) in [
            (Format::Table, true),
            (Format::Table, false),
            (Format::Csv, true),
            (Format::Json, true),
            (Format::Json, false),
        ] {
            let text = render(&schema, std::slice::from_ref(&b), format, terminal).unwrap();
            assert!(!has_raw_controls(&text), "{format:?}: {text:?}");
            assert!(
                text.contains("pwned"),
                "{format:?}: the rest is kept: {text}"
            );
        }
        let table = render(&schema, std::slice::from_ref(&b), Format::Table, true).unwrap();
        assert!(table.contains("q=\\u{1b}]0;pwned\\u{7}"), "{table}");
        // JSON escapes the JSON way: a reader gets the record back as it was.
        let json = render(&schema, std::slice::from_ref(&b), Format::Json, true).unwrap();
        let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(rows[0]["url"], "https://s/x?q=\u{1b}]0;pwned\u{7}\u{1b}[2J");
    }

    #[test]
    fn csv_into_a_pipe_keeps_the_data_exact() {
        let b = batch();
        let csv = render(&b.schema(), std::slice::from_ref(&b), Format::Csv, false).unwrap();
        assert!(csv.contains("\u{1b}]0;pwned\u{7}"), "{csv:?}");
    }
}
