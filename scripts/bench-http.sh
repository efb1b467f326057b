#!/usr/bin/env bash
# HTTP throughput on 127.0.0.1, in one run:
#  1. the http: collector sink into csgen collect (sink file:/dev/null), each pinned to
#     one core (taskset): records/s and MB/s of records, default options (ndjson, 500
#     records a request, 4 requests in flight);
#  2. browse mode against nginx, compared with wrk against the same nginx: nginx with one
#     worker on core 0, each client in turn on core 1 with the same number of
#     connections: requests/s and browse ÷ wrk, and each client's CPU time (user +
#     system) a request, whose ratio wrk ÷ browse is the throughput ratio to expect
#     when the client's core is the limit (on a loaded machine nginx's share of core 0
#     limits both clients alike and squeezes the requests/s ratio towards 1).
# Usage: scripts/bench-http.sh [RECORDS=2000000] [REQUESTS=200000] [CONNECTIONS=32] [ROUNDS=3]
# Environment:
#  BASELINE=PATH   another bench_http binary (e.g. a copy built from an older commit),
#                  run in each round after the current one: before/after in one run;
#  CALLGRIND=1     then instructions per request under valgrind's callgrind (user space
#                  only, so repeatable on a loaded machine): browse (and BASELINE) as the
#                  difference of two runs (REQUESTS and REQUESTS/5, which cancels the
#                  start-up), and wrk over 3 seconds.
# The csgen side is crates/server/examples/bench_http.rs in release (the library code
# `csgen collect` and `csgen generate --sink http:/browse:` run; building it skips
# DataFusion, which the full binary links).
set -euo pipefail
cd "$(dirname "$0")/.."
{ [ -x /usr/sbin/nginx ] && [ -x /usr/bin/wrk ]; } || bash scripts/setup.sh

records="${1:-2000000}"
requests="${2:-200000}"
connections="${3:-32}"
rounds="${4:-3}"

# --workspace: the workspace's feature set, so the dependencies built for the other
# release benches and examples are reused (-p alone resolves other features and
# rebuilds most of them).
cargo build --release --workspace --example bench_http
bin=target/release/examples/bench_http
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

wait_for() { # FILE PATTERN
  for _ in $(seq 1 200); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "timed out waiting for '$2' in $1" >&2
  cat "$1" >&2
  exit 1
}

echo "machine: $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. http: sink -> csgen collect ---------------------------------------------------
mkfifo "$tmp/stdin"
taskset -c 0 "$bin" collect <"$tmp/stdin" >"$tmp/collect.out" 2>&1 &
pids+=($!)
exec 3>"$tmp/stdin" # collect runs until this closes
wait_for "$tmp/collect.out" '^listening '
addr=$(sed -n 's/^listening //p' "$tmp/collect.out")
echo "== http: sink into csgen collect ($records records a round, one core each)"
for r in $(seq 1 "$rounds"); do
  taskset -c 1 "$bin" http "http://$addr/collect" "$records" | sed -n "1s/^/round $r: /p"
done
exec 3>&-
wait "${pids[0]}"
tail -1 "$tmp/collect.out" | sed 's/^/collect: /'

# --- 2. browse vs wrk against nginx ---------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/ng"
cat >"$tmp/ng/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $tmp/ng/nginx.pid;
error_log $tmp/ng/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $tmp/ng/body;
  proxy_temp_path $tmp/ng/proxy;
  fastcgi_temp_path $tmp/ng/fastcgi;
  uwsgi_temp_path $tmp/ng/uwsgi;
  scgi_temp_path $tmp/ng/scgi;
  server {
    listen 127.0.0.1:$port;
    location /api/ { default_type text/html; return 200 "<!doctype html><title>csgen test store</title><p>a page of the store</p>\n"; }
  }
}
EOF
taskset -c 0 /usr/sbin/nginx -p "$tmp/ng" -e "$tmp/ng/error.log" -c "$tmp/ng/nginx.conf" &
pids+=($!)
for _ in $(seq 1 200); do
  (exec 9<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
# Each client's CPU time (user + system, from bash's `time`) over its requests is a
# second figure: on a loaded machine nginx's share of core 0 limits every client alike,
# while the CPU a client spends on a request is its own.
TIMEFORMAT='%U %S'
cpu_us() { # FILE REQUESTS: CPU microseconds a request from a `time` line
  awk -v n="$2" '{ printf "%.1f", ($1 + $2) * 1e6 / n }' "$1"
}
browse() { # BIN: "requests/s cpu-us-a-request" of browse mode against nginx, on core 1
  { time taskset -c 1 "$1" browse "http://127.0.0.1:$port" "$requests" "$connections" \
    >"$tmp/browse.out"; } 2>"$tmp/browse.cpu"
  echo "$(sed -n '1s/.* \([0-9]*\) records\/s.*/\1/p' "$tmp/browse.out") $(cpu_us "$tmp/browse.cpu" "$requests")"
}
echo "== nginx (1 worker, core 0); clients on core 1, $connections connections"
echo "   (req/s, then CPU microseconds a request: user + system, the client's own)"
for r in $(seq 1 "$rounds"); do
  { time taskset -c 1 wrk -t1 -c"$connections" -d10s "http://127.0.0.1:$port/api/group/1?userid=1" \
    >"$tmp/wrk.out"; } 2>"$tmp/wrk.cpu"
  w=$(sed -n 's/^Requests\/sec: *//p' "$tmp/wrk.out")
  wc=$(cpu_us "$tmp/wrk.cpu" "$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$tmp/wrk.out")")
  read -r b bc <<<"$(browse "$bin")"
  line=$(awk -v r="$r" -v w="$w" -v wc="$wc" -v b="$b" -v bc="$bc" \
    'BEGIN { printf "round %s: wrk %.0f req/s %.1f us, browse %.0f req/s %.1f us: browse/wrk %.2f, by CPU %.2f", r, w, wc, b, bc, b / w, wc / bc }')
  if [ -n "${BASELINE:-}" ]; then
    read -r o oc <<<"$(browse "$BASELINE")"
    line+=$(awk -v w="$w" -v wc="$wc" -v o="$o" -v oc="$oc" \
      'BEGIN { printf "; baseline %.0f req/s %.1f us: %.2f, by CPU %.2f", o, oc, o / w, wc / oc }')
  fi
  echo "$line"
done

[ -n "${CALLGRIND:-}" ] || exit 0
command -v valgrind >/dev/null || { echo "CALLGRIND=1 needs valgrind" >&2; exit 1; }
instructions() { # OUTFILE CMD...: total instructions (Ir) of CMD under callgrind
  local out=$1
  shift
  taskset -c 1 valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >"$out.stdout" 2>"$out.log"
  sed -n 's/^summary: //p' "$out"
}
per_request() { # BIN: instructions per browse request
  local small=$((requests / 5))
  local a b
  a=$(instructions "$tmp/cg.small" "$1" browse "http://127.0.0.1:$port" "$small" "$connections")
  b=$(instructions "$tmp/cg.large" "$1" browse "http://127.0.0.1:$port" "$requests" "$connections")
  awk -v a="$a" -v b="$b" -v n=$((requests - small)) 'BEGIN { printf "%.0f", (b - a) / n }'
}
echo "== instructions per request (callgrind, user space)"
w=$(instructions "$tmp/cg.wrk" wrk -t1 -c"$connections" -d3s "http://127.0.0.1:$port/api/group/1?userid=1")
n=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$tmp/cg.wrk.stdout")
awk -v w="$w" -v n="$n" 'BEGIN { printf "wrk: %.0f instructions a request (%d requests)\n", w / n, n }'
echo "browse: $(per_request "$bin") instructions a request"
[ -z "${BASELINE:-}" ] || echo "baseline: $(per_request "$BASELINE") instructions a request"
