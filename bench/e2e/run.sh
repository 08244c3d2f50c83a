#!/bin/sh
# bench/e2e/run.sh — end to end, batch 1, 1 thread: the compressed BlazeFace front compiled to an
# object (ajpq-translate --mlir-to-obj) vs ONNX Runtime fp32 (onnxruntime-node) vs the same fp32
# model lowered through upstream MLIR only (--mlir-to-obj of the imported fp32 module, no ajpq
# ops) vs our fp32 executor; plus the compile time of each object per stage (--timing). A fifth
# variant, "baseline", is the compressed model with the float glue lowered by the previous
# upstream pipeline (no fusion/flattening, set through the AJPQ_PIPELINE_* knobs of
# kernels/ajpq_codegen.h): the before/after of the glue work in the same run.
#
# Usage: bench/e2e/run.sh [BUILD_DIR] [REPEATS] [ROUNDS] [IMAGES]
#   REPEATS processes per variant, interleaved (compressed, baseline, fp32-mlir, executor, ORT,
#   compressed, ...); each process times ROUNDS rounds of IMAGES LFW images after a warm-up and
#   reports the median and minimum ms/image over its rounds and its CPU ms/image. Default 100
#   rounds of 1 image (as ajpq-executor-bench does): on a loaded machine a round shorter than a
#   scheduler time slice is rarely preempted, so the medians stay comparable. We print the median of
#   the per-process medians, the minimum of the minimums, the median CPU ms/image, and ratios
#   ORT / variant (> 1 = faster than ORT), plus the 1-min load average before and after.
# Env: AJPQ_DATA (default ~/.cache/ajpq; `make data`), AJPQ_ORT_DIR (default /work/ort, see
#   ort_e2e.js), CC (default cc), AJPQ_E2E_COMPRESS (joint-compress options; default: the
#   deterministic uniform 4-bit policy of test/kernels/blazeface.test), AJPQ_E2E_KEEP=DIR keeps
#   the intermediate files in DIR, AJPQ_E2E_MODEL=FILE.mlir uses that compressed module (e.g. the
#   demo's out/demo/compressed.mlir) instead of compressing the fp32 model,
#   AJPQ_E2E_BEFORE=PATH/ajpq-translate adds a sixth variant, "before": the compressed module
#   compiled by another ajpq-translate (an older build), compile time and speed measured in the
#   same run (the before/after of a code generator change).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build}
repeats=${2:-5}
rounds=${3:-100}
images=${4:-1}
data=${AJPQ_DATA:-$HOME/.cache/ajpq}
cc=${CC:-cc}
onnx=$data/blazeface/face_detection_front_128x128_barracuda.onnx
inputs=$data/lfw/blazeface-front-128.npy
compress=${AJPQ_E2E_COMPRESS:-"policy=uniform bits=4 target-size-ratio=0.3 calibration=$src/zoo/blazeface-front.json calibration-samples=8 threads=1 quiet=true"}
for f in "$onnx" "$inputs" "$build/bin/ajpq-translate" "$build/bin/ajpq-opt" "$build/bin/ajpq-executor-bench"; do
  [ -e "$f" ] || { echo "run.sh: error: missing $f (make data / build the tools)" >&2; exit 1; }
done
if [ -n "${AJPQ_E2E_KEEP:-}" ]; then
  w=$AJPQ_E2E_KEEP
  mkdir -p "$w"
else
  w=$(mktemp -d)
  trap 'rm -rf "$w"' EXIT
fi
load0=$(cut -d' ' -f1 /proc/loadavg)
"$build/bin/ajpq-translate" --import-onnx "$onnx" --input-shape=input:0:1x128x128x3 -o "$w/fp32.mlir"
if [ -n "${AJPQ_E2E_MODEL:-}" ]; then
  cp "$AJPQ_E2E_MODEL" "$w/compressed.mlir"
else
  AJPQ_SRC=$src "$build/bin/ajpq-opt" "$w/fp32.mlir" --joint-compress="$compress" -o "$w/compressed.mlir"
fi
cp "$w/compressed.mlir" "$w/baseline.mlir"
variants="compressed baseline fp32"
if [ -n "${AJPQ_E2E_BEFORE:-}" ]; then
  [ -x "$AJPQ_E2E_BEFORE" ] || { echo "run.sh: error: AJPQ_E2E_BEFORE=$AJPQ_E2E_BEFORE is not executable" >&2; exit 1; }
  cp "$w/compressed.mlir" "$w/before.mlir"
  variants="compressed before baseline fp32"
fi
# "baseline": the compressed model through the upstream phases as they were before this work
# (no elementwise fusion, no max-pool vectorization, no flattening, one pass per dialect to LLVM: the single pipeline of
# ajpq_codegen_pipeline_text(), cut into the same phases).
baseline_env="AJPQ_PIPELINE_DEALLOC=none
AJPQ_PIPELINE_TOSA=func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor)
AJPQ_TRANSFORM_TENSORS=none
AJPQ_PIPELINE_BUFFERIZE=builtin.module(one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map})
AJPQ_TRANSFORM_BUFFERS=none
AJPQ_PIPELINE_TO_LLVM=builtin.module(buffer-deallocation-pipeline,func.func(convert-linalg-to-loops),convert-vector-to-scf,convert-scf-to-cf,expand-strided-metadata,lower-affine,convert-vector-to-llvm,convert-math-to-llvm,convert-arith-to-llvm,convert-ub-to-llvm,convert-cf-to-llvm,finalize-memref-to-llvm,convert-func-to-llvm,convert-ub-to-llvm,reconcile-unrealized-casts)"
# Compile time: 3 compiles of each module, alternating; the timing lines go to $w/*.timing.N.
for n in 1 2 3; do
  for v in $variants; do
    if [ "$v" = before ]; then
      "$AJPQ_E2E_BEFORE" --mlir-to-obj "$w/$v.mlir" -o "$w/$v.o" --header="$w/$v.h" --timing 2> "$w/$v.timing.$n"
    elif [ "$v" = baseline ]; then
      set -f
      IFS='
'
      # shellcheck disable=SC2086
      env $baseline_env "$build/bin/ajpq-translate" --mlir-to-obj "$w/$v.mlir" -o "$w/$v.o" \
        --header="$w/$v.h" --timing 2> "$w/$v.timing.$n"
      unset IFS
      set +f
    else
      "$build/bin/ajpq-translate" --mlir-to-obj "$w/$v.mlir" -o "$w/$v.o" --header="$w/$v.h" --timing \
        2> "$w/$v.timing.$n"
    fi
  done
done
for v in $variants; do
  $cc -O2 -std=c11 -I"$w" -DAJPQ_E2E_HEADER="\"$v.h\"" -DAJPQ_E2E_PREFIX=main \
    "$here/e2e_driver.c" "$w/$v.o" -o "$w/drv_$v"
done
out=$w/results.txt
: > "$out"
i=0
while [ "$i" -lt "$repeats" ]; do
  echo "compressed $("$w/drv_compressed" "$inputs" "$rounds" "$images")" >> "$out"
  if [ -n "${AJPQ_E2E_BEFORE:-}" ]; then
    echo "before $("$w/drv_before" "$inputs" "$rounds" "$images")" >> "$out"
  fi
  echo "baseline $("$w/drv_baseline" "$inputs" "$rounds" "$images")" >> "$out"
  # The upstream-only fp32 object runs scalar loops: fewer rounds keep the run short.
  echo "fp32-mlir $("$w/drv_fp32" "$inputs" $(( (rounds + 4) / 5 )) "$images")" >> "$out"
  echo "executor $("$build/bin/ajpq-executor-bench" "$w/fp32.mlir" "$inputs" 1 1 $((rounds * images)))" >> "$out"
  echo "ort $(node "$here/ort_e2e.js" "$onnx" "$inputs" 1 "$rounds" "$images")" >> "$out"
  i=$((i + 1))
done
load1=$(cut -d' ' -f1 /proc/loadavg)
python3 - "$w" "$load0" "$load1" "$repeats" "$rounds" "$images" $variants <<'PY'
import json, os, re, statistics, sys, datetime
w, load0, load1, repeats, rounds, images = sys.argv[1:7]
variants = sys.argv[7:]
rows = {}
for line in open(os.path.join(w, 'results.txt')):
    name, js = line.split(' ', 1)
    rows.setdefault(name, []).append(json.loads(js))
cpu = 'unknown'
for l in open('/proc/cpuinfo'):
    if l.startswith('model name'):
        cpu = l.split(':', 1)[1].strip(); break
print(f"machine: {cpu}, {os.cpu_count()} CPUs; {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; "
      f"1-min load average {load0} before, {load1} after; {repeats} processes per variant, "
      f"interleaved; {rounds} rounds x {images} LFW images per process (fp32-mlir: fewer rounds)")
print()
names = {'compressed': 'compressed model.o (ajpq kernels + upstream glue)',
         'before': 'same, compiled by AJPQ_E2E_BEFORE',
         'baseline': 'same, glue through the previous upstream pipeline',
         'fp32-mlir': 'fp32 model.o, upstream MLIR only',
         'executor': 'fp32 ajpq executor', 'ort': 'ONNX Runtime fp32'}
med = {k: statistics.median(r['ms_per_sample'] for r in v) for k, v in rows.items()}
mn = {k: min(r['min_ms_per_sample'] for r in v) for k, v in rows.items()}
cpu_ms = {k: (statistics.median(r['cpu_ms_per_sample'] for r in v) if 'cpu_ms_per_sample' in v[0] else None)
          for k, v in rows.items()}
print("| variant | ms/image median | ms/image min | CPU ms/image (median) | ORT/variant (median; min; CPU) | sum of output 0, image 0 |")
print("|---|---|---|---|---|---|")
for k in ['compressed', 'before', 'baseline', 'fp32-mlir', 'executor', 'ort']:
    if k not in rows:
        continue
    c = f"{cpu_ms[k]:.3f}" if cpu_ms[k] is not None else "n/a"
    rc = f"{cpu_ms['ort'] / cpu_ms[k]:.2f}" if cpu_ms[k] and cpu_ms.get('ort') else "n/a"
    s = rows[k][0].get('out0_sum')
    print(f"| {names[k]} | {med[k]:.3f} | {mn[k]:.3f} | {c} | {med['ort'] / med[k]:.2f}; {mn['ort'] / mn[k]:.2f}; {rc} | "
          f"{'%.5g' % s if s is not None else 'n/a'} |")
print()
print("Compile time, ajpq-translate --mlir-to-obj --timing (median of 3 compiles; wall / CPU seconds):")
print()
stages = []
tab = {}
for v in variants:
    per = {}
    for n in (1, 2, 3):
        for l in open(os.path.join(w, f'{v}.timing.{n}')):
            m = re.match(r'ajpq-translate: timing: (.*?)\s+wall\s+([\d.]+) s\s+cpu\s+([\d.]+) s', l)
            if m:
                if m.group(1) not in stages:
                    stages.append(m.group(1))
                per.setdefault(m.group(1), []).append((float(m.group(2)), float(m.group(3))))
    tab[v] = per
heads = {'compressed': 'compressed', 'before': 'compressed, AJPQ_E2E_BEFORE',
         'baseline': 'compressed, previous upstream pipeline', 'fp32': 'fp32 (upstream only)'}
print("| stage | " + " | ".join(f"{heads[v]}: wall s | CPU s" for v in variants) + " |")
print("|---" * (1 + 2 * len(variants)) + "|")
for s in stages:
    cells = []
    for v in variants:
        p = tab[v].get(s, [(float('nan'), float('nan'))])
        cells += [f"{statistics.median(x[0] for x in p):.3f}", f"{statistics.median(x[1] for x in p):.3f}"]
    print(f"| {s} | " + " | ".join(cells) + " |")
PY
