//! deploy/: the Kubernetes manifests validate against the Kubernetes schemas and say
//! what the README promises, the systemd unit passes `systemd-analyze verify` and is
//! hardened, and the container image built from the Containerfile is complete: its
//! exported root file system runs csgen as the non-root user with nothing else.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use csgen_testkit::{missing, python, repo_root};

use crate::support::{TempDir, wait_with_deadline};

/// A file under deploy/.
pub fn path(rel: &str) -> PathBuf {
    repo_root().join("deploy").join(rel)
}

/// Runs a tool with a deadline; `None` (or a CI failure) when it is not installed.
fn tool(program: &str, args: &[&str]) -> Option<Output> {
    let child = match Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return missing(program),
        Err(e) => panic!("{program}: {e}"),
    };
    Some(wait_with_deadline(child, Duration::from_secs(120)))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The YAML documents of a manifest file as JSON (through PyYAML in the venv).
pub fn yaml_documents(path: &Path) -> Option<Vec<serde_json::Value>> {
    let py = python(&["yaml"])?;
    let out = Command::new(py)
        .args([
            "-c",
            "import sys, json, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn kubernetes_validate(files: &[PathBuf]) -> Option<Output> {
    let bin = repo_root().join(".venv/bin/kubernetes-validate");
    if !bin.is_file() {
        return missing("kubernetes-validate in .venv");
    }
    let mut args = vec!["--strict".to_owned()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    tool(bin.to_str().unwrap(), &args)
}

#[test]
fn kubernetes_manifests_validate_against_the_schemas() {
    let files: Vec<PathBuf> = [
        "backfill-job.yaml",
        "live-statefulset.yaml",
        "serviceaccount.yaml",
    ]
    .iter()
    .map(|f| path(&format!("kubernetes/{f}")))
    .collect();
    let Some(out) = kubernetes_validate(&files) else {
        return;
    };
    assert!(out.status.success(), "{}", text(&out));
    // The validator can fail: a misspelt field of the Job is refused.
    let dir = TempDir::new("k8s-bad");
    let bad = dir.path("bad-job.yaml");
    let job = std::fs::read_to_string(&files[0]).unwrap();
    std::fs::write(
        &bad,
        job.replace("backoffLimitPerIndex:", "backoffLimitPerIndx:"),
    )
    .unwrap();
    let Some(out) = kubernetes_validate(&[bad]) else {
        return;
    };
    assert!(
        !out.status.success(),
        "a misspelt field must fail: {}",
        text(&out)
    );
    assert!(text(&out).contains("backoffLimitPerIndx"), "{}", text(&out));
}

/// The container of a workload's pod template.
fn container(doc: &serde_json::Value) -> &serde_json::Value {
    &doc["spec"]["template"]["spec"]["containers"][0]
}

pub fn args(doc: &serde_json::Value) -> Vec<String> {
    container(doc)["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_indexed_job_never_runs_two_pods_for_one_shard_and_its_shard_count_is_its_completions() {
    let Some(docs) = yaml_documents(&path("kubernetes/backfill-job.yaml")) else {
        return;
    };
    let job = &docs[0];
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(spec["podReplacementPolicy"], "Failed");
    assert!(
        spec["backoffLimitPerIndex"]
            .as_u64()
            .is_some_and(|n| n >= 1)
    );
    assert_eq!(spec["template"]["spec"]["restartPolicy"], "Never");
    let completions = spec["completions"].as_u64().unwrap();
    let job_args = args(job);
    assert!(
        job_args.contains(&format!("--shard=env:JOB_COMPLETION_INDEX/{completions}")),
        "{job_args:?}"
    );
    // Each shard leaves its own ground truth somewhere that outlives the pod.
    assert!(
        job_args
            .iter()
            .any(|a| a.starts_with("--truth=s3://") && a.contains("$(JOB_COMPLETION_INDEX)")),
        "{job_args:?}"
    );
    assert_no_literal_credentials(job);
    let Some(docs) = yaml_documents(&path("kubernetes/live-statefulset.yaml")) else {
        return;
    };
    let set = docs.iter().find(|d| d["kind"] == "StatefulSet").unwrap();
    let replicas = set["spec"]["replicas"].as_u64().unwrap();
    assert!(args(set).contains(&format!("--shard=env:POD_INDEX/{replicas}")));
    let env = container(set)["env"].as_array().unwrap();
    let pod_index = env.iter().find(|e| e["name"] == "POD_INDEX").unwrap();
    assert_eq!(
        pod_index["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.labels['apps.kubernetes.io/pod-index']"
    );
    assert_no_literal_credentials(set);
}

fn assert_no_literal_credentials(doc: &serde_json::Value) {
    let text = doc.to_string();
    for secret in ["AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "CS_TOKEN"] {
        assert!(!text.contains(secret), "{secret} written in a manifest");
    }
    let from = &container(doc)["envFrom"][0]["secretRef"];
    assert_eq!(
        from["name"], "csgen-aws",
        "credentials come from a Secret (or IRSA)"
    );
}

/// The unit with ExecStart pointing at the binary under test (verify checks that the
/// program exists).
fn unit_copy(dir: &TempDir, edit: impl Fn(String) -> String) -> PathBuf {
    let unit = std::fs::read_to_string(path("systemd/csgen.service")).unwrap();
    let unit = unit.replace("/usr/local/bin/csgen", env!("CARGO_BIN_EXE_csgen"));
    let path = dir.path("csgen.service");
    std::fs::write(&path, edit(unit)).unwrap();
    path
}

#[test]
fn the_systemd_unit_verifies_and_is_hardened() {
    let dir = TempDir::new("systemd");
    let unit = unit_copy(&dir, |u| u);
    let Some(out) = tool("systemd-analyze", &["verify", unit.to_str().unwrap()]) else {
        return;
    };
    // verify exits 0 on a value it ignores, so any message is a failure too.
    assert!(
        out.status.success() && text(&out).trim().is_empty(),
        "{}",
        text(&out)
    );
    let bad = unit_copy(&dir, |u| {
        u.replace("ProtectSystem=strict", "ProtectSystem=stricter")
    });
    let out = tool("systemd-analyze", &["verify", bad.to_str().unwrap()]).unwrap();
    assert!(
        text(&out).contains("stricter"),
        "a bad value must be reported: {}",
        text(&out)
    );

    let unit_text = std::fs::read_to_string(path("systemd/csgen.service")).unwrap();
    for setting in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "NoNewPrivileges=yes",
        "EnvironmentFile=-/etc/csgen/csgen.env",
    ] {
        assert!(unit_text.lines().any(|l| l == setting), "{setting} missing");
    }
    // The token comes from the environment file, never from a setting of the unit.
    assert!(
        !unit_text
            .lines()
            .any(|l| !l.starts_with('#') && l.contains("CS_TOKEN")),
        "the token is never in the unit"
    );

    let unit = unit_copy(&dir, |u| u);
    let out = tool(
        "systemd-analyze",
        &["security", "--offline=true", unit.to_str().unwrap()],
    )
    .unwrap();
    let all = text(&out);
    let exposure: f64 = all
        .lines()
        .find_map(|l| l.split("Overall exposure level for csgen.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in: {all}"));
    assert!(
        exposure <= 2.0,
        "exposure {exposure} (systemd calls <= 2 OK): {all}"
    );
}

/// podman with its own storage in `dir` (no daemon, nothing left behind).
fn podman(dir: &Path, args: &[&str]) -> Option<Output> {
    let root = dir.join("storage");
    let run = dir.join("run");
    let mut all = vec![
        "--root",
        root.to_str().unwrap(),
        "--runroot",
        run.to_str().unwrap(),
        "--storage-driver",
        "vfs",
    ];
    all.extend_from_slice(args);
    tool("podman", &all)
}

#[test]
fn the_container_image_runs_csgen_as_a_non_root_user_from_its_exported_root_fs() {
    let dir = TempDir::new("image");
    let ctx = dir.path("context");
    let out = Command::new(path("container/context.sh"))
        .args([env!("CARGO_BIN_EXE_csgen"), ctx.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let tag = format!("localhost/csgen-test:{}", std::process::id());
    let containerfile = path("container/Containerfile");
    let Some(out) = podman(
        &dir.0,
        &[
            "build",
            "--layers=false",
            "--network=none",
            "-f",
            containerfile.to_str().unwrap(),
            "-t",
            &tag,
            ctx.to_str().unwrap(),
        ],
    ) else {
        return;
    };
    assert!(out.status.success(), "podman build: {}", text(&out));
    let out = podman(
        &dir.0,
        &[
            "inspect",
            "--format",
            "{{.Config.User}} {{json .Config.Entrypoint}}",
            &tag,
        ],
    )
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"65532:65532 ["/usr/local/bin/csgen"]"#
    );
    let out = podman(&dir.0, &["create", "--name", "csgen-export", &tag]).unwrap();
    assert!(out.status.success(), "podman create: {}", text(&out));
    let tar = dir.path("rootfs.tar");
    let out = podman(
        &dir.0,
        &["export", "-o", tar.to_str().unwrap(), "csgen-export"],
    )
    .unwrap();
    assert!(out.status.success(), "podman export: {}", text(&out));
    let rootfs = dir.path("rootfs");
    std::fs::create_dir_all(&rootfs).unwrap();
    let out = tool(
        "tar",
        &["-C", rootfs.to_str().unwrap(), "-xf", tar.to_str().unwrap()],
    )
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // Nothing but csgen and what it links: no shell, no package manager.
    assert!(!rootfs.join("bin/sh").exists() && !rootfs.join("usr/bin").exists());

    let chroot = |args: &[&str]| {
        let mut all = vec![
            "--userspec=65532:65532",
            rootfs.to_str().unwrap(),
            "/usr/local/bin/csgen",
        ];
        all.extend_from_slice(args);
        tool("chroot", &all).unwrap()
    };
    let out = chroot(&["--version"]);
    assert!(out.status.success(), "csgen in the image: {}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("csgen {}", env!("CARGO_PKG_VERSION"))
    );
    // A small run into a lake in the image's /tmp, as the image's user.
    let out = chroot(&[
        "generate",
        "--count",
        "500",
        "--seed",
        "3",
        "--start",
        "2026-11-01T00:00:00Z",
        "--sink",
        "lake:/tmp/lake",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("delivered 500"), "{}", text(&out));
    let part = rootfs.join("tmp/lake/events/dt=2026-11-01/hour=00");
    let files: Vec<_> = std::fs::read_dir(&part).unwrap().collect();
    assert_eq!(files.len(), 1, "one Parquet file in {}", part.display());
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(files[0].as_ref().unwrap().path()).unwrap();
    assert_eq!(meta.uid(), 65532, "written by the image's user, not root");
    let _ = podman(&dir.0, &["rm", "-f", "csgen-export"]);
    let _ = podman(&dir.0, &["rmi", "-f", &tag]);
}
