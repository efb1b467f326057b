#!/usr/bin/env bash
# The Lambda function's speed per invocation at batch sizes 100, 1,000 and 10,000, and
# its peak memory (README, "Running on AWS Lambda"). Release build of the bench
# example; a day of the example store as input; local disk as the lake (S3's latency
# is not included). One core: taskset -c 0, as a Lambda function of up to 1,769 MB has.
#   ROUNDS=5 RECORDS=100000 scripts/bench-lambda.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
RECORDS=${RECORDS:-100000}
CSGEN=${CSGEN:-target/release/csgen}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -p csgen-lambda --example lambda_bench
[ -x "$CSGEN" ] || cargo build --release -p csgen-cli
"$CSGEN" generate --config examples/store.toml --seed 1 --from 2026-11-01 --to 2026-11-02 \
    --format json --output "$work/day.jsonl"
head -n "$RECORDS" "$work/day.jsonl" > "$work/raw.jsonl"
echo "input: $(wc -l < "$work/raw.jsonl") records, $(du -h "$work/raw.jsonl" | cut -f1)"
for batch in 100 1000 10000; do
    rm -rf "$work/lake"
    CSGEN_CONFIG=examples/store.toml /usr/bin/time -f "batch $batch: peak RSS %M KiB, %U+%S CPU s" \
        taskset -c 0 target/release/examples/lambda_bench "$work/raw.jsonl" "$batch" "$ROUNDS" "$work/lake"
done
