//! End to end through the `csgen` binary: `csgen generate --sink kinesis:…` against
//! kinesalite, configured only by the standard AWS environment variables.
//!
//! The binary is the workspace's `target/<profile>/csgen`, built by
//! `cargo test --workspace` (as CI runs it); when testing this crate alone it may be
//! missing (skipped, except in CI) or older than the sources.

use std::process::Command;

use csgen_testkit::Server;
pub use csgen_testkit::csgen_binary;

use crate::kinesis::{client, create_stream, read_all};
use crate::{count_ids, local_aws_env};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csgen_generate_delivers_every_click_to_kinesis() {
    let Some(server) = Server::kinesalite(None) else {
        return;
    };
    let Some(csgen) = csgen_binary() else { return };
    let admin = client(&server.endpoint()).await;
    create_stream(&admin, "e2e", 2).await;
    local_aws_env();
    let out = Command::new(&csgen)
        .args([
            "generate", "--count", "3000", "--seed", "5", "--format", "json",
        ])
        .args(["--sink", "kinesis:e2e?partition-key=user&linger-ms=50"])
        .env("AWS_ENDPOINT_URL", server.endpoint())
        .output()
        .expect("run csgen");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "csgen failed: {stderr}");
    assert!(
        stderr.contains("kinesis:e2e"),
        "summary names the sink: {stderr}"
    );

    // The same run to stdout gives the ids that must have arrived.
    let reference = Command::new(&csgen)
        .args([
            "generate", "--count", "3000", "--seed", "5", "--format", "json",
        ])
        .output()
        .expect("run csgen");
    assert!(reference.status.success());
    let want = count_ids(
        reference
            .stdout
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty()),
    );
    assert_eq!(want.len(), 3000);

    let shards = read_all(&admin, "e2e").await;
    let got = count_ids(shards.values().flatten().map(Vec::as_slice));
    assert_eq!(got, want, "every click exactly once");

    // `--sink kinesis` alone takes the properties file's `url-kinesis-stream-name`.
    create_stream(&admin, "from-config", 1).await;
    let props = include_str!("../../../model/src/defaults.properties").replace(
        "url-kinesis-stream-name=clickstream",
        "url-kinesis-stream-name=from-config",
    );
    let path = std::env::temp_dir().join(format!("csgen-e2e-{}.properties", std::process::id()));
    std::fs::write(&path, props).unwrap();
    let out = Command::new(&csgen)
        .args([
            "generate", "--count", "100", "--sink", "kinesis", "--config",
        ])
        .arg(&path)
        .env("AWS_ENDPOINT_URL", server.endpoint())
        .output()
        .expect("run csgen");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shards = read_all(&admin, "from-config").await;
    assert_eq!(shards.values().map(Vec::len).sum::<usize>(), 100);

    // A missing stream: exit status 1 and the documented message.
    let out = Command::new(&csgen)
        .args(["generate", "--count", "10", "--sink", "kinesis:absent"])
        .env("AWS_ENDPOINT_URL", server.endpoint())
        .output()
        .expect("run csgen");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("stream \"absent\" not found (ResourceNotFoundException)"),
        "{stderr}"
    );
}
