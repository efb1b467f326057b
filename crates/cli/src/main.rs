//! The `csgen` binary: parses arguments and hands over to [`csgen_cli::run`].

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = csgen_cli::Args::parse();
    match csgen_cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("csgen: {e:#}");
            ExitCode::from(csgen_cli::exit_code(&e))
        }
    }
}
