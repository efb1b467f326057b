//! `csgen check`: validate a configuration and show what it means.

use crate::args::ConfigArgs;

pub fn run(args: ConfigArgs) -> anyhow::Result<()> {
    let source = crate::config::load(&args)?;
    println!("configuration: {} (valid)", source.origin);
    for w in &source.warnings {
        println!("warning: {w}");
    }
    println!("{}", source.config);
    Ok(())
}
