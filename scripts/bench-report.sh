#!/usr/bin/env bash
# The standard reports over a lake of >= 10 M events: csgen (DataFusion) against DuckDB
# running the same SQL on the same files, in the same run.
#
#   scripts/bench-report.sh            # builds the lake once (target/bench-report-lake)
#   ROUNDS=5 scripts/bench-report.sh   # best of 5 runs of each report (default 3)
#   PROFILE=dev scripts/bench-report.sh
#
# Each report's time is the best of ROUNDS runs inside one process (csgen report
# --timings; DuckDB through tools/python/report_duckdb.py): planning, listing the files
# and running the query, without process start-up. Both engines use every core.
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${PROFILE:-release}"
rounds="${ROUNDS:-3}"
lake="${LAKE:-target/bench-report-lake}"
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
csgen="target/$dir/csgen"
python=.venv/bin/python
[ -x "$python" ] || { echo "run scripts/setup.sh first (DuckDB from PyPI)" >&2; exit 1; }

echo "building csgen (profile $profile)" >&2
start=$(date +%s)
cargo build --quiet --profile "$profile" --bin csgen
echo "build: $(( $(date +%s) - start )) s" >&2

if [ ! -d "$lake/events" ]; then
  # The example store, 500 k sessions a day over 1 M customers: a week is ~10.5 M events.
  config=$(mktemp --suffix=.toml)
  sed -e 's/^sessions_per_day = .*/sessions_per_day = 520000/' \
      -e 's/^count = 10000$/count = 1000000/' \
      -e 's/^ids = \[100000, 999999\]/ids = [1000000, 9999999]/' \
      examples/store.toml > "$config"
  echo "writing the lake $lake (a week of the example store, scaled up)" >&2
  "$csgen" generate --config "$config" --seed 1 --from 2026-11-02 --to 2026-11-09 \
    --sink "lake:$lake"
  rm -f "$config"
fi

events=$("$csgen" query --lake "$lake" --format csv "SELECT count(*) AS n FROM events" | tail -1)
files=$(find "$lake/events" -name '*.parquet' | wc -l)
bytes=$(du -sb "$lake/events" | cut -f1)
echo "lake: $events events in $files files, $(( bytes / 1048576 )) MiB" >&2

# csgen: best of $rounds for each report.
declare -A ours
for _ in $(seq "$rounds"); do
  while read -r _ _ name secs _; do
    if [ -z "${ours[$name]:-}" ] || awk "BEGIN{exit !($secs < ${ours[$name]})}"; then
      ours[$name]=$secs
    fi
  done < <("$csgen" report --lake "$lake" --timings 2>&1 >/dev/null | grep '^csgen: report ')
done

# DuckDB: the same SQL (csgen report --sql --json), best of $rounds.
duck=$("$csgen" report --sql --json \
  | "$python" -c '
import json, sys
req = json.load(sys.stdin)
req.update(lake=sys.argv[1], repeat=int(sys.argv[2]))
print(json.dumps(req))' "$lake" "$rounds" \
  | "$python" tools/python/report_duckdb.py \
  | "$python" -c '
import json, sys
for name, s in json.load(sys.stdin)["seconds"].items():
    print(name, s)')
duckdb_version=$("$python" -c 'import duckdb; print(duckdb.__version__)')

echo
echo "machine: $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg); profile: $profile; DuckDB $duckdb_version"
echo "lake: $events events, $files files, $(( bytes / 1048576 )) MiB; best of $rounds runs"
printf '%-14s %10s %10s %8s\n' report csgen DuckDB ratio
total_ours=0
total_duck=0
while read -r name secs; do
  o=${ours[$name]}
  printf '%-14s %9.3fs %9.3fs %7.2fx\n' "$name" "$o" "$secs" "$(awk "BEGIN{print $o / $secs}")"
  total_ours=$(awk "BEGIN{print $total_ours + $o}")
  total_duck=$(awk "BEGIN{print $total_duck + $secs}")
done <<< "$duck"
printf '%-14s %9.3fs %9.3fs %7.2fx\n' total "$total_ours" "$total_duck" \
  "$(awk "BEGIN{print $total_ours / $total_duck}")"
