#!/usr/bin/env bash
# Kafka sink throughput against librdkafka's own ceiling, in one run, on one local tansu
# broker (127.0.0.1): the confluent-kafka producer in a tight Python loop vs csgen's
# kafka: sink, the same JSON clicks and the same batch settings, medians of ROUNDS.
# Usage:
#   scripts/bench-kafka.sh [RECORDS=200000] [ROUNDS=3] [SINK_OPTIONS]
# SINK_OPTIONS are the kafka: spec's options (e.g. 'linger=20ms&compression=lz4'); the
# Python loop gets the same linger, batch-records, batch-bytes, compression, acks and
# idempotence. SKIP_SINK=1 runs only the source part (below). PROFILE=release for an optimised build of the sink (librdkafka itself is
# always built optimised by its own make).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/tansu ] || bash scripts/setup.sh

profile="${PROFILE:-dev}"
[ "${SKIP_SINK:-}" = 1 ] || cargo build --profile "$profile" --workspace --example bench_kafka
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
[ "${SKIP_SINK:-}" = 1 ] || "target/$dir/examples/bench_kafka" "127.0.0.1:$port" .venv/bin/python "${1:-200000}" "${2:-3}" "${3:-}"

# The Kafka -> lake source: csgen enrich as one member of a consumer group, then as two,
# over the same topic (4 partitions) of SOURCE_RECORDS JSON clicks, each into a fresh
# lake. The rate is the steady state: records committed between the first lake commit
# and the last one, over that time (the group join, ~3 s on tansu, is left out; so is
# until-idle). Both members run on this 2-core machine, sharing it with the broker.
n="${SOURCE_RECORDS:-200000}"
cargo build --profile "$profile" --workspace --bin csgen
csgen="target/$dir/csgen"
work=$(mktemp -d)
trap 'kill "$broker" 2>/dev/null || true; rm -rf "$work"' EXIT
.venv/bin/python tools/python/kafka_check.py create "127.0.0.1:$port" src 4
"$csgen" generate --count "$n" --seed 1 --format json --sink "kafka:127.0.0.1:$port/src?key=user" 2>/dev/null
committed() ( # sum of the checkpoints' offsets of group $2 in lake $1 (0 before any)
  set +o pipefail
  cat "$1"/_csgen/checkpoints/kafka-src-"$2"-p*.json 2>/dev/null \
    | grep -o '"offset": *[0-9]*' | grep -o '[0-9]*$' | awk '{s+=$1} END {print s+0}'
)
export CSGEN_KAFKA_SESSION_TIMEOUT_MS=6000 # tansu holds a first JoinGroup for the session timeout
for members in 1 2; do
  lake="$work/lake$members"; group="bench$members"
  pids=()
  for _ in $(seq 1 "$members"); do
    "$csgen" enrich --from "kafka:127.0.0.1:$port/src?group=$group&until-idle=3s" \
      --to "lake:$lake?max-buffer-mib=16" --max-age 1s 2>/dev/null &
    pids+=($!)
  done
  first=""; first_n=0
  while :; do
    c=$(committed "$lake" "$group"); now=$(date +%s.%N)
    if [ -z "$first" ] && [ "$c" -gt 0 ]; then first=$now; first_n=$c; fi
    [ "$c" -ge "$n" ] && break
    sleep 0.1
  done
  wait "${pids[@]}"
  awk -v n="$n" -v f="$first_n" -v t0="$first" -v t1="$now" -v m="$members" 'BEGIN {
    printf "kafka -> lake, %d member(s): %d records, %.0f events/s (steady state: %d records in %.2f s)\n",
      m, n, (n - f) / (t1 - t0), n - f, t1 - t0 }'
done
