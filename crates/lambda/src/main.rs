//! `csgen-lambda`: the function's `bootstrap`. Reads the settings from the environment
//! (see `settings.rs`) and runs the handler they choose under `lambda_runtime`.

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // CloudWatch adds its own timestamps; RUST_LOG or AWS_LAMBDA_LOG_LEVEL filter.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .without_time()
        .with_ansi(false)
        .init();
    let settings = csgen_lambda::Settings::from_env(|k| std::env::var(k).ok())?;
    csgen_lambda::run(settings).await
}
