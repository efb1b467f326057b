//! csgen's enrich as an AWS Lambda function.
//!
//! The original proof of concept enriched raw clicks in a Lambda function between a
//! Kinesis stream and S3. This crate is that function on csgen's own stages:
//!
//! - [`kinesis`]: a Kinesis event-source-mapping batch in, Parquet files in the S3 lake
//!   out (the layout and schema of `csgen enrich`), dead letters beside them, and a
//!   partial batch response (`ReportBatchItemFailures`) for what a retry can fix;
//! - [`intent`]: why a retried or bisected batch never leaves a record twice in the lake;
//! - [`firehose`]: a Firehose data transformation (records in, enriched JSON out);
//! - [`settings`]: the function's environment variables, checked before anything runs.
//!
//! The binary (`src/main.rs`, the function's `bootstrap`) only reads the settings and
//! hands the chosen handler to `lambda_runtime`.

pub mod firehose;
pub mod intent;
pub mod kinesis;
pub mod seq;
pub mod settings;

use std::sync::Arc;

use aws_lambda_events::event::firehose::KinesisFirehoseEvent;
use aws_lambda_events::event::kinesis::KinesisEvent;
use lambda_runtime::{LambdaEvent, service_fn};

pub use firehose::FirehoseFunction;
pub use kinesis::KinesisFunction;
pub use settings::{Handler, Settings, SettingsError};

/// Runs the handler `settings` choose until the Lambda service stops the process.
pub async fn run(settings: Settings) -> Result<(), lambda_runtime::Error> {
    match settings.handler {
        Handler::Kinesis => {
            let f = Arc::new(KinesisFunction::open(&settings).await?);
            lambda_runtime::run(service_fn(move |ev: LambdaEvent<KinesisEvent>| {
                let f = f.clone();
                async move {
                    f.handle(ev.payload)
                        .await
                        .map_err(lambda_runtime::Error::from)
                }
            }))
            .await
        }
        Handler::Firehose => {
            let f = Arc::new(FirehoseFunction::new(&settings));
            lambda_runtime::run(service_fn(move |ev: LambdaEvent<KinesisFirehoseEvent>| {
                let f = f.clone();
                async move { Ok::<_, lambda_runtime::Error>(f.handle(ev.payload)) }
            }))
            .await
        }
    }
}
