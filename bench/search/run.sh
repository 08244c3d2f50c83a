#!/bin/sh
# bench/search/run.sh — the policy comparison of issue 5 on BlazeFace front (docs/results.md,
# "Search on BlazeFace front"): each policy searches on the manifest's calibration split at
# target-size-ratio=0.1667 (seed 1), then the result is measured on the evaluation split with
# ajpq-runner (accuracy, AUC) and ajpq-cost-report (size ratio, erased channels, average bits).
# Prints one table row per policy (wall and CPU seconds of the search, the 1-minute load
# average at its end) and keeps each policy's time breakdown line (the pass's
# "time (wall/CPU s): ..." line) in OUT_DIR/<policy>.log.
#
# Usage: bench/search/run.sh [BUILD_DIR] [EPISODES] [POLICIES] [OUT_DIR]
#   defaults: build, 300, "ajpq two-step layer-wise random uniform", a temp dir (kept: path printed)
# Environment: AJPQ_EXTRA (more --joint-compress options, e.g. "weight-clipping=minmax
#   bias-correction=false" to compare like with like across default changes),
#   AJPQ_RATIO (0.1667), AJPQ_SEED (1), AJPQ_THREADS (1: executor threads of the
#   search; results do not depend on it), AJPQ_CAL_ALL=1: the TIMING run of issue 5 — search on
#   all 200 LFW images (a copy of the manifest whose calibration split is [0, 200) of a 400-sample
#   file = the 200 images twice; its evaluation split [200, 400) only exists because manifests
#   must hold one out), so the "eval" columns then repeat calibration images and mean nothing.
# Needs: make data (BlazeFace ONNX + LFW tensors in $AJPQ_DATA), a built tree, python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build}
episodes=${2:-300}
policies=${3:-"ajpq two-step layer-wise random uniform"}
out=${4:-$(mktemp -d)}
ratio=${AJPQ_RATIO:-0.1667}
seed=${AJPQ_SEED:-1}
threads=${AJPQ_THREADS:-1}
extra=${AJPQ_EXTRA:-}
data=${AJPQ_DATA:-$HOME/.cache/ajpq}
onnx=$data/blazeface/face_detection_front_128x128_barracuda.onnx
man=$src/zoo/blazeface-front.json
for f in "$onnx" "$man" "$build/bin/ajpq-opt" "$build/bin/ajpq-translate" "$build/bin/ajpq-runner"; do
  [ -e "$f" ] || { echo "run.sh: error: missing $f (make data / build)" >&2; exit 1; }
done
mkdir -p "$out"
if [ "${AJPQ_CAL_ALL:-0}" = 1 ]; then
  python3 - "$man" "$data" "$out" <<'PY'
import json, os, struct, sys
man, data, out = sys.argv[1:4]
def npy(path):
    b = open(path, "rb").read()
    hl = struct.unpack("<H", b[8:10])[0]
    return b[10:10 + hl].decode("latin1").strip(), b[10 + hl:]
def write(path, header, payload):
    pad = 64 - ((10 + len(header) + 1) % 64)
    h = (header + " " * pad + "\n").encode("latin1")
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + payload)
m = json.load(open(man))
for key in ("inputs", "labels"):
    h, p = npy(os.path.join(data, m["data"][key]))
    dst = os.path.join(out, "cal-all-" + key + ".npy")
    write(dst, h.replace("(200,", "(400,"), p + p)
    m["data"][key] = dst
m["splits"] = {"calibration": [[0, 200]], "evaluation": [[200, 400]]}
m.pop("expected_splits", None)
json.dump(m, open(os.path.join(out, "cal-all.json"), "w"), indent=1)
PY
  man=$out/cal-all.json
fi
echo "# bench/search: $(date -u +%Y-%m-%dT%H:%MZ) $(uname -n) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(nproc) CPUs"
echo "# ratio=$ratio episodes=$episodes seed=$seed threads=$threads calibration=$man out=$out extra=$extra"
"$build/bin/ajpq-translate" --import-onnx "$onnx" --input-shape=input:0:1x128x128x3 -o "$out/fp32.mlir"
"$build/bin/ajpq-opt" "$out/fp32.mlir" --ajpq-cost-report="json=$out/fp32.cost.json quiet=true" -o /dev/null
printf '%-11s %7s %7s %7s %9s %9s %9s %9s %8s %8s %5s\n' policy ratio erased avgbits eval_acc eval_auc wall_s cpu_s wall/ep cpu/ep load
for p in $policies; do
  "$build/bin/ajpq-opt" "$out/fp32.mlir" \
    --joint-compress="target-size-ratio=$ratio calibration=$man episodes=$episodes seed=$seed threads=$threads policy=$p strategy-out=$out/$p.json $extra" \
    -o "$out/$p.mlir" 2> "$out/$p.log"
  load=$(cut -d' ' -f1 /proc/loadavg)
  "$build/bin/ajpq-opt" "$out/$p.mlir" --ajpq-cost-report="json=$out/$p.cost.json quiet=true" -o /dev/null
  "$build/bin/ajpq-runner" "$out/$p.mlir" --manifest "$man" --split evaluation --metric auc --json > "$out/$p.eval.json"
  python3 - "$out/fp32.cost.json" "$out/$p.cost.json" "$out/$p.eval.json" "$p" "$out/$p.log" "$episodes" "$load" <<'PY'
import json, re, sys
f, c, e = (json.load(open(a)) for a in sys.argv[1:4])
p, log, ep, load = sys.argv[4], open(sys.argv[5]).read(), int(sys.argv[6]), sys.argv[7]
m = re.search(r"search ([0-9.]+)/([0-9.]+) = ", log)
wall, cpu = (float(m.group(1)), float(m.group(2))) if m else (float("nan"), float("nan"))
t = c["total"]; n = ep if p != "uniform" else 1
print("%-11s %7.4f %7d %7.2f %9.3f %9.4f %9.1f %9.1f %8.3f %8.3f %5s" % (
    p, t["weight_bytes"] / f["total"]["weight_bytes"], t["erased_channels"], t["avg_bits"],
    e.get("accuracy", float("nan")), e.get("auc", float("nan")), wall, cpu, wall / n, cpu / n, load))
PY
  grep -h "time (wall/CPU s)\|per episode\|refinement:" "$out/$p.log" | sed "s/^/#   $p: /"
done
