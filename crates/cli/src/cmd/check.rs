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
        let c = &r.catalog;
        let medians: Vec<String> = r
            .store
            .groups
            .iter()
            .zip(&c.groups)
            .map(|(g, gc)| {
                let median = gc.price.median_minor / c.currency.minor_per_unit() as f64;
                let digits = usize::from(c.currency.digits());
                format!("{} {median:.digits$}", g.name)
            })
            .collect();
        let products: u64 = r.store.groups.iter().map(|g| g.products.len()).sum();
        println!(
            "catalog:        {products} products in {}; median list prices: {}",
            c.currency,
            medians.join(", ")
        );
    }
    Ok(())
}
