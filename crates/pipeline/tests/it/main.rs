//! Integration tests of the pipeline: real files, a real S3 API (moto on 127.0.0.1),
//! kinesalite on 127.0.0.1 for the Kinesis source, a real writer process killed with
//! SIGKILL, an independent Parquet reader (pyarrow and DuckDB from PyPI, installed by
//! scripts/setup.sh), and the readers' property tests and fuzz corpora.

mod checkpoints;
mod crash;
mod fuzz;
mod hostile;
mod kinesis;
mod local;
mod lock;
mod rerun;
mod s3;
mod support;
