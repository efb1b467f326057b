//! The `csgen` command line: argument definitions and one function per subcommand.
//! All the work is done by the library crates; this crate only wires them up.

mod args;
mod cmd;
mod config;
mod logging;
mod reports;
mod sink;
mod truth;

pub use args::{Args, Command};

/// A problem with what the user asked for (arguments or configuration): exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Runs a parsed command line.
pub fn run(args: Args) -> anyhow::Result<()> {
    logging::init(args.command.default_log_level());
    match args.command {
        Command::Generate(a) => cmd::generate::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Demo(a) => cmd::demo::run(a),
        Command::Check(a) => cmd::check::run(a),
        Command::Enrich(a) => cmd::enrich::run(a),
        Command::Catalog(a) => cmd::catalog::run(a),
        Command::Ddl(a) => cmd::ddl::run(a),
        Command::Query(a) => cmd::query::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Verify(a) => cmd::verify::run(a),
        Command::Collect(a) => cmd::collect::run(a),
        Command::TokenHash => cmd::token_hash::run(),
    }
}

/// The exit status for an error: 2 for bad usage or configuration, 1 otherwise.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    let usage = e.chain().any(|c| {
        c.is::<UsageError>()
            || c.is::<csgen_model::ConfigError>()
            || c.is::<csgen_model::Problem>()
            || c.is::<csgen_pipeline::endpoint::kafka::KafkaConfigError>()
            || c.downcast_ref::<csgen_analytics::AnalyticsError>()
                .is_some_and(|e| e.is_usage())
    });
    if usage { 2 } else { 1 }
}
