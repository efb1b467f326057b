#!/usr/bin/env bash
# Fuzzes csgen's parsers: builds the cargo-fuzz targets in fuzz/ (a workspace of its
# own; the test suite never builds it) and runs each for MINUTES, then prints per
# target how many inputs ran, the crashes, timeouts and out-of-memory inputs found,
# and the coverage reached (libFuzzer's edge count `cov` and feature count `ft`).
#
#   scripts/fuzz.sh [-m MINUTES] [-j PARALLEL] [--cmin] [TARGET...]
#
#   -m MINUTES   per target (default 10)
#   -j PARALLEL  targets run at once (default 1; each uses one core)
#   --cmin       afterwards, minimise the committed corpus fuzz/corpus/TARGET together
#                with what the run found (a libFuzzer merge): review and commit it
#   TARGET...    default: every target in fuzz/Cargo.toml
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a C++ compiler; on a stable
# toolchain RUSTC_BOOTSTRAP=1 lets cargo-fuzz use the sanitizer flags. Each target
# runs in libFuzzer's fork mode so that a crash is recorded (fuzz/artifacts/TARGET/)
# and fuzzing goes on; new inputs go to the git-ignored working corpus fuzz/work/TARGET,
# the committed corpus fuzz/corpus/TARGET seeds it, full logs are in fuzz/logs/.
# One input may take at most 10 s and 2 GiB. Exit status 1 when anything was found.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=10
parallel=1
cmin=0
targets=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        -m) minutes="$2"; shift 2 ;;
        -j) parallel="$2"; shift 2 ;;
        --cmin) cmin=1; shift ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
if ! [[ "$minutes" =~ ^[0-9]+$ && "$minutes" -ge 1 && "$parallel" =~ ^[0-9]+$ && "$parallel" -ge 1 ]]; then
    echo "fuzz.sh: -m and -j take whole numbers from 1" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 2
fi
export RUSTC_BOOTSTRAP=1

all=$(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^csgen-fuzz$')
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets <<<"$all"
fi
for t in "${targets[@]}"; do
    if ! grep -qx "$t" <<<"$all"; then
        echo "fuzz.sh: no target $t; the targets are:" $all >&2
        exit 2
    fi
done

# Every target (they share all but a few lines). Debug assertions on: an integer
# overflow panics, as in the test build.
echo "fuzz.sh: building the fuzz targets" >&2
(cd fuzz && cargo fuzz build --debug-assertions)
host=$(rustc -vV | sed -n 's/^host: //p')
bin="fuzz/target/$host/release"

seconds=$((minutes * 60))
mkdir -p fuzz/logs
run_one() {
    local t="$1"
    mkdir -p "fuzz/work/$t" "fuzz/artifacts/$t" "fuzz/corpus/$t"
    "$bin/$t" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="fuzz/artifacts/$t/" \
        "fuzz/work/$t" "fuzz/corpus/$t" >"fuzz/logs/$t.log" 2>&1 || true
}

echo "fuzz.sh: ${#targets[@]} target(s) x $minutes min, $parallel at a time" >&2
started=$(date +%s)
for t in "${targets[@]}"; do
    while [[ $(jobs -rp | wc -l) -ge $parallel ]]; do
        wait -n || true
    done
    echo "fuzz.sh: $t started $(date +%T)" >&2
    run_one "$t" &
done
wait

# The last status line of fork mode:
# #RUNS: cov: C ft: F corp: K exec/s: E oom/timeout/crash: O/T/X time: Ss job: J ...
found=0
printf '%-12s %8s %12s %8s %7s %7s %7s %8s %9s %5s\n' \
    target minutes runs exec/s cov ft corpus crashes timeouts ooms
for t in "${targets[@]}"; do
    line=$(grep -E '^#[0-9]+: cov: ' "fuzz/logs/$t.log" | tail -n 1 || true)
    if [[ -z "$line" ]]; then
        echo "fuzz.sh: $t printed no status; see fuzz/logs/$t.log" >&2
        found=1
        continue
    fi
    read -r runs cov ft corp eps oom timeout crash < <(sed -E \
        's/^#([0-9]+): cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+) exec\/s: ([0-9]+) oom\/timeout\/crash: ([0-9]+)\/([0-9]+)\/([0-9]+).*/\1 \2 \3 \4 \5 \6 \7 \8/' <<<"$line")
    printf '%-12s %8s %12s %8s %7s %7s %7s %8s %9s %5s\n' \
        "$t" "$minutes" "$runs" "$eps" "$cov" "$ft" "$corp" "$crash" "$timeout" "$oom"
    if [[ $((crash + timeout + oom)) -gt 0 ]]; then
        found=1
        find "fuzz/artifacts/$t" -type f -newermt "@$started" -printf '  %p\n'
    fi
done

# What cargo fuzz cmin does (a libFuzzer merge of the corpora into a fresh folder),
# with a greedy set cover over edges rather than hit-count features, which keeps
# well under half the files for the same edges.
if [[ $cmin -eq 1 ]]; then
    for t in "${targets[@]}"; do
        merged=$(mktemp -d)
        "$bin/$t" -set_cover_merge=1 -use_counters=0 -max_len=8192 -timeout=10 \
            "$merged" "fuzz/corpus/$t" "fuzz/work/$t" >"fuzz/logs/$t.cmin.log" 2>&1
        rm -rf "fuzz/corpus/$t"
        mv "$merged" "fuzz/corpus/$t"
        chmod 755 "fuzz/corpus/$t"
        echo "fuzz.sh: corpus/$t: $(find "fuzz/corpus/$t" -type f | wc -l) files," \
            "$(cat "fuzz/corpus/$t"/* | wc -c) bytes: $(tail -n 1 "fuzz/logs/$t.cmin.log")" >&2
    done
fi
exit $found
