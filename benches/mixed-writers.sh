#!/usr/bin/env bash
# Two simulations (one scenario, two seeds: their write phases overlap)
# written into one folder at the same time, ROUNDS times: how often does the folder end up holding files of
# both runs? Simulations are deterministic, so each file is compared with
# the same file of a solo run of each seed; a folder is "mixed" when its
# files match different runs, "broken" when one matches neither.
#
#   [SCENARIO=steady] benches/mixed-writers.sh [BINARY] [ROUNDS]
#
# BINARY defaults to target/release/dockmaster. Run it with an older build
# to see the defect issue 10 reported (mixed files in 17 of 60 tries).
set -euo pipefail
bin=${1:-target/release/dockmaster}
rounds=${2:-30}
here=$(cd "$(dirname "$0")/.." && pwd)
file="$here/scenarios/${SCENARIO:-steady}.toml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" simulate "$file" -o "$work/ref-a" -q --seed 1
"$bin" simulate "$file" -o "$work/ref-b" -q --seed 2
files="summary.json timeseries.csv latency.hlog events.csv"
# Equal bytes; summary.json without its engine section (wall-clock time).
same() {
    if [[ $1 == */summary.json ]]; then
        cmp -s <(sed '/"engine"/,$d' "$1") <(sed '/"engine"/,$d' "$2")
    else
        cmp -s "$1" "$2"
    fi
}

mixed=0 broken=0
for i in $(seq "$rounds"); do
    out="$work/out"
    "$bin" simulate "$file" -o "$out" -q --seed 1 2>/dev/null &
    "$bin" simulate "$file" -o "$out" -q --seed 2 2>/dev/null &
    wait
    seen=""
    for f in $files; do
        is_a=0 is_b=0
        same "$out/$f" "$work/ref-a/$f" && is_a=1
        same "$out/$f" "$work/ref-b/$f" && is_b=1
        case "$is_a$is_b" in
            10) seen="$seen a" ;;
            01) seen="$seen b" ;;
            11) ;; # both runs write this file alike (an empty events.csv)
            *) seen="$seen ?" ;;
        esac
    done
    case "$seen" in
        *"?"*) broken=$((broken + 1)) ;;
        *a*b* | *b*a*) mixed=$((mixed + 1)) ;;
    esac
done
echo "$bin: $rounds rounds, $mixed mixed, $broken with a file of neither run"
