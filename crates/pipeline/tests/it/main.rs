//! Integration tests of the pipeline: real files, a real S3 API (moto on 127.0.0.1),
//! a real writer process killed with SIGKILL, and an independent Parquet reader
//! (pyarrow and DuckDB from PyPI, installed by scripts/setup.sh).

mod crash;
mod local;
mod s3;
mod support;
