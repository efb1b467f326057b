//! The `products` and `customers` tables beside `events/`: every product and user the
//! events name has its row, and the same seed writes the same tables.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use csgen_analytics::{Lake, query};
use csgen_model::{RealisticModel, Shard};
use csgen_pipeline::LakeOptions;
use csgen_pipeline::lake::Store;
use csgen_pipeline::lake::dimensions::write_dimensions;
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::support::{SEED, config, lake};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    out.sort();
    out
}

/// The first column (an id) of every row of a table's files.
fn ids(dir: &Path) -> HashSet<i64> {
    let mut out = HashSet::new();
    for f in files(dir) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&f).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for b in reader {
            let b = b.unwrap();
            let c = b.column(0).as_primitive::<Int64Type>();
            for i in 0..c.len() {
                assert!(
                    out.insert(c.value(i)),
                    "{} repeats id {}",
                    f.display(),
                    c.value(i)
                );
            }
        }
    }
    out
}

async fn distinct(lake: &Lake, column: &str) -> Vec<i64> {
    let sql = format!("SELECT DISTINCT {column} FROM events WHERE {column} IS NOT NULL");
    let r = query::run(lake, &sql).await.unwrap();
    r.batches
        .iter()
        .flat_map(|b| {
            let c = b.column(0).as_primitive::<Int64Type>().clone();
            (0..c.len()).map(move |i| c.value(i))
        })
        .collect()
}

#[test]
fn every_product_and_user_of_the_events_has_its_dimension_row() {
    let root = lake();
    let products = ids(&root.join("products"));
    let customers = ids(&root.join("customers"));
    assert_eq!(customers.len(), 2000, "the test store's customers");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let lake = Lake::open(root.to_str().unwrap()).await.unwrap();
        let named = distinct(&lake, "product_id").await;
        assert!(named.len() > 100, "{} products named", named.len());
        for p in named {
            assert!(products.contains(&p), "product {p} has no products row");
        }
        let users = distinct(&lake, "user_id").await;
        assert!(users.len() > 100);
        for u in users {
            assert!(customers.contains(&u), "user {u} has no customers row");
        }
    });
}

#[test]
fn the_same_seed_writes_the_same_tables_and_shards_split_customers() {
    let model = RealisticModel::new(&config(), SEED);
    let dir = tempfile::tempdir().unwrap();
    let write = |sub: &str, shard: Shard| {
        let root = dir.path().join(sub);
        let model = &model;
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                write_dimensions(
                    &Store::Local(root.clone()),
                    model,
                    shard,
                    &LakeOptions::default(),
                )
                .await
                .unwrap()
            });
        dir.path().join(sub)
    };
    let again = write("again", Shard::ALL);
    for table in ["products", "customers"] {
        let (a, b) = (files(&lake().join(table)), files(&again.join(table)));
        assert_eq!(a.len(), b.len(), "{table}");
        for (a, b) in a.iter().zip(&b) {
            assert_eq!(
                std::fs::read(a).unwrap(),
                std::fs::read(b).unwrap(),
                "{}",
                a.display()
            );
        }
    }
    let one = write("shard1", Shard::new(1, 2).unwrap());
    let two = write("shard2", Shard::new(2, 2).unwrap());
    assert!(
        two.join("products").read_dir().is_err(),
        "only shard 1 writes products"
    );
    let (c1, c2) = (ids(&one.join("customers")), ids(&two.join("customers")));
    assert!(c1.is_disjoint(&c2));
    let all: HashSet<i64> = c1.union(&c2).copied().collect();
    assert_eq!(all, ids(&lake().join("customers")));
}
