#!/usr/bin/env bash
# Lake writer throughput: raw JSON lines -> Parquet on local disk, one core
# (criterion bench `lake` of crates/pipeline), plus file sizes and compression ratio
# for zstd, snappy and none. Usage: scripts/bench-lake.sh [criterion args]
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
# taskset pins the whole run to one core, so "one core" is literal.
taskset -c 0 cargo bench -p csgen-pipeline --bench lake -- "$@" 2>&1 \
  | grep -E '^lake |^lake/|^enrich/|time:|thrpt:'
