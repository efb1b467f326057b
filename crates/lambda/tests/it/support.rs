//! Starting the function, building Kinesis events, reading the lake back.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
pub use csgen_testkit::csgen_binary;
use csgen_testkit::{LambdaOutcome, RuntimeApi, repo_root};

pub fn store_toml() -> String {
    repo_root()
        .join("examples/store.toml")
        .display()
        .to_string()
}

/// The function process polling `api`; killed when dropped.
pub struct Function {
    pub api: RuntimeApi,
    child: Child,
}

impl Function {
    /// Starts `csgen-lambda` with `env` (plus what every Lambda runtime sets, and the
    /// local S3 endpoint `s3` with dummy credentials).
    pub fn start(s3: Option<&str>, env: &[(&str, &str)]) -> Self {
        let api = RuntimeApi::start();
        let mut cmd = function_command(&api);
        if let Some(s3) = s3 {
            cmd.env("AWS_ENDPOINT_URL", s3);
        }
        cmd.envs(env.iter().copied());
        let child = cmd
            .stdout(Stdio::null())
            .spawn()
            .expect("start csgen-lambda");
        Self { api, child }
    }

    /// Invokes with `event`; the handler's response as JSON (panics on an error).
    pub fn invoke(&self, event: &serde_json::Value) -> serde_json::Value {
        let bytes = serde_json::to_vec(event).unwrap();
        match self.api.invoke(&bytes, Duration::from_secs(60)) {
            Ok(LambdaOutcome::Response(body)) => serde_json::from_slice(&body).unwrap(),
            other => panic!("invocation failed: {other:?}"),
        }
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The function binary with the Lambda environment and local AWS settings.
pub fn function_command(api: &RuntimeApi) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_csgen-lambda"));
    cmd.env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", "csgen-test")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_ACCESS_KEY_ID", "csgen-test")
        .env("AWS_SECRET_ACCESS_KEY", "csgen-test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("CSGEN_LAKE")
        .env_remove("CSGEN_HANDLER")
        .env_remove("CSGEN_CONFIG");
    cmd
}

pub const ARN: &str = "arn:aws:kinesis:us-east-1:000000000000:stream/clicks";

/// A sequence number as Kinesis writes them (56 digits), the `n`-th of a shard.
pub fn seq(n: u64) -> String {
    format!("4959{n:052}")
}

/// An event source mapping's event: one Kinesis record per raw record of `records`
/// (`(sequence index, data)`), on shard `shardId-000000000000`, arriving at
/// `arrival_s` (Unix seconds).
pub fn kinesis_event(records: &[(u64, &[u8])], arrival_s: f64) -> serde_json::Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    let records: Vec<_> = records
        .iter()
        .map(|(n, data)| {
            serde_json::json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "p",
                    "sequenceNumber": seq(*n),
                    "data": b64.encode(data),
                    "approximateArrivalTimestamp": arrival_s,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("shardId-000000000000:{}", seq(*n)),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::000000000000:role/csgen",
                "awsRegion": "us-east-1",
                "eventSourceARN": ARN,
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}

/// Every object under `prefix` of the lake `url` with its bytes, sorted by path.
pub async fn snapshot(url: &str, s3: &str) -> Vec<(String, Vec<u8>)> {
    let store = open(url, s3).await;
    let mut out = Vec::new();
    for path in store.list("").await.unwrap() {
        let bytes = store.get(&path).await.unwrap().unwrap_or_default();
        out.push((path, bytes));
    }
    out
}

pub async fn open(url: &str, s3: &str) -> csgen_pipeline::lake::Store {
    csgen_testkit::local_aws_env();
    let spec: csgen_pipeline::LakeSpec = url.parse().unwrap();
    let settings = csgen_pipeline::AwsSettings {
        endpoint: Some(s3.to_owned()),
    };
    spec.open(&settings).await.unwrap()
}

/// Runs `csgen ARGS` with the local S3 endpoint, to the end (2 minutes at most).
pub fn csgen(csgen: &Path, s3: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(csgen);
    cmd.args(args)
        .env("AWS_ENDPOINT_URL", s3)
        .env("AWS_ACCESS_KEY_ID", "csgen-test")
        .env("AWS_SECRET_ACCESS_KEY", "csgen-test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    csgen_testkit::output_within(&mut cmd, Duration::from_secs(120))
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
