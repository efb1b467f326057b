//! Ground truths in S3 (moto on 127.0.0.1): each shard of a run writes its manifest with
//! `--truth s3://BUCKET/KEY`, as the Kubernetes Job's pods do, and `csgen verify` reads
//! them all from the prefix. Malformed S3 names are usage errors.

use csgen_testkit::Server;

use crate::support::{TempDir, csgen, stderr, stdout, store_toml, wait_with_deadline};

fn csgen_on(moto: &Server, args: &[&str]) -> std::process::Output {
    let child = csgen()
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_with_deadline(child, std::time::Duration::from_secs(120))
}

/// `csgen generate` of an hour of the example store (seed 4), plus `extra`.
fn generate(moto: &Server, extra: &[&str]) -> std::process::Output {
    let config = store_toml();
    let mut args = vec![
        "generate",
        "--config",
        &config,
        "--seed",
        "4",
        "--from",
        "2026-11-02T10:00:00Z",
        "--to",
        "2026-11-02T11:00:00Z",
    ];
    args.extend_from_slice(extra);
    csgen_on(moto, &args)
}

#[test]
fn shards_write_their_ground_truth_to_s3_and_verify_reads_the_prefix() {
    let Some(moto) = Server::moto() else { return };
    moto.create_bucket("truths");
    let dir = TempDir::new("truth-s3");
    let lake = format!("lake:{}", dir.path("lake").display());
    let config = store_toml();
    for i in 0..2 {
        let (shard, truth) = (
            format!("{}/2", i + 1),
            format!("s3://truths/run-4/shard-{i}.json"),
        );
        let out = generate(
            &moto,
            &["--shard", &shard, "--sink", &lake, "--truth", &truth],
        );
        assert!(out.status.success(), "shard {i}: {}", stderr(&out));
    }
    let lake_dir = dir.path("lake").display().to_string();
    let out = csgen_on(
        &moto,
        &[
            "verify",
            "--lake",
            &lake_dir,
            "--truth",
            "s3://truths/run-4/",
            "--config",
            &config,
        ],
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("2 manifests (s3://truths/run-4/shard-0.json"),
        "{}",
        stdout(&out)
    );

    for (bad, says) in [
        ("s3://truths/nothing-here/", "holds no ground truth"),
        ("s3://truths/run-4/shard-9.json", "no such object"),
        ("s3://", "expected s3://BUCKET/KEY"),
        ("s3://truths", "expected s3://BUCKET/KEY"),
        ("s3://truths/../x.json", "expected s3://BUCKET/KEY"),
    ] {
        let out = csgen_on(&moto, &["verify", "--lake", &lake_dir, "--truth", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{bad}: {}", stderr(&out));
    }
    // Writing needs an object's name, not a prefix: refused before the run (exit 2).
    let out = generate(
        &moto,
        &[
            "--output",
            dir.path("x.jsonl").to_str().unwrap(),
            "--truth",
            "s3://truths/run-5/",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not a prefix"), "{}", stderr(&out));
    assert!(!dir.path("x.jsonl").exists(), "refused before the run");
}
