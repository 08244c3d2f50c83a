#!/bin/sh
# bench/search/run.sh — the policy comparison of issue 5 on BlazeFace front (docs/results.md,
# "Search on BlazeFace front"): each policy searches on the manifest's calibration split at
# target-size-ratio=0.1667 (seed 1, threads=1), then the result is measured on the evaluation
# split with ajpq-runner (accuracy, AUC) and ajpq-cost-report (size ratio, erased channels,
# average bits). Prints one table row per policy plus the search's own timing line.
# Usage: bench/search/run.sh [BUILD_DIR] [EPISODES] [POLICIES] [OUT_DIR]
#   defaults: build, 300, "ajpq two-step layer-wise random uniform", a temp dir (kept: path printed)
# Needs: make data (BlazeFace ONNX + LFW tensors in $AJPQ_DATA), a built tree.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build}
episodes=${2:-300}
policies=${3:-"ajpq two-step layer-wise random uniform"}
out=${4:-$(mktemp -d)}
ratio=${AJPQ_RATIO:-0.1667}
seed=${AJPQ_SEED:-1}
data=${AJPQ_DATA:-$HOME/.cache/ajpq}
onnx=$data/blazeface/face_detection_front_128x128_barracuda.onnx
man=$src/zoo/blazeface-front.json
for f in "$onnx" "$man" "$build/bin/ajpq-opt" "$build/bin/ajpq-translate" "$build/bin/ajpq-runner"; do
  [ -e "$f" ] || { echo "run.sh: error: missing $f (make data / build)" >&2; exit 1; }
done
mkdir -p "$out"
echo "# bench/search: $(date -u +%Y-%m-%dT%H:%MZ) $(uname -n) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "# ratio=$ratio episodes=$episodes seed=$seed out=$out"
"$build/bin/ajpq-translate" --import-onnx "$onnx" --input-shape=input:0:1x128x128x3 -o "$out/fp32.mlir"
"$build/bin/ajpq-opt" "$out/fp32.mlir" --ajpq-cost-report="json=$out/fp32.cost.json quiet=true" -o /dev/null
printf '%-11s %7s %7s %7s %9s %9s %9s %8s\n' policy ratio erased avgbits eval_acc eval_auc search_s s/ep
for p in $policies; do
  t0=$(date +%s.%N)
  "$build/bin/ajpq-opt" "$out/fp32.mlir" \
    --joint-compress="target-size-ratio=$ratio calibration=$man episodes=$episodes seed=$seed threads=1 policy=$p strategy-out=$out/$p.json" \
    -o "$out/$p.mlir" 2> "$out/$p.log"
  t1=$(date +%s.%N)
  "$build/bin/ajpq-opt" "$out/$p.mlir" --ajpq-cost-report="json=$out/$p.cost.json quiet=true" -o /dev/null
  "$build/bin/ajpq-runner" "$out/$p.mlir" --manifest "$man" --split evaluation --metric auc --json > "$out/$p.eval.json"
  python3 - "$out/fp32.cost.json" "$out/$p.cost.json" "$out/$p.eval.json" "$p" "$t0" "$t1" "$episodes" <<'PY'
import json, sys
f, c, e = (json.load(open(a)) for a in sys.argv[1:4])
p, t0, t1, ep = sys.argv[4], float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
t = c["total"]; n = ep if p != "uniform" else 1
print("%-11s %7.4f %7d %7.2f %9.3f %9.4f %9.1f %8.3f" % (p, t["weight_bytes"] / f["total"]["weight_bytes"],
      t["erased_channels"], t["avg_bits"], e.get("accuracy", float("nan")), e.get("auc", float("nan")),
      t1 - t0, (t1 - t0) / n))
PY
done
