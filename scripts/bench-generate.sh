#!/usr/bin/env bash
# End-to-end generator figures of the release binary, with a peer generator in the
# same run. Usage:
#   scripts/bench-generate.sh [classic] [realistic] [peer] [live] [pacing]   # default: all
# CSGEN=path/to/csgen benchmarks that binary instead of building target/release/csgen.
#
# Every line gives wall time and CPU time (user + system, from /usr/bin/time): the
# machine is shared, so events per CPU-second are the figure to compare between runs,
# events per wall second the one a user sees. Output goes to /dev/null.
#   classic    the classic model, --count 20000000, url and json, 1 and 2 threads
#   realistic  the realistic model: examples/store.toml, seed 1, October 2026 backfilled
#              (1.8 M events), json and url, 1 and 2 threads (issue 18's command); and
#              May-October (10.6 M events), json, 1 and 2 threads
#   peer       @tinybirdco/mockingbird (npm, pinned in tools/bench), its "Web Analytics
#              Starter Kit" preset, 500,000 rows as JSON lines: the peer, per CPU-second
#   live       CPU per event of live realistic runs (a store 1000x the example's traffic)
#              and of the demo, beside the backfill of the same store
#   pacing     classic pacing accuracy at 1000/s and 100000/s over 10 s
set -euo pipefail
cd "$(dirname "$0")/.."
export RUST_LOG=error

sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(classic realistic peer live pacing)
want() { [[ " ${sections[*]} " == *" $1 "* ]]; }

if [ -z "${CSGEN:-}" ]; then
  cargo build --release --quiet --bin csgen
  CSGEN=target/release/csgen
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary:  $CSGEN ($(du -m "$CSGEN" | cut -f1) MB)"

calc() { awk "BEGIN { print $1 }"; }

# timed LABEL EVENTS_OR_- CMD...: runs CMD (stdout to /dev/null), prints wall, CPU and
# rates. With "-" the event count is read from csgen's summary ("generated N").
timed() {
  local label=$1 events=$2
  shift 2
  /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || {
    cat "$tmp/err" >&2
    return 1
  }
  [ "$events" = - ] && events=$(grep -o 'generated [0-9]*' "$tmp/err" | head -1 | cut -d' ' -f2)
  read -r wall user sys <"$tmp/time"
  local cpu
  cpu=$(calc "$user + $sys")
  printf '%-58s %9d events %7.2f s wall %7.2f s CPU  %6.3f M/s  %6.3f M/CPU-s\n' \
    "$label" "$events" "$wall" "$cpu" "$(calc "$events / $wall / 1e6")" "$(calc "$events / $cpu / 1e6")"
  echo "$events $wall $cpu" >"$tmp/last"
}

if want classic; then
  for threads in 1 2; do
    for format in url json; do
      timed "classic --count 20000000 --format $format --threads $threads" 20000000 \
        "$CSGEN" generate --seed 1 --count 20000000 --format "$format" --threads "$threads" -o /dev/null
    done
  done
fi

month=(--config examples/store.toml --seed 1 --from 2026-10-01 --to 2026-11-01)
half_year=(--config examples/store.toml --seed 1 --from 2026-05-01 --to 2026-11-01)
if want realistic; then
  for threads in 1 2; do
    for format in json url; do
      timed "realistic October 2026 --format $format --threads $threads" - \
        "$CSGEN" generate "${month[@]}" --format "$format" --threads "$threads" -o /dev/null
    done
  done
  # Long enough for start-up and the pipeline's fill and drain not to count.
  for threads in 1 2; do
    timed "realistic May-October 2026 --format json --threads $threads" - \
      "$CSGEN" generate "${half_year[@]}" --format json --threads "$threads" -o /dev/null
  done
fi

if want peer; then
  timed "realistic October 2026 --format json --threads 1 (again)" - \
    "$CSGEN" generate "${month[@]}" --format json --threads 1 -o /dev/null
  read -r ours_n _ ours_cpu <"$tmp/last"
  if [ ! -d tools/bench/node_modules/@tinybirdco/mockingbird ]; then
    (cd tools/bench && npm ci --no-audit --no-fund --silent)
  fi
  timed "mockingbird 1.1.4, Web Analytics Starter Kit, JSON lines" 500000 \
    node tools/bench/mockingbird-rows.mjs 500000
  read -r peer_n _ peer_cpu <"$tmp/last"
  printf 'csgen realistic / mockingbird, events per CPU-second: %.1fx\n' \
    "$(calc "($ours_n / $ours_cpu) / ($peer_n / $peer_cpu)")"
  printf 'bytes per record: csgen %d, mockingbird %d\n' \
    "$("$CSGEN" generate "${month[@]:0:6}" --to 2026-10-02 --format json 2>/dev/null | awk '{ n++; b += length($0) + 1 } END { print int(b / n) }')" \
    "$(node tools/bench/mockingbird-rows.mjs 10000 | awk '{ n++; b += length($0) + 1 } END { print int(b / n) }')"
fi

# A live run spends its first seconds replaying the sessions still open at its start
# (docs/model.md); the marginal cost of an event is (CPU of a long run - CPU of a short
# one) / (events of the long - events of the short).
marginal() {
  local short long
  read -r short <"$tmp/short"
  read -r long <"$tmp/long"
  calc "($(echo "$long" | cut -d' ' -f3) - $(echo "$short" | cut -d' ' -f3)) / ($(echo "$long" | cut -d' ' -f1) - $(echo "$short" | cut -d' ' -f1)) * 1e6"
}

# demo SECONDS: runs csgen demo live for that long, then SIGTERM; prints like timed.
demo() {
  /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$CSGEN" demo --lake "$tmp/demo-$1" \
    --bind 127.0.0.1:0 --backfill 0s >/dev/null 2>"$tmp/err" &
  local pid=$!
  sleep "$1"
  kill -TERM "$(pgrep -P $pid csgen || echo $pid)"
  wait $pid || true
  local wall user sys n
  read -r wall user sys <"$tmp/time"
  n=$(grep -o 'generated [0-9]*' "$tmp/err" | head -1 | cut -d' ' -f2)
  printf '%-58s %9d events %7.2f s wall %7.2f s CPU\n' "demo, live, $1 s" "$n" "$wall" "$(calc "$user + $sys")"
  echo "$n $wall $(calc "$user + $sys")" >"$tmp/last"
}

if want live; then
  # The example store at 1000x its sessions: ~700 events/s live.
  sed 's/^sessions_per_day = 20000$/sessions_per_day = 20000000/' examples/store.toml >"$tmp/busy.toml"
  grep -q '^sessions_per_day = 20000000$' "$tmp/busy.toml"
  busy=(--config "$tmp/busy.toml" --seed 1 --format json)
  for threads in 1 2; do
    timed "backfill, busy store, 2026-10-01 00:00-03:00, $threads thread(s)" - \
      "$CSGEN" generate "${busy[@]}" --from 2026-10-01 --to 2026-10-01T03:00:00Z --threads $threads -o /dev/null
    read -r n _ cpu <"$tmp/last"
    printf '  backfill: %.2f us CPU per event (replay at the start included)\n' "$(calc "$cpu / $n * 1e6")"
  done
  timed "live, busy store, 15 s" - "$CSGEN" generate "${busy[@]}" --duration 15s -o /dev/null
  cp "$tmp/last" "$tmp/short"
  timed "live, busy store, 45 s" - "$CSGEN" generate "${busy[@]}" --duration 45s -o /dev/null
  cp "$tmp/last" "$tmp/long"
  printf '  live:     %.2f us CPU per event (marginal: 45 s run - 15 s run)\n' "$(marginal)"
  demo 15
  cp "$tmp/last" "$tmp/short"
  demo 45
  cp "$tmp/last" "$tmp/long"
  printf '  demo:     %.2f us CPU per event (marginal: 45 s run - 15 s run)\n' "$(marginal)"
fi

# Pacing: N events at rate R must take (N - 1) / R seconds; the error is the relative
# difference of the wall time (process start-up included, so the figure is an upper bound).
if want pacing; then
  for rate in 1000 100000; do
    n=$((rate * 10 + 1))
    /usr/bin/time -f '%e %U %S' -o "$tmp/time" \
      "$CSGEN" generate --seed 1 --rate $rate --count $n --format url -o /dev/null 2>/dev/null
    read -r wall user sys <"$tmp/time"
    printf 'pacing at %6d/s over 10 s: %.3f s wall, error %.3f %%, %.2f s CPU\n' \
      $rate "$wall" "$(calc "($wall - 10) / 10 * 100" | tr -d -)" "$(calc "$user + $sys")"
  done
fi
