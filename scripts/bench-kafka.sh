#!/usr/bin/env bash
# Kafka sink throughput against librdkafka's own ceiling, in one run, on one local tansu
# broker (127.0.0.1): the confluent-kafka producer in a tight Python loop vs csgen's
# kafka: sink, the same JSON clicks and the same batch settings, medians of ROUNDS.
# Usage:
#   scripts/bench-kafka.sh [RECORDS=200000] [ROUNDS=3] [SINK_OPTIONS]
# SINK_OPTIONS are the kafka: spec's options (e.g. 'linger=20ms&compression=lz4'); the
# Python loop gets the same linger, batch-records, batch-bytes, compression, acks and
# idempotence. PROFILE=release for an optimised build of the sink (librdkafka itself is
# always built optimised by its own make).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/tansu ] || bash scripts/setup.sh

profile="${PROFILE:-dev}"
cargo build --profile "$profile" --workspace --example bench_kafka
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")

port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/tansu broker --listener-url "tcp://127.0.0.1:$port" \
  --advertised-listener-url "tcp://127.0.0.1:$port" --storage-engine memory://tansu/ \
  >/dev/null 2>&1 &
broker=$!
trap 'kill "$broker" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done

echo "machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg); profile: $profile; broker: tansu $(.venv/bin/tansu --version | cut -d' ' -f2) (memory storage)"
"target/$dir/examples/bench_kafka" "127.0.0.1:$port" .venv/bin/python "${1:-200000}" "${2:-3}" "${3:-}"
