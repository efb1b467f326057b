//! The AWS stack template under cfn-lint (PyPI, installed by scripts/setup.sh).

use std::process::Command;
use std::time::Duration;

use csgen_testkit::{missing, output_within, repo_root};

use crate::support::text;

fn cfn_lint() -> Option<std::path::PathBuf> {
    let bin = repo_root().join(".venv/bin/cfn-lint");
    if bin.is_file() {
        Some(bin)
    } else {
        missing("cfn-lint (.venv/bin/cfn-lint)")
    }
}

#[test]
fn cfn_lint_passes_on_the_stack_template_and_fails_on_a_broken_copy() {
    let Some(lint) = cfn_lint() else { return };
    let template = repo_root().join("deploy/aws/csgen-stack.yaml");
    let out = output_within(Command::new(&lint).arg(&template), Duration::from_secs(120));
    assert!(
        out.status.success(),
        "cfn-lint: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    // The linter does look: a mapping without its stream, and a function on a runtime
    // that does not exist, are both reported.
    let yaml = std::fs::read_to_string(&template).unwrap();
    let broken = yaml
        .replace("      EventSourceArn: !GetAtt ClickStream.Arn\n", "")
        .replace("Runtime: provided.al2023", "Runtime: provided.al1999");
    assert_ne!(broken, yaml);
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("broken.yaml");
    std::fs::write(&copy, broken).unwrap();
    let out = output_within(Command::new(&lint).arg(&copy), Duration::from_secs(120));
    assert!(!out.status.success());
    let report = text(&out.stdout);
    assert!(report.contains("provided.al1999"), "{report}");
}
