#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what the tests need (local Kinesis and
# S3 API servers, Parquet readers), then runs every test of every crate.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo test --workspace "$@"
