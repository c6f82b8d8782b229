#!/usr/bin/env bash
# Two simulations of different scenarios written into one folder at the
# same time, ROUNDS times: how often does the folder end up holding files of
# both runs? Simulations are deterministic, so each file is compared with
# the same file of a solo run of each scenario; a folder is "mixed" when its
# files match different runs, "broken" when one matches neither.
#
#   benches/mixed-writers.sh [BINARY] [ROUNDS]
#
# BINARY defaults to target/release/dockmaster. Run it with an older build
# to see the defect issue 10 reported (mixed files in 17 of 60 tries).
set -euo pipefail
bin=${1:-target/release/dockmaster}
rounds=${2:-30}
here=$(cd "$(dirname "$0")/.." && pwd)
a="$here/scenarios/steady.toml"
b="$here/scenarios/mmc.toml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" simulate "$a" -o "$work/ref-a" -q
"$bin" simulate "$b" -o "$work/ref-b" -q
files="timeseries.csv latency.hlog events.csv"

mixed=0 broken=0
for i in $(seq "$rounds"); do
    out="$work/out"
    "$bin" simulate "$a" -o "$out" -q 2>/dev/null &
    "$bin" simulate "$b" -o "$out" -q 2>/dev/null &
    wait
    seen=""
    for f in $files; do
        if cmp -s "$out/$f" "$work/ref-a/$f"; then seen="$seen a"
        elif cmp -s "$out/$f" "$work/ref-b/$f"; then seen="$seen b"
        else seen="$seen ?"; fi
    done
    case "$seen" in
        *"?"*) broken=$((broken + 1)) ;;
        *a*b* | *b*a*) mixed=$((mixed + 1)) ;;
    esac
done
echo "$bin: $rounds rounds, $mixed mixed, $broken with a file of neither run"
