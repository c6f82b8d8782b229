#!/usr/bin/env bash
# dockmaster plan against brute force on the same machine, same threads, in
# one run. Not a timed test: it prints figures for benches/RESULTS.md.
#
#   plan:         dockmaster plan SCENARIO            (rounds, pruning, early decisions)
#   brute force:  for every candidate of the plan:
#                 dockmaster simulate SCENARIO --set ... --replications MAX
#
# Prints each side's wall time, replications run and the ratio plan / brute
# force (target ≤ 0.5), and whether both pick the same cheapest feasible
# candidate (judged at MAX replications by the plan's own rule for two
# objectives: the upper end of summary.json's 95 % interval).
#
# Usage: benches/plan-vs-brute-force.sh [SCENARIO]   (default scenarios/plan-sale.toml)
set -euo pipefail
cd "$(dirname "$0")/.."
SCENARIO=${1:-scenarios/plan-sale.toml}
MAX=${MAX:-20}
cargo build --release --quiet
BIN=target/release/dockmaster
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

start=$(date +%s.%N)
$BIN plan "$SCENARIO" -o "$OUT/plan" -q || true
plan_s=$(echo "$(date +%s.%N) - $start" | bc)

python3 - "$OUT/plan/plan.json" > "$OUT/sets" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
for c in plan["candidates"]:
    args = []
    for f, v in c["values"].items():
        args.append("--set")
        args.append(f'{f}="{v}"' if isinstance(v, str) else f"{f}={json.dumps(v)}")
    print(c["index"], " ".join(f"'{a}'" for a in args))
PY

start=$(date +%s.%N)
while read -r index sets; do
    eval "$BIN simulate '$SCENARIO' $sets --replications $MAX -o '$OUT/c$index' -q"
done < "$OUT/sets"
brute_s=$(echo "$(date +%s.%N) - $start" | bc)

python3 - "$OUT" "$plan_s" "$brute_s" "$MAX" <<'PY'
import json, sys, glob, os
out, plan_s, brute_s, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
plan = json.load(open(f"{out}/plan/plan.json"))
targets = {}
feasible = []
for c in plan["candidates"]:
    d = f"{out}/c{c['index']}"
    if not os.path.exists(f"{d}/summary.json"):
        continue
    s = json.load(open(f"{d}/summary.json"))
    checks = s["slo"]["checks"]
    met = True
    for ch in checks:
        key = ch["name"]
        if key == "error_rate":
            hi = s["replications"]["error_rate"]["ci95"][1]
        else:
            hi = s["replications"]["latency_ms"][key]["ci95"][1]
        met &= hi <= ch["target"]
    # The plan's Bonferroni level for K objectives is 1 - 0.05/K one-sided;
    # summary.json's 95 % interval is that level for K = 2 only.
    assert len(checks) <= 2, "this script judges at most two objectives"
    if met:
        feasible.append((s["cost_usd"], c["index"]))
feasible.sort()
brute_best = feasible[0][1] if feasible else None
plan_best = plan["best"]["index"] if plan["best"] else None
reps = plan["replications"]
total = len(plan["candidates"]) * n
print(f"scenario      {plan['scenario']}, {len(plan['candidates'])} candidates, max {n} replications")
print(f"plan          {plan_s:8.1f} s  {reps:5d} replications  best #{plan_best}")
print(f"brute force   {brute_s:8.1f} s  {total:5d} replications  best #{brute_best}")
print(f"ratio         {plan_s / brute_s:8.2f} (wall)  {reps / total:.2f} (replications); target ≤ 0.5")
print("same pick     " + ("yes" if plan_best == brute_best else "NO"))
PY
