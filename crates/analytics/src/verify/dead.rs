//! The lake's dead letters (`{root}/dead_letters/*.jsonl`), read as a JSON table in a
//! session of the lake: the event ids of the records enrich rejected, taken from the
//! raw text (a record cut in half still starts with its `event_id`).

use std::collections::BTreeSet;

use csgen_pipeline::LakeSpec;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::JsonReadOptions;

use crate::error::AnalyticsError;
use crate::lake::Lake;

/// What the dead letters hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeadLetters {
    /// Dead-letter records.
    pub records: u64,
    /// Event ids found in their raw text.
    pub ids: BTreeSet<String>,
}

/// Reads the dead letters of `lake` (none if the folder does not exist).
pub async fn read(lake: &Lake) -> Result<DeadLetters, AnalyticsError> {
    let spec: LakeSpec = lake
        .root()
        .parse()
        .map_err(|message| AnalyticsError::Open {
            path: lake.root().to_owned(),
            message,
        })?;
    let url = match &spec {
        LakeSpec::Local(dir) => {
            let dir =
                std::path::absolute(dir.join("dead_letters")).map_err(|e| lake.query_err(e))?;
            if !dir.is_dir() {
                return Ok(DeadLetters::default());
            }
            url::Url::from_directory_path(&dir)
                .map_err(|()| lake.query_err(format!("{} is not absolute", dir.display())))?
                .to_string()
        }
        LakeSpec::S3 { bucket, prefix } if prefix.is_empty() => {
            format!("s3://{bucket}/dead_letters/")
        }
        LakeSpec::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}/dead_letters/"),
    };
    let ctx = lake.scoped(None)?;
    let schema = Schema::new(vec![Field::new("raw", DataType::Utf8, true)]);
    let options = JsonReadOptions::default()
        .file_extension(".jsonl")
        .schema(&schema);
    ctx.register_json("dead_letters", &url, options)
        .await
        .map_err(|e| lake.query_err(e))?;
    let frame = ctx
        .sql("SELECT raw FROM dead_letters")
        .await
        .map_err(|e| lake.query_err(e))?;
    let batches = frame.collect().await.map_err(|e| lake.query_err(e))?;
    let mut dead = DeadLetters::default();
    for batch in &batches {
        let raw = cast(batch.column(0), &DataType::Utf8).map_err(|e| lake.query_err(e))?;
        let raw = raw.as_string::<i32>();
        dead.records += batch.num_rows() as u64;
        for i in 0..raw.len() {
            if let Some(id) = (!raw.is_null(i)).then(|| event_id(raw.value(i))).flatten() {
                dead.ids.insert(id.to_owned());
            }
        }
    }
    Ok(dead)
}

/// The `event_id` string of a (possibly truncated) JSON record, by text search.
pub fn event_id(raw: &str) -> Option<&str> {
    let at = raw.find("\"event_id\"")? + "\"event_id\"".len();
    let rest = raw[at..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(&rest[..end]).filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::event_id;

    #[test]
    fn ids_come_out_of_whole_and_cut_records() {
        assert_eq!(
            event_id(r#"{"event_id":"b414ba26-e372","ts":"2026-11-02T00"#),
            Some("b414ba26-e372")
        );
        assert_eq!(event_id(r#"{ "event_id" : "x" }"#), Some("x"));
        assert_eq!(event_id(r#"{"event_id":"b414"#), None, "cut inside the id");
        assert_eq!(event_id(r#"{"url":"https://a/"}"#), None);
        assert_eq!(event_id(r#"{"event_id":""}"#), None);
    }
}
