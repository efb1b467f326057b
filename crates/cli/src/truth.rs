//! Where ground-truth manifests are written and read: local files, or S3 objects
//! (`s3://BUCKET/KEY`). The pods of a Kubernetes Job lose their disks when they end, so
//! a sharded backfill leaves each shard's manifest in S3, and `csgen verify` reads them
//! all from there (`--truth s3://BUCKET/PREFIX/`). S3 settings are the lake's (the
//! standard AWS environment, `AWS_ENDPOINT_URL` for a local server).

use std::path::{Path, PathBuf};

use csgen_model::Manifest;
use csgen_pipeline::{AwsSettings, LakeSpec};

use crate::UsageError;

/// Manifests larger than this are refused (a month of a busy store is a few MiB).
const MAX_MANIFEST_BYTES: usize = 256 << 20;

/// A manifest's place: a local path, or an object (or with a trailing `/`, a prefix).
enum Location {
    Local(PathBuf),
    S3 { lake: LakeSpec, key: String },
}

fn locate(path: &Path) -> anyhow::Result<Location> {
    let text = path.to_string_lossy();
    let Some(rest) = text.strip_prefix("s3://") else {
        return Ok(Location::Local(path.to_owned()));
    };
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() || key.is_empty() || key.split('/').any(|s| s == "..") {
        return Err(UsageError(format!(
            "ground truth {text:?}: expected s3://BUCKET/KEY (or s3://BUCKET/PREFIX/ to read)"
        ))
        .into());
    }
    let lake = LakeSpec::S3 {
        bucket: bucket.to_owned(),
        prefix: String::new(),
    };
    Ok(Location::S3 {
        lake,
        key: key.to_owned(),
    })
}

/// Checks that `path` names a place a manifest can be written to, before a run that
/// ends by writing it.
pub fn check_writable(path: &Path) -> anyhow::Result<()> {
    match locate(path)? {
        Location::S3 { key, .. } if key.ends_with('/') => Err(UsageError(format!(
            "ground truth {}: name an object to write, not a prefix",
            path.display()
        ))
        .into()),
        _ => Ok(()),
    }
}

/// Writes a manifest so that no reader sees it half-written.
pub async fn write(path: &Path, bytes: Vec<u8>, aws: &AwsSettings) -> anyhow::Result<()> {
    check_writable(path)?;
    match locate(path)? {
        Location::Local(path) => csgen_pipeline::lake::write_atomically(&path, &bytes)?,
        // A put is atomic on S3.
        Location::S3 { lake, key } => lake.open(aws).await?.put(&key, bytes).await?,
    }
    Ok(())
}

/// Reads the manifests `named`, each with the name errors and reports use: files and
/// objects as they are; local folders and S3 prefixes (ending in `/`) as every `*.json`
/// in them, sorted.
pub async fn read_all(
    named: &[PathBuf],
    aws: &AwsSettings,
) -> anyhow::Result<Vec<(String, Manifest)>> {
    let mut out = Vec::new();
    for path in named {
        match locate(path)? {
            Location::Local(p) if p.is_dir() => {
                let files = local_folder(&p)?;
                for f in files {
                    let bytes = read_local(&f)?;
                    out.push(parse(&f.display().to_string(), &bytes)?);
                }
            }
            Location::Local(p) => {
                let bytes = read_local(&p)?;
                out.push(parse(&p.display().to_string(), &bytes)?);
            }
            Location::S3 { lake, key } => {
                let store = lake.open(aws).await?;
                let base = path.to_string_lossy();
                let bucket_url = base.strip_suffix(key.as_str()).unwrap_or(&base).to_owned();
                let keys = match key.strip_suffix('/') {
                    Some(prefix) => {
                        let keys: Vec<String> = store
                            .list(prefix)
                            .await?
                            .into_iter()
                            .filter(|k| k.ends_with(".json"))
                            .collect();
                        if keys.is_empty() {
                            return Err(UsageError(format!(
                                "{base} holds no ground truth (*.json)"
                            ))
                            .into());
                        }
                        keys
                    }
                    None => vec![key.clone()],
                };
                for k in keys {
                    let name = format!("{bucket_url}{k}");
                    let bytes = store.get(&k).await?.ok_or_else(|| {
                        UsageError(format!("cannot read ground truth {name}: no such object"))
                    })?;
                    check_size(&name, bytes.len())?;
                    out.push(parse(&name, &bytes)?);
                }
            }
        }
    }
    Ok(out)
}

fn local_folder(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let unreadable =
        |e: std::io::Error| UsageError(format!("cannot read folder {}: {e}", dir.display()));
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let p = entry.map_err(unreadable)?.path();
        if p.extension().is_some_and(|e| e == "json") && p.is_file() {
            found.push(p);
        }
    }
    if found.is_empty() {
        return Err(UsageError(format!(
            "folder {} holds no ground truth (*.json)",
            dir.display()
        ))
        .into());
    }
    found.sort();
    Ok(found)
}

fn read_local(path: &Path) -> anyhow::Result<Vec<u8>> {
    let cannot =
        |e: std::io::Error| UsageError(format!("cannot read ground truth {}: {e}", path.display()));
    let len = std::fs::metadata(path).map_err(cannot)?.len();
    check_size(
        &path.display().to_string(),
        usize::try_from(len).unwrap_or(usize::MAX),
    )?;
    Ok(std::fs::read(path).map_err(cannot)?)
}

fn check_size(name: &str, len: usize) -> anyhow::Result<()> {
    if len > MAX_MANIFEST_BYTES {
        return Err(UsageError(format!(
            "ground truth {name} is {len} bytes, more than a manifest can be ({} MiB)",
            MAX_MANIFEST_BYTES >> 20
        ))
        .into());
    }
    Ok(())
}

fn parse(name: &str, bytes: &[u8]) -> anyhow::Result<(String, Manifest)> {
    let manifest = std::str::from_utf8(bytes)
        .map_err(|e| e.to_string())
        .and_then(|text| Manifest::from_json(text).map_err(|e| e.to_string()))
        .map_err(|e| UsageError(format!("ground truth {name} is not a csgen manifest: {e}")))?;
    Ok((name.to_owned(), manifest))
}

/// How a report names the manifests: the one, or how many and the first and last.
pub fn name(parts: &[(String, Manifest)]) -> String {
    match parts {
        [(one, _)] => one.clone(),
        [(first, _), .., (last, _)] => format!("{} manifests ({first} … {last})", parts.len()),
        [] => String::new(),
    }
}
