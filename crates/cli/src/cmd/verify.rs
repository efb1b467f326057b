//! `csgen verify`: the lake against a run's ground-truth manifest. Exit 0 when the
//! lake preserved everything, 1 with the report when not, 2 when the lake, manifest
//! or config cannot be used. The manifests of a sharded run's shards are merged into
//! the run's first (`csgen_model::run::merge` refuses those of different runs).

use std::path::Path;

use anyhow::anyhow;
use csgen_analytics::Lake;
use csgen_analytics::verify::{self, Options};
use csgen_model::{ModelConfig, RealisticConfig, Shard};

use super::runtime;
use crate::UsageError;
use crate::args::{ConfigArgs, VerifyArgs};

pub fn run(a: VerifyArgs) -> anyhow::Result<()> {
    let runtime = runtime()?;
    let parts = runtime.block_on(crate::truth::read_all(&a.truth, &Default::default()))?;
    let manifest = csgen_model::run::merge(&parts)
        .map_err(|e| UsageError(format!("cannot merge the ground truths: {e}")))?;
    if let Some(missing) = missing_shards(&manifest.shards) {
        eprintln!("csgen: the ground truths do not cover every shard of the run: {missing}");
    }
    let config = match &a.config {
        Some(path) => Some(realistic_config(path)?),
        None => None,
    };
    let options = Options {
        config,
        alpha: a.alpha,
        truth_name: crate::truth::name(&parts),
    };
    // An analytics error keeps its kind: `exit_code` gives 2 for the usage ones.
    let report = runtime.block_on(async {
        let lake = Lake::open_allow_empty(&a.lake).await?;
        anyhow::Ok(verify::verify(&lake, &manifest, &options).await?)
    })?;
    if a.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", verify::render(&report));
    }
    if report.passed() {
        Ok(())
    } else {
        Err(anyhow!(
            "verify: lake {} does not match {}",
            report.lake,
            report.truth
        ))
    }
}

/// The shards of the run no manifest covers, if any (a few, and how many). `merge` has
/// checked that every shard is `I/N` with one N.
fn missing_shards(shards: &[String]) -> Option<String> {
    let have: Vec<Shard> = shards.iter().filter_map(|s| s.parse().ok()).collect();
    let n = have.first()?.count();
    let mut covered = vec![false; usize::try_from(n).ok()?];
    for s in &have {
        covered[(s.index() - 1) as usize] = true;
    }
    let missing: Vec<String> = (1..=n)
        .filter(|i| !covered[(*i - 1) as usize])
        .map(|i| format!("{i}/{n}"))
        .collect();
    match missing.len() {
        0 => None,
        k if k <= 5 => Some(format!("missing {}", missing.join(", "))),
        k => Some(format!("missing {k} of {n}, {} …", missing[..5].join(", "))),
    }
}

fn realistic_config(path: &Path) -> anyhow::Result<RealisticConfig> {
    let source = crate::config::load(&ConfigArgs {
        config: Some(path.to_owned()),
    })?;
    match source.model {
        ModelConfig::Realistic(c) => Ok(*c),
        ModelConfig::Classic(_) => Err(anyhow::Error::new(UsageError(format!(
            "configuration {} is a classic (properties) config; a manifest comes from the \
             realistic model: pass the TOML config of the run",
            path.display()
        )))),
    }
}
