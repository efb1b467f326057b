//! Command-line arguments (clap derive). Defaults live here, next to their help text.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use csgen_model::{Format, Shard, ShardSpec};
use csgen_pipeline::ddl::TableName;
use csgen_pipeline::endpoint::duration;
use csgen_pipeline::{LakeSpec, SourceSpec};
use csgen_sinks::SinkSpec;
use csgen_sinks::lake::LakeSinkSpec;

/// csgen: a clickstream generator and data-lake pipeline.
///
/// Simulated shoppers browse product groups and products of a web store; every click
/// goes to a sink (stdout, a file, a stream). Configuration is the original generator's
/// properties file (`--config FILE` or CS_CONFIG_FILE); without one, csgen uses the
/// original's example store.
#[derive(Debug, Parser)]
#[command(
    name = "csgen",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate clicks into a sink, as fast as possible or at --rate.
    Generate(GenerateArgs),
    /// Run the HTTP control server (starts stopped, as the original did).
    Serve(ServeArgs),
    /// Everything in one process: simulated shoppers, enrich, a local Parquet lake, the
    /// dashboard and the control API on 127.0.0.1. No configuration, no cloud account.
    Demo(DemoArgs),
    /// Validate a configuration and print the model it describes.
    Check(ConfigArgs),
    /// Turn raw click records into semantic events and land them in a Parquet lake.
    Enrich(EnrichArgs),
    /// Write the realistic model's products and customers tables into a lake, as
    /// `generate --sink lake:` does beside its events.
    Catalog(CatalogArgs),
    /// Print the Glue/Athena CREATE EXTERNAL TABLE statements for a lake's tables
    /// (events, products, customers).
    Ddl(DdlArgs),
    /// Run SQL over a lake: table `events`, with partition columns dt (DATE) and hour (INT).
    Query(QueryArgs),
    /// Print the standard reports over a lake, as text tables or JSON.
    Report(ReportArgs),
    /// Check a lake against a run's ground-truth manifest (exit 1 with a report if not).
    Verify(VerifyArgs),
    /// Run an HTTP collector: POSTed batches and pixel GETs into any sink.
    Collect(CollectArgs),
    /// Read a control token on stdin and print the config line with its SHA-256 digest.
    TokenHash,
}

impl Command {
    pub fn default_log_level(&self) -> &'static str {
        match self {
            Command::Serve(_) => "info",
            _ => "warn",
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// Properties file (the original's classic model) or TOML file (the realistic model,
    /// see examples/store.toml). Default: CS_CONFIG_FILE, else the built-in classic store.
    #[arg(long, short, env = "CS_CONFIG_FILE", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Options shared by `generate` and `serve`: what to generate and where it goes.
#[derive(Debug, clap::Args)]
pub struct StreamArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    /// Random seed; the same config and seed give the same events. Default: random (printed).
    #[arg(long)]
    pub seed: Option<u64>,

    /// Record format: url (the original's payload), json (raw click record) or
    /// url-object (the original's Kinesis payload {"url": ...}).
    #[arg(long, default_value = "json", value_parser = parse_format)]
    pub format: Format,

    /// Where records go (default stdout); the forms are listed in --help.
    #[arg(long, value_name = "SPEC", value_parser = parse_sink, long_help = sink_help())]
    pub sink: Option<SinkSpec>,

    /// Endpoint URL for AWS services (e.g. a local Kinesis server); overrides AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Emit only shard I of N (1-based) of the logical stream; N shards together emit it
    /// once. env:VAR/N takes a 0-based index from the variable VAR, as orchestrators give
    /// it (Kubernetes Indexed Jobs: env:JOB_COMPLETION_INDEX/16; AWS Batch:
    /// env:AWS_BATCH_JOB_ARRAY_INDEX/N); N may be env:VAR2 too.
    #[arg(long, value_name = "I/N", default_value = "1/1")]
    pub shard: ShardSpec,

    /// How long the final flush may take before csgen reports what is undelivered.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub flush_timeout: Duration,

    /// librdkafka properties for a kafka: sink (SASL, TLS, ...), one key=value per line.
    /// CSGEN_KAFKA_* variables add to and override them (CSGEN_KAFKA_SASL_PASSWORD sets
    /// sasl.password), so that secrets stay off the command line. See docs/sinks.md.
    #[arg(long, value_name = "FILE")]
    pub kafka_config: Option<PathBuf>,
}

impl StreamArgs {
    /// The `--shard` of this process, reading `env:` variables from its environment.
    pub fn shard(&self) -> Result<Shard, crate::UsageError> {
        resolve_shard(&self.shard)
    }
}

/// `spec` with its `env:` variables read from this process's environment.
pub fn resolve_shard(spec: &ShardSpec) -> Result<Shard, crate::UsageError> {
    spec.resolve(&|var| std::env::var_os(var).map(|v| v.to_string_lossy().into_owned()))
        .map_err(|e| crate::UsageError(e.to_string()))
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub stream: StreamArgs,

    /// Stop after the first N events of the logical stream (a shard emits its share of them).
    #[arg(long, short = 'n')]
    pub count: Option<u64>,

    /// Stop after this long, e.g. 10s, 5m.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,

    /// Events per second (smooth pacing). Default: as fast as possible.
    #[arg(long, value_parser = parse_rate)]
    pub rate: Option<f64>,

    /// Output file, or - for stdout (shorthand for --sink file:PATH / stdout).
    #[arg(long, short, value_name = "PATH", conflicts_with = "sink")]
    pub output: Option<PathBuf>,

    /// Event time of the first event (RFC 3339, e.g. 2026-11-01T00:00:00Z). Default: now.
    #[arg(long, value_name = "TIME", value_parser = parse_time, conflicts_with = "from")]
    pub start: Option<i64>,

    /// Backfill from this time (2026-11-01 or RFC 3339, UTC) as fast as possible.
    #[arg(long, value_name = "TIME", value_parser = parse_time, requires = "to")]
    pub from: Option<i64>,

    /// End of the backfill (exclusive).
    #[arg(long, value_name = "TIME", value_parser = parse_time, requires = "from")]
    pub to: Option<i64>,

    /// After the backfill, continue in real time (realistic model).
    #[arg(long, requires = "to")]
    pub then_live: bool,

    /// Where to write the ground-truth manifest (realistic model): a file, or
    /// s3://BUCKET/KEY. Default: beside a file sink's output as FILE.truth.json; none
    /// for other sinks.
    #[arg(long, value_name = "PATH")]
    pub truth: Option<PathBuf>,

    /// Worker threads when running as fast as possible (unpaced, or a backfill of the
    /// realistic model), at most 256; 0 = one per core (for a realistic backfill at
    /// most 4, each with an encoder thread beside it). The output is the same for any
    /// number.
    #[arg(long, default_value_t = 0, value_parser = parse_threads)]
    pub threads: usize,
}

#[derive(Debug, clap::Args)]
pub struct EnrichArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    /// Raw records: - (stdin), a file or a stream; the forms are listed in --help.
    #[arg(long, value_name = "SOURCE", value_parser = parse_source, long_help = source_help())]
    pub from: SourceSpec,

    /// The lake: lake:PATH or lake:s3://BUCKET/PREFIX, with the lake sink's options
    /// (max-age, max-buffer-mib, max-partitions, compression, flush-behind, too-old,
    /// too-far-ahead; see docs/pipeline.md), e.g. lake:./lake?max-age=10s&too-old=30d.
    #[arg(long, value_name = "SINK", value_parser = parse_lake_sink)]
    pub to: LakeSinkSpec,

    /// Endpoint URL for AWS services (e.g. a local Kinesis or S3 server); overrides AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// A user's clicks further apart than this start a new session (records without one).
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    pub session_gap: Duration,

    /// Flush the lake's buffers when the oldest is this old (default 5m, or the lake
    /// spec's max-age).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_age: Option<Duration>,

    /// Flush when the buffered records reach this many MiB (1 to 4096; default 64, or
    /// the lake spec's max-buffer-mib).
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub max_buffer_mib: Option<u16>,

    /// librdkafka properties for a kafka: source (SASL, TLS, session.timeout.ms, ...),
    /// one key=value per line; CSGEN_KAFKA_* variables add to and override them.
    #[arg(long, value_name = "FILE")]
    pub kafka_config: Option<PathBuf>,
}

/// `csgen catalog`: the dimension tables of a realistic config and seed, on their own.
#[derive(Debug, clap::Args)]
pub struct CatalogArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    /// The seed of the run whose tables these are (the same config and seed give the
    /// same products and customers as `generate --sink lake:` writes).
    #[arg(long)]
    pub seed: u64,

    /// The lake: lake:PATH or lake:s3://BUCKET/PREFIX (compression= as for the lake
    /// sink); products/ and customers/ are written (replaced) there.
    #[arg(long, value_name = "LAKE", value_parser = parse_lake_sink)]
    pub to: LakeSinkSpec,

    /// Write shard I of N's customers (and, for shard 1, the products), as that shard
    /// of a sharded `generate` does; env:VAR/N as for generate.
    #[arg(long, value_name = "I/N", default_value = "1/1")]
    pub shard: ShardSpec,

    /// Endpoint URL for S3 (e.g. a local S3 server); overrides AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct DdlArgs {
    /// The lake: a folder or s3://BUCKET/PREFIX (lake: prefix optional).
    #[arg(long, value_parser = parse_lake)]
    pub lake: LakeSpec,

    /// The events table's name: NAME or DATABASE.NAME (letters, digits, underscores).
    #[arg(long, default_value = "events", value_parser = parse_table)]
    pub table: TableName,

    /// The products table's name. Default: products, in --table's database.
    #[arg(long, value_name = "NAME", value_parser = parse_table)]
    pub products_table: Option<TableName>,

    /// The customers table's name. Default: customers, in --table's database.
    #[arg(long, value_name = "NAME", value_parser = parse_table)]
    pub customers_table: Option<TableName>,

    /// First day of the partition projection (e.g. 2026-11-01). Default: the lake's
    /// first dt= partition, which means reading the lake.
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub since: Option<chrono::NaiveDate>,
}

#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The lake: a folder or s3://BUCKET/PREFIX (lake: prefix optional).
    #[arg(long, value_parser = parse_lake)]
    pub lake: LakeSpec,

    /// The query, e.g. "SELECT event_type, count(*) FROM events WHERE dt = '2026-11-01' GROUP BY 1".
    pub sql: String,

    /// Output: table (aligned text), csv (with a header) or json (an array of objects).
    #[arg(long, default_value = "table", value_parser = parse_output)]
    pub format: csgen_analytics::output::Format,

    /// Then print on stderr how many rows, how long, and which files and partitions were
    /// read (a filter on dt/hour reads only those partitions' files).
    #[arg(long)]
    pub stats: bool,

    /// Also run statements that write files or change the session (COPY ... TO, CREATE,
    /// INSERT, SET). Without it the query is read-only.
    #[arg(long)]
    pub allow_write: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The lake: a folder or s3://BUCKET/PREFIX (lake: prefix optional).
    #[arg(long, value_parser = parse_lake, required_unless_present = "sql")]
    pub lake: Option<LakeSpec>,

    /// Only hour partitions from this time (2026-11-01 or RFC 3339, UTC; rounded down to the hour).
    #[arg(long, value_name = "TIME", value_parser = parse_utc)]
    pub from: Option<chrono::DateTime<chrono::Utc>>,

    /// Only hour partitions that start before this time.
    #[arg(long, value_name = "TIME", value_parser = parse_utc)]
    pub to: Option<chrono::DateTime<chrono::Utc>>,

    /// Print the reports as one JSON document (the dashboard's format).
    #[arg(long)]
    pub json: bool,

    /// Print the reports' SQL instead of running them (with --json: as JSON).
    #[arg(long)]
    pub sql: bool,

    /// Print on stderr how long each report took.
    #[arg(long)]
    pub timings: bool,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The lake: a folder or s3://BUCKET/PREFIX (lake: prefix optional).
    #[arg(long, value_parser = parse_lake)]
    pub lake: LakeSpec,

    /// The run's ground-truth manifest (`csgen generate --truth FILE`): a file or
    /// s3://BUCKET/KEY. A sharded run has one per shard: give each (--truth A --truth B,
    /// or --truth A B), or a folder or s3://BUCKET/PREFIX/ holding them (every *.json in
    /// it); they are merged, and refused if they are not the shards of one run (seed,
    /// config, format, window) or repeat a shard.
    #[arg(long, value_name = "FILE", required = true, num_args = 1.., action = clap::ArgAction::Append)]
    pub truth: Vec<PathBuf>,

    /// The run's model config (TOML). With it, the run is regenerated: every missing or
    /// stray event id is named, and the lake's distributions are tested against the
    /// config. Without it, counts and the labelled faults are checked.
    #[arg(long, short, env = "CS_CONFIG_FILE", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Significance level of each chi-square test.
    #[arg(long, default_value_t = 0.001, value_parser = parse_alpha)]
    pub alpha: f64,

    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The lake folder (created; it must be new or empty).
    #[arg(long, value_name = "DIR", default_value = "csgen-demo")]
    pub lake: PathBuf,

    /// Address of the dashboard and control API (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// How much of the recent past to generate at once before going live (0s: none).
    #[arg(long, value_name = "DURATION", default_value = "6h", value_parser = parse_duration)]
    pub backfill: Duration,

    /// Commit the lake's buffered events when the oldest is this old, so that the
    /// dashboard's reports follow the data.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub max_age: Duration,

    /// Random seed. Default: random (printed in the summary).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// `csgen collect`: every limit of the collector, with its default (docs/collect.md).
#[derive(Debug, clap::Args)]
pub struct CollectArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Where collected records go (default stdout); the forms are listed in --help.
    #[arg(long, value_name = "SPEC", value_parser = parse_sink, long_help = sink_help())]
    pub sink: Option<SinkSpec>,

    /// Endpoint URL for AWS services (e.g. a local Kinesis server); overrides AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// librdkafka properties for a kafka: sink, as for `generate` (CSGEN_KAFKA_*
    /// variables add to and override them). See docs/sinks.md.
    #[arg(long, value_name = "FILE")]
    pub kafka_config: Option<PathBuf>,

    /// File holding the bearer token clients must send (else CSGEN_COLLECT_TOKEN; with
    /// neither, no token is asked for). Never on the command line.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Largest request body in MiB, also once gzip-decoded.
    #[arg(long, value_name = "MIB", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_body_mib: u32,

    /// Most records in one request.
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub max_records: u32,

    /// Largest record in KiB.
    #[arg(long, value_name = "KIB", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub max_record_kib: u32,

    /// Records accepted but not yet delivered, over all requests; beyond, 429.
    #[arg(long, value_name = "N", default_value_t = 200_000, value_parser = clap::value_parser!(u32).range(1..=100_000_000))]
    pub buffer_records: u32,

    /// Longest a client may take to send its request line and headers.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_timeout)]
    pub header_timeout: Duration,

    /// Longest a request may take, body and delivery included.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_timeout)]
    pub request_timeout: Duration,

    /// Connections open at once; more wait in the listen backlog.
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub max_connections: u32,

    /// How long the final flush may take before csgen reports what is undelivered.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub flush_timeout: Duration,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub stream: StreamArgs,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// Clicks per second while running (classic model; the realistic model follows its
    /// traffic profile). Default: the config's clicks-per-second.
    #[arg(long, value_parser = parse_rate)]
    pub rate: Option<f64>,

    /// Also answer requests that name this host (repeatable). Without it, only the bind
    /// address (and localhost for a loopback bind) is accepted in the Host header, which
    /// keeps web pages from reading the API through DNS rebinding.
    #[arg(long, value_name = "NAME")]
    pub allow_host: Vec<String>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_sink(s: &str) -> Result<SinkSpec, String> {
    s.parse().map_err(|e: csgen_sinks::SpecError| e.to_string())
}

fn parse_source(s: &str) -> Result<SourceSpec, String> {
    s.parse()
        .map_err(|e: csgen_pipeline::endpoint::SpecError| e.to_string())
}

fn parse_lake_sink(s: &str) -> Result<LakeSinkSpec, String> {
    s.parse()
}

/// `--sink`'s long help: the registry's forms, one per line.
fn sink_help() -> String {
    format!(
        "Where records go (default stdout). See docs/sinks.md for each sink's options.\n\n{}",
        SinkSpec::help()
    )
}

/// `--from`'s long help: the registry's forms, one per line.
fn source_help() -> String {
    format!(
        "Raw records, one per line. See docs/pipeline.md for each source's options.\n\n{}",
        SourceSpec::help()
    )
}

fn parse_alpha(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(a) if a > 0.0 && a < 1.0 => Ok(a),
        _ => Err(format!("{s:?} is not a significance level between 0 and 1")),
    }
}

fn parse_lake(s: &str) -> Result<LakeSpec, String> {
    s.strip_prefix("lake:").unwrap_or(s).parse()
}

fn parse_table(s: &str) -> Result<TableName, String> {
    s.parse()
}

fn parse_day(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| format!("{s:?} is not a date like 2026-11-01: {e}"))
}

fn parse_output(s: &str) -> Result<csgen_analytics::output::Format, String> {
    s.parse()
}

fn parse_utc(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    parse_time(s).and_then(|ms| {
        chrono::DateTime::from_timestamp_millis(ms).ok_or_else(|| format!("{s:?} is out of range"))
    })
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    duration::parse_any(s)
}

/// A timeout: 1ms to 1h.
fn parse_timeout(s: &str) -> Result<Duration, String> {
    duration::parse(s, Duration::from_millis(1), Duration::from_secs(3600))
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let rate = s
        .parse::<f64>()
        .map_err(|_| format!("{s:?} is not a rate (events per second)"))?;
    csgen_model::rate::check(rate).map_err(|e| e.to_string())
}

fn parse_threads(s: &str) -> Result<usize, String> {
    let max = csgen_pacer::MAX_THREADS;
    match s.parse::<usize>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(format!(
            "{s:?} is not a number of threads from 0 (one per core) to {max}"
        )),
    }
}

/// RFC 3339, or a date meaning its midnight UTC.
fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(day) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(day
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .timestamp_millis());
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|e| {
            format!(
                "{s:?} is not a date (2026-11-01) or an RFC 3339 time (2026-11-01T06:00:00Z): {e}"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_argument_definitions_are_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn help_snapshots() {
        let mut cmd = Args::command().term_width(100);
        insta::assert_snapshot!("help", cmd.render_long_help().to_string());
        for sub in [
            "generate", "serve", "check", "enrich", "ddl", "query", "report", "demo", "verify",
            "collect", "catalog",
        ] {
            let mut s = cmd
                .find_subcommand_mut(sub)
                .unwrap()
                .clone()
                .term_width(100);
            insta::assert_snapshot!(format!("help_{sub}"), s.render_long_help().to_string());
        }
    }
}
