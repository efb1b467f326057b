#!/usr/bin/env bash
# Kinesis sink throughput against a local kinesalite on 127.0.0.1, in one run:
# csgen's sink vs one PutRecord per click (the original) vs a plain batched
# PutRecords loop, median of ROUNDS. Usage:
#   scripts/bench-kinesis.sh [RECORDS=50000] [ONE_CALL_RECORDS=2000] [ROUNDS=3]
# PROFILE=release for an optimised build (slow to build: ~7 min for the AWS SDK).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d tools/node/node_modules/kinesalite ] || bash scripts/setup.sh

profile="${PROFILE:-dev}"
cargo build --profile "$profile" -p csgen-sinks --example bench_kinesis
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")

log=$(mktemp)
node tools/node/kinesalite-server.js 0 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 200); do
  grep -q '^listening ' "$log" && break
  sleep 0.05
done
port=$(sed -n 's/^listening //p' "$log")
[ -n "$port" ] || { echo "kinesalite did not start" >&2; cat "$log" >&2; exit 1; }

export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
echo "machine: $(nproc) cores, $(uname -m); profile: $profile"
"target/$dir/examples/bench_kinesis" "http://127.0.0.1:$port" "${1:-50000}" "${2:-2000}" "${3:-3}"
