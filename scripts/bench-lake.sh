#!/usr/bin/env bash
# Lake writer throughput: raw JSON lines -> Parquet on local disk (criterion bench `lake`
# of crates/pipeline), on one core and on two, plus file sizes and compression ratio for
# zstd, snappy and none; then the profiling example under /usr/bin/time for CPU time and
# peak memory. Usage: scripts/bench-lake.sh [criterion args]
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
# taskset pins the whole run, so "one core" is literal: with one core the writer encodes
# each flush itself; with two it encodes a flush on the second while the next is read.
echo "== one core (taskset -c 0)"
taskset -c 0 cargo bench --workspace --bench lake -- "$@" 2>&1 \
  | grep -E '^lake |^lake/|^enrich/|time:|thrpt:'
echo "== two cores (taskset -c 0,1), lake only"
taskset -c 0,1 cargo bench --workspace --bench lake -- lake/ "$@" 2>&1 \
  | grep -E '^lake/|time:|thrpt:'
# CPU seconds and peak RSS of one run of 500,000 records (the bench's input).
cargo build --release --workspace --example lake_profile -q
E=target/release/examples/lake_profile
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$E gen "$tmp/raw.jsonl" 500000
for cpus in 0 0,1; do
  rm -rf "$tmp/lake"
  echo "== lake_profile run, taskset -c $cpus"
  /usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB peak RSS" \
    taskset -c "$cpus" $E run "$tmp/raw.jsonl" "$tmp/lake"
done
