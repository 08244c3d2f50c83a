#!/bin/sh
# policies_budget.sh MODEL.mlir CAL FP32_COST.json OUT_DIR PYTHON "RATIOS" "POLICIES" [EXTRA]
# Runs --joint-compress for every policy x ratio (few episodes), then
# ajpq-cost-report and check_budget.py on the result; prints one line per run
# ("<policy> <ratio>: budget met ...") and stops at the first failure (exit 1).
set -u
model=$1 cal=$2 fp32=$3 out=$4 py=$5 ratios=$6 policies=$7 extra=${8:-}
here=$(cd "$(dirname "$0")" && pwd)
for p in $policies; do
  for r in $ratios; do
    ajpq-opt "$model" --joint-compress="target-size-ratio=$r policy=$p calibration=$cal episodes=6 warmup=3 refine=1 threads=1 quiet=true $extra" -o "$out/$p-$r.mlir" || { echo "$p $r: joint-compress failed"; exit 1; }
    ajpq-opt "$out/$p-$r.mlir" --ajpq-cost-report="json=$out/$p-$r.cost.json quiet=true" -o /dev/null || { echo "$p $r: cost report failed"; exit 1; }
    printf '%s %s: ' "$p" "$r"
    "$py" "$here/check_budget.py" "$fp32" "$out/$p-$r.cost.json" weight_bytes "$r" || exit 1
  done
done
