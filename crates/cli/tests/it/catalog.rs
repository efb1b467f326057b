//! `csgen catalog --to lake:…`: the products and customers tables on their own are the
//! same files, byte for byte, as `generate --sink lake:` writes beside its events for
//! the same config, seed and shard, in a folder and in S3 (moto on 127.0.0.1); a
//! classic config, a bad path and a bad S3 name are clear errors.

use std::collections::BTreeMap;
use std::path::Path;

use csgen_testkit::Server;

use crate::support::{TempDir, csgen, run, stderr, store_toml, wait_with_deadline};

/// Every file under `lake`'s `products/` and `customers/`, by path relative to `lake`.
fn dimension_files(lake: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for table in ["products", "customers"] {
        let Ok(entries) = std::fs::read_dir(lake.join(table)) else {
            continue;
        };
        for e in entries {
            let e = e.unwrap();
            let name = format!("{table}/{}", e.file_name().to_string_lossy());
            files.insert(name, std::fs::read(e.path()).unwrap());
        }
    }
    files
}

fn generate_into(lake: &Path, shard: &str) {
    let out = run(&[
        "generate",
        "--config",
        &store_toml(),
        "--seed",
        "21",
        "--shard",
        shard,
        "--from",
        "2026-11-02T10:00:00Z",
        "--to",
        "2026-11-02T10:20:00Z",
        "--sink",
        &format!("lake:{}", lake.display()),
    ]);
    assert!(out.status.success(), "generate: {}", stderr(&out));
}

fn catalog_into(lake: &str, shard: &str) -> std::process::Output {
    catalog_of_seed("21", lake, shard)
}

fn catalog_of_seed(seed: &str, lake: &str, shard: &str) -> std::process::Output {
    let config = store_toml();
    run(&[
        "catalog", "--config", &config, "--seed", seed, "--shard", shard, "--to", lake,
    ])
}

#[test]
fn catalog_writes_the_same_tables_as_generate_for_the_same_seed() {
    let dir = TempDir::new("catalog-same");
    for shard in ["1/1", "2/2"] {
        let (generated, alone) = (dir.path("generated"), dir.path("alone"));
        generate_into(&generated, shard);
        let out = catalog_into(&format!("lake:{}", alone.display()), shard);
        assert!(out.status.success(), "catalog: {}", stderr(&out));
        let (want, got) = (dimension_files(&generated), dimension_files(&alone));
        let names: Vec<&String> = got.keys().collect();
        let expected_names: Vec<&str> = match shard {
            "1/1" => vec![
                "customers/part-1-of-1-00000.parquet",
                "products/part-00000.parquet",
            ],
            _ => vec!["customers/part-2-of-2-00000.parquet"],
        };
        assert_eq!(names, expected_names, "shard {shard}");
        assert!(
            got.values().all(|b| b.starts_with(b"PAR1")),
            "Parquet files"
        );
        assert_eq!(want, got, "shard {shard}: generate and catalog differ");
        // The summary names what was written.
        assert!(stderr(&out).contains(", seed 21"), "{}", stderr(&out));
        // A second seed gives other customers: the comparison above can fail.
        let other = dir.path("other");
        let out = catalog_of_seed("22", &other.display().to_string(), shard);
        assert!(out.status.success(), "catalog: {}", stderr(&out));
        assert_ne!(dimension_files(&other), got, "seed 22 = seed 21");
        for d in [generated, alone, other] {
            std::fs::remove_dir_all(d).unwrap();
        }
    }
}

#[test]
fn catalog_refuses_a_classic_config_and_names_a_bad_lake() {
    let dir = TempDir::new("catalog-errors");
    let lake = format!("lake:{}", dir.path("lake").display());
    // No --config: the built-in store is the classic model.
    let out = run(&["catalog", "--seed", "1", "--to", &lake]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("classic (properties) model, which has no catalog"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path("lake").exists(), "nothing is written");

    // A lake below a regular file cannot be created.
    std::fs::write(dir.path("file"), b"x").unwrap();
    let below_file = format!("lake:{}", dir.path("file").join("lake").display());
    let out = catalog_into(&below_file, "1/1");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("cannot write the catalog to {below_file}")),
        "{}",
        stderr(&out)
    );

    for (bad, says) in [
        ("lake:s3://", "bucket"),
        ("lake:./x?compression=brotli-99", "compression"),
    ] {
        let out = catalog_into(bad, "1/1");
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{bad}: {}", stderr(&out));
    }
    for bad_shard in ["3/2", "0/1"] {
        let out = catalog_into(&lake, bad_shard);
        assert_eq!(out.status.code(), Some(2), "{bad_shard}: {}", stderr(&out));
    }
}

#[test]
fn catalog_writes_to_s3_the_files_it_writes_to_a_folder() {
    let Some(moto) = Server::moto() else { return };
    moto.create_bucket("catalog");
    let dir = TempDir::new("catalog-s3");
    let child = csgen()
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .args(["catalog", "--config", &store_toml(), "--seed", "21"])
        .args(["--endpoint", &moto.endpoint()])
        .args(["--to", "lake:s3://catalog/shop/lake"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_with_deadline(child, std::time::Duration::from_secs(60));
    assert!(out.status.success(), "catalog to S3: {}", stderr(&out));

    // boto3 (moto's own client) is an independent reader of what landed in the bucket.
    let downloaded = dir.path("downloaded");
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    let script = r#"
import boto3, os, sys
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',
                  aws_access_key_id='testing', aws_secret_access_key='testing')
for o in s3.list_objects_v2(Bucket='catalog', Prefix='shop/lake/')['Contents']:
    dest = os.path.join(sys.argv[2], o['Key'][len('shop/lake/'):])
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    s3.download_file('catalog', o['Key'], dest)
"#;
    let status = std::process::Command::new(python)
        .args([
            "-c",
            script,
            &moto.endpoint(),
            &downloaded.display().to_string(),
        ])
        .status()
        .expect("the venv's python runs (scripts/setup.sh)");
    assert!(status.success(), "download from moto");

    let local = dir.path("local");
    let out = catalog_into(&format!("lake:{}", local.display()), "1/1");
    assert!(out.status.success(), "{}", stderr(&out));
    let got = dimension_files(&downloaded);
    assert_eq!(got.len(), 2, "{:?}", got.keys());
    assert_eq!(got, dimension_files(&local), "S3 and folder differ");
}
