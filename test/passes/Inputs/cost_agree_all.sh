#!/bin/sh
# cost_agree_all.sh MODEL.mlir CAL OUT_DIR PYTHON "RATIOS" "POLICIES": runs
# --joint-compress for every policy x ratio (few episodes), then
# ajpq-cost-report on its output and cost_agree.py on the pair; prints the
# verdict line of each run and stops at the first failure (exit 1).
set -u
model=$1 cal=$2 out=$3 py=$4 ratios=$5 policies=$6
here=$(cd "$(dirname "$0")" && pwd)
for p in $policies; do
  for r in $ratios; do
    ajpq-opt "$model" --joint-compress="target-size-ratio=$r bits=0,2,4,8 policy=$p calibration=$cal metric=agreement episodes=6 warmup=3 refine=1 seed=5 threads=1" -o "$out/$p-$r.mlir" 2> "$out/$p-$r.log" || { echo "$p $r: joint-compress failed"; exit 1; }
    ajpq-opt "$out/$p-$r.mlir" --ajpq-cost-report="json=$out/$p-$r.json quiet=true" -o /dev/null || { echo "$p $r: cost report failed"; exit 1; }
    printf '%s %s: ' "$p" "$r"
    "$py" "$here/cost_agree.py" "$out/$p-$r.log" "$out/$p-$r.json" | tail -1
    "$py" "$here/cost_agree.py" "$out/$p-$r.log" "$out/$p-$r.json" > /dev/null || exit 1
  done
done
