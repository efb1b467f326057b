#!/usr/bin/env bash
# Sharded generation on one machine: N = 1, 2, 4 shard processes of one backfill
# (the example store scaled up as in bench-report.sh: 520 k sessions a day over 1 M
# customers, about 1.5 M events a day; realistic model, JSON) started together, each as the Kubernetes
# Job's pods run it, into a sink; events/s in total and per process, and each process's
# peak RSS. Then checks that the union of the shards equals the unsharded run (the same
# event ids, none twice).
#   scripts/bench-shards.sh                     # lake sink (what the Job's pods do), 48 hours
#   SINK=file HOURS=168 scripts/bench-shards.sh   # raw JSON to files: the generator alone
# CSGEN=path/to/csgen uses that binary instead of building target/release/csgen.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CSGEN:-}" ]; then
  cargo build --release --quiet --bin csgen
  CSGEN=target/release/csgen
fi
SINK=${SINK:-lake}
HOURS=${HOURS:-48}
export RUST_LOG=error
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
config=$work/store.toml
sed -e 's/^sessions_per_day = .*/sessions_per_day = 520000/' \
    -e 's/^count = 10000$/count = 1000000/' \
    -e 's/^ids = \[100000, 999999\]/ids = [1000000, 9999999]/' \
    examples/store.toml > "$config"

from=2026-11-02T00:00:00Z
to=$(date -u -d "2026-11-02 00:00 UTC + $HOURS hours" +%FT%TZ)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary: $CSGEN; sink: $SINK; window: $from .. $to (examples/store.toml scaled up, seed 1)"

sink_of() { # $1 = run folder, $2 = shard index (1-based)
  case $SINK in
    lake) echo "--sink=lake:$1/lake" ;;
    file) echo "--output=$1/part-$2.jsonl" ;;
    *) echo "SINK is lake or file" >&2; exit 2 ;;
  esac
}

for n in 1 2 4; do
  run=$work/n$n
  mkdir -p "$run"
  t0=$(date +%s.%N)
  for i in $(seq 0 $((n - 1))); do
    JOB_COMPLETION_INDEX=$i /usr/bin/time -f '%M %U %S' -o "$run/rss-$i" \
      "$CSGEN" generate --config "$config" --seed 1 --from $from --to "$to" \
      --format json --shard "env:JOB_COMPLETION_INDEX/$n" "$(sink_of "$run" "$i")" \
      --truth "$run/truth-$i.json" 2>"$run/log-$i" &
  done
  wait
  t1=$(date +%s.%N)
  events=$(python3 -c "import json,glob; print(sum(json.load(open(f))['records'] for f in glob.glob('$run/truth-*.json')))")
  # CPU seconds do not depend on what else the machine runs; wall time does.
  cat "$run"/rss-* | awk -v n=$n -v e="$events" -v a="$t0" -v b="$t1" '
    { cpu += $2 + $3; if ($1 > rss) rss = $1 }
    END { s = b - a
      printf "N=%d: %d records in %.2f s: %.2f M/s in total, %.2f M/s per process; %.2f CPU-s (%.2f M records per CPU-second); peak RSS %.0f MiB\n",
        n, e, s, e / s / 1e6, e / s / 1e6 / n, cpu, e / cpu / 1e6, rss / 1024 }'
done

# The union of the shards is the unsharded run: same ids (with the injected duplicates),
# nothing more. Compared on the lake (or the files) of N=4 and N=1.
if [ "$SINK" = lake ]; then
  ids() { "$CSGEN" query --lake "$1" --format csv "SELECT event_id FROM events ORDER BY event_id" | sha256sum | cut -c1-16; }
else
  ids() { cat "$1"/part-*.jsonl | python3 -c "import sys,json; [print(json.loads(l)['event_id']) for l in sys.stdin if l.startswith('{\"event_id')]" | sort | sha256sum | cut -c1-16; }
fi
one=$work/n1; four=$work/n4
[ "$SINK" = lake ] && one=$one/lake && four=$four/lake
a=$(ids "$one"); b=$(ids "$four")
if [ "$a" = "$b" ]; then
  echo "union of 4 shards = unsharded run: event ids identical (sha256 of the sorted list $a)"
else
  echo "union of 4 shards differs from the unsharded run ($a vs $b)" >&2
  exit 1
fi
