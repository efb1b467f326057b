//! The `items` column (a purchase's order lines, `List<Struct>`): DataFusion with the
//! workspace's trimmed features unnests it and reads its struct fields, DuckDB reads
//! the same files to the same numbers, and every order's lines add up to its revenue.

use csgen_analytics::{Lake, query};
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;

use crate::support::{duckdb_reports, lake};

/// Per product: order lines, units and revenue in thousandths, from the unnested lines.
const LINES_BY_PRODUCT: &str = "\
SELECT product_id, CAST(count(*) AS BIGINT) AS lines, CAST(sum(quantity) AS BIGINT) AS units, \
       CAST(sum(quantity * price) * 1000 AS BIGINT) AS thousandths \
FROM (SELECT l.it.product_id AS product_id, l.it.quantity AS quantity, l.it.price AS price \
      FROM (SELECT unnest(items) AS it FROM events WHERE event_type = 'purchase') AS l) AS x \
GROUP BY product_id ORDER BY product_id";

/// Rows of BIGINT columns, as DataFusion answers `sql` over the test lake.
fn datafusion_rows(sql: &str) -> Vec<Vec<i64>> {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let lake = Lake::open(lake().to_str().unwrap()).await.unwrap();
        let r = query::run(&lake, sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let mut rows = Vec::new();
        for b in &r.batches {
            for i in 0..b.num_rows() {
                rows.push(
                    b.columns()
                        .iter()
                        .map(|c| c.as_primitive::<Int64Type>().value(i))
                        .collect(),
                );
            }
        }
        rows
    })
}

/// The same, on DuckDB over the same files.
fn duckdb_rows(sql: &str) -> Option<Vec<Vec<i64>>> {
    let request = serde_json::json!({
        "lake": lake(),
        "reports": [{"name": "q", "sql": sql}],
    });
    let answer = duckdb_reports(&request)?;
    let rows = answer["q"].as_array().unwrap();
    Some(
        rows.iter()
            .map(|r| {
                ["product_id", "lines", "units", "thousandths"]
                    .iter()
                    .map(|k| r[k].as_i64().unwrap_or_else(|| panic!("{k} in {r}")))
                    .collect()
            })
            .collect(),
    )
}

#[test]
fn datafusion_and_duckdb_unnest_the_order_lines_alike() {
    let ours = datafusion_rows(LINES_BY_PRODUCT);
    assert!(ours.len() > 20, "{} products ordered", ours.len());
    assert!(ours.iter().all(|r| r[1] > 0 && r[2] >= r[1] && r[3] > 0));
    let Some(theirs) = duckdb_rows(LINES_BY_PRODUCT) else {
        return;
    };
    assert_eq!(ours, theirs);
}

#[test]
fn every_order_has_lines_that_add_up_to_its_revenue() {
    let counts = datafusion_rows(
        "SELECT \
           CAST(count(*) FILTER (WHERE event_type = 'purchase') AS BIGINT), \
           CAST(count(*) FILTER (WHERE event_type = 'purchase' AND items IS NULL) AS BIGINT), \
           CAST(count(*) FILTER (WHERE event_type <> 'purchase' AND items IS NOT NULL) AS BIGINT) \
         FROM events",
    );
    let [purchases, without, stray] = counts[0][..] else {
        panic!("{counts:?}")
    };
    assert!(purchases > 20, "{purchases} purchases");
    assert_eq!(
        (without, stray),
        (0, 0),
        "items only and always on purchases"
    );
    let wrong = datafusion_rows(
        "SELECT CAST(count(*) AS BIGINT) FROM ( \
           SELECT event_id, max(revenue) AS revenue, sum(l.it.quantity * l.it.price) AS total \
           FROM (SELECT event_id, revenue, unnest(items) AS it FROM events \
                 WHERE event_type = 'purchase') AS l \
           GROUP BY event_id) AS o \
         WHERE total <> revenue",
    );
    assert_eq!(
        wrong,
        [[0]],
        "orders whose lines do not add up to the revenue"
    );
}
