//! The control API against its own description: schemathesis (PyPI, installed in
//! `.venv` by scripts/setup.sh) reads `/openapi.json` from a live `csgen serve` and
//! sends generated requests, valid and invalid, to every operation. It fails on any
//! 5xx and on any answer (status, content type, headers, body) that the description
//! does not allow.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{Server, TOKEN, TempDir, store_toml, wait_with_deadline};

#[test]
fn schemathesis_finds_every_answer_described_and_no_server_error() {
    let st = csgen_testkit::repo_root().join(".venv/bin/schemathesis");
    if !st.is_file() {
        csgen_testkit::missing::<()>("schemathesis (.venv/bin/schemathesis)");
        return;
    }
    let dir = TempDir::new("openapi");
    // A lake sink, so that /api/reports answers with reports too. The realistic model
    // paces itself by the clock, so that whatever rates schemathesis tries (/rate is
    // refused: 409), every /stop ends its run promptly. (The classic model's /rate is
    // tested in control.rs and the server's unit tests.)
    let lake = format!("lake:{}", dir.path("lake").display());
    let config = store_toml();
    let s = Server::start(&[
        "--config",
        &config,
        "--sink",
        &lake,
        "--flush-timeout",
        "5s",
    ]);
    let child = Command::new(st)
        .current_dir(&dir.0) // its example database and reports stay in the scratch dir
        .args([
            "run",
            &s.url("/openapi.json"),
            "--checks",
            "all",
            // A valid /start answers 409 while a run is going: that is documented, but
            // this check wants every valid request to succeed.
            "--exclude-checks",
            "positive_data_acceptance",
            "--header",
            &format!("Authorization: Bearer {TOKEN}"),
            "--max-examples",
            "25",
            "--seed",
            "1",
            "--workers",
            "2",
            "--request-timeout",
            "60",
            // The reports over the lake take seconds in a debug build on a busy machine.
            "--max-response-time",
            "60",
            "--no-color",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("schemathesis runs");
    let out = wait_with_deadline(child, Duration::from_secs(180));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{report}"
    );
    eprintln!(
        "{}",
        report.lines().rev().take(12).collect::<Vec<_>>().join("\n")
    );
}
