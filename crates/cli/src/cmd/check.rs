//! `csgen check`: validate a configuration and show what it means.

use csgen_model::ModelConfig;

use crate::args::ConfigArgs;

pub fn run(args: ConfigArgs) -> anyhow::Result<()> {
    let source = crate::config::load(&args)?;
    let kind = match &source.model {
        ModelConfig::Classic(_) => "classic model",
        ModelConfig::Realistic(_) => "realistic model",
    };
    println!("configuration: {} (valid, {kind})", source.origin);
    for w in source.model.warnings() {
        println!("warning: {w}");
    }
    println!("{}", source.store());
    if let ModelConfig::Realistic(r) = &source.model {
        println!(
            "customers:      {} in the population; {} sessions/day on average, {:.1} pages per session",
            r.customers.count,
            r.traffic.sessions_per_day,
            r.mean_pages()
        );
    }
    Ok(())
}
