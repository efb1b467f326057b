//! The Glue/Athena `CREATE EXTERNAL TABLE` for a lake (`csgen ddl --lake …`).
//!
//! The columns come from the writer's Arrow schema, so the DDL cannot drift from the
//! files. Partitions are declared with partition projection, so Athena needs no
//! crawler and no `MSCK REPAIR TABLE`; the comment says what to do without it.

use arrow_schema::{DataType, TimeUnit};

use crate::lake::{LakeSpec, schema};

/// The statement for the lake at `spec`, as table `table` (e.g. `csgen_events`).
pub fn create_table(spec: &LakeSpec, table: &str) -> String {
    let location = match spec {
        LakeSpec::S3 { .. } => format!("{spec}/events/"),
        LakeSpec::Local(p) => format!(
            "file://{}/events/",
            std::path::absolute(p)
                .unwrap_or_else(|_| p.clone())
                .display()
        ),
    };
    let columns: Vec<String> = schema()
        .fields()
        .iter()
        .map(|f| format!("  `{}` {}", f.name(), hive_type(f.data_type())))
        .collect();
    let mut out = String::new();
    out.push_str(&format!(
        "-- csgen lake {spec}: table `{table}`, Parquet, partitioned by event time (UTC).\n"
    ));
    if matches!(spec, LakeSpec::Local(_)) {
        out.push_str("-- A local lake: copy it to S3 (aws s3 sync) and change LOCATION and the template to the s3:// URL.\n");
    }
    out.push_str(concat!(
        "-- Partitions are found by partition projection: no crawler and no MSCK REPAIR needed.\n",
        "-- Without projection (e.g. Hive, Spark, Glue crawlers): drop the projection.* and\n",
        "-- storage.location.template properties and run `MSCK REPAIR TABLE` after new\n",
        "-- dt=/hour= folders appear (or `ALTER TABLE … ADD PARTITION (dt='…', hour='…')`).\n",
    ));
    out.push_str(&format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS `{table}` (\n{}\n)\n",
        columns.join(",\n")
    ));
    out.push_str("PARTITIONED BY (`dt` string, `hour` string)\nSTORED AS PARQUET\n");
    out.push_str(&format!("LOCATION '{location}'\nTBLPROPERTIES (\n"));
    let props = [
        ("projection.enabled", "true".to_owned()),
        ("projection.dt.type", "date".to_owned()),
        ("projection.dt.format", "yyyy-MM-dd".to_owned()),
        ("projection.dt.range", "2020-01-01,NOW".to_owned()),
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
        .map(|(k, v)| format!("  '{k}' = '{v}'"))
        .collect();
    out.push_str(&props.join(",\n"));
    out.push_str("\n);\n");
    out
}

fn hive_type(t: &DataType) -> &'static str {
    match t {
        DataType::Utf8 => "string",
        DataType::Int32 => "int",
        DataType::Int64 => "bigint",
        DataType::Timestamp(TimeUnit::Millisecond, _) => "timestamp",
        other => unreachable!("the events schema has no {other} column"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_ddl() {
        let spec: LakeSpec = "s3://my-bucket/clicks".parse().unwrap();
        insta::assert_snapshot!(create_table(&spec, "csgen_events"));
    }
}
