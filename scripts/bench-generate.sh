#!/usr/bin/env bash
# End-to-end generator throughput and pacing accuracy of the release binary.
#   scripts/bench-generate.sh            # all measurements
# Prints one line per measurement; the README quotes them with the machine they ran on.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin csgen
csgen=target/release/csgen
export RUST_LOG=error

now() { date +%s.%N; }
elapsed() { awk "BEGIN { print $2 - $1 }"; }
calc() { awk "BEGIN { print $1 }"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

for threads in 1 2; do
  for format in url json; do
    n=20000000
    t0=$(now)
    $csgen generate --seed 1 --count $n --format $format --threads $threads --output /dev/null 2>/dev/null
    t1=$(now)
    s=$(elapsed "$t0" "$t1")
    printf 'generate --count %d --format %-4s --threads %d: %6.2f s, %5.1f M events/s\n' \
      $n $format $threads "$s" "$(calc "$n / $s / 1000000")"
  done
done

# Pacing: N events at rate R must take (N - 1) / R seconds; the error is the relative
# difference of the wall time (process start-up included, so the figure is an upper bound).
for rate in 1000 100000; do
  n=$((rate * 10 + 1))
  t0=$(now)
  $csgen generate --seed 1 --rate $rate --count $n --format url --output /dev/null 2>/dev/null
  t1=$(now)
  s=$(elapsed "$t0" "$t1")
  printf 'pacing at %6d/s over 10 s: %.3f s wall, error %.3f %%\n' \
    $rate "$s" "$(calc "($s - 10) / 10 * 100" | tr -d -)"
done
