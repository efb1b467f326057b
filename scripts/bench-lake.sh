#!/usr/bin/env bash
# Lake writer throughput: raw JSON lines -> Parquet on local disk (criterion bench `lake`
# of crates/pipeline), classic clicks and the realistic model's records, on one core and
# on two, plus file sizes and compression ratio for zstd, snappy and none; then the
# profiling example under /usr/bin/time for CPU time and peak memory, and callgrind for
# instructions an event when valgrind is installed. Usage: scripts/bench-lake.sh [criterion args]
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
# CPU seconds and peak RSS of one run of 500,000 records (the bench's inputs), one core
# (flushes inline) and two (flushed behind, then inline): wall time includes the fsync
# waits of the commits, so CPU seconds are the steadier figure on a shared machine.
cargo build --release --workspace --example lake_profile -q
E=target/release/examples/lake_profile
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$E gen "$tmp/classic.jsonl" 500000
$E real "$tmp/realistic.jsonl" 500000
# The lake on local disk, then (where /dev/shm exists) on tmpfs, whose fsync costs
# nothing: the second set is the CPU-bound figure, the first adds the disk's waits.
lakes=("$tmp/lake")
[ -d /dev/shm ] && lakes+=("$(mktemp -d /dev/shm/csgen-lake.XXXXXX)")
trap 'rm -rf "$tmp" "${lakes[@]}"' EXIT
for lake in "${lakes[@]}"; do
  for input in classic realistic; do
    for run in "0 behind" "0,1 behind" "0,1 inline"; do
      set -- $run
      rm -rf "$lake/out"
      echo "== lake_profile run $input into $lake, taskset -c $1, $2 (load $(cut -d' ' -f1 /proc/loadavg))"
      /usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB peak RSS" \
        taskset -c "$1" $E run "$tmp/$input.jsonl" "$lake/out" "$2"
    done
  done
done
# Instructions an event (the steady figure): 100,000 of each input on one core.
if command -v valgrind >/dev/null; then
  for input in classic realistic; do
    head -n 100000 "$tmp/$input.jsonl" > "$tmp/small.jsonl"
    rm -rf "$tmp/lake"
    echo "== callgrind, 100,000 $input records"
    taskset -c 0 valgrind --tool=callgrind --dump-instr=no --callgrind-out-file=/dev/null \
      $E run "$tmp/small.jsonl" "$tmp/lake" 2>&1 | grep -E 'events in|refs'
  done
fi
