#!/bin/sh
# bench/executor/run.sh — fp32 throughput of ajpq_executor vs ONNX Runtime (onnxruntime-node
# 1.30.0, CPU) on BlazeFace front at batch 1 and 32, same thread count, measured in the same run:
# the two engines alternate process by process (REPEATS times each), each process timing ROUNDS
# batches after a warm-up; we report the median over processes of the per-process medians, and
# the ratio executor throughput / ORT throughput (target >= 0.5).
# Usage: bench/executor/run.sh [BUILD_DIR] [THREADS_LIST] [REPEATS] [ROUNDS]
# Needs: make data (BlazeFace + LFW tensors in $AJPQ_DATA), node, and onnxruntime-node installed
# OUTSIDE the checkout (npm install --ignore-scripts onnxruntime-node@1.30.0 in $AJPQ_ORT_DIR,
# default /work/ort).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
threads_list=${2:-"1 2"}
repeats=${3:-5}
rounds=${4:-20}
data=${AJPQ_DATA:-$HOME/.cache/ajpq}
model=$data/blazeface/face_detection_front_128x128_barracuda.onnx
inputs=$data/lfw/blazeface-front-128.npy
for f in "$model" "$inputs" "$build/bin/ajpq-executor-bench"; do
  [ -e "$f" ] || { echo "run.sh: error: missing $f (make data / build ajpq-executor-bench)" >&2; exit 1; }
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in $threads_list; do
  for b in 1 32; do
    r=$rounds
    [ "$b" -gt 1 ] && r=$(( (rounds + 3) / 4 ))
    i=0
    while [ $i -lt "$repeats" ]; do
      e=$("$build/bin/ajpq-executor-bench" "$model" "$inputs" "$b" "$t" "$r" input:0:1x128x128x3)
      o=$(node "$here/ort_bench.js" "$model" "$inputs" "$b" "$t" "$r")
      echo "exec $b $t $e" >> "$out"
      echo "ort $b $t $o" >> "$out"
      i=$((i + 1))
    done
  done
done
python3 - "$out" <<'PY'
import json, statistics, sys, platform, os, datetime
rows = {}
for line in open(sys.argv[1]):
    eng, b, t, js = line.split(' ', 3)
    d = json.loads(js)
    if 'error' in d:
        print('error:', eng, b, t, d['error']); sys.exit(1)
    rows.setdefault((int(b), int(t)), {}).setdefault(eng, []).append(d)
cpu = 'unknown'
try:
    for l in open('/proc/cpuinfo'):
        if l.startswith('model name'):
            cpu = l.split(':', 1)[1].strip(); break
except OSError:
    pass
try:
    load = open('/proc/loadavg').read().split()[0]
except OSError:
    load = '?'
print(f"machine: {cpu}, {os.cpu_count()} CPUs; date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; "
      f"1-min load average at the end: {load}")
print("| batch | threads | executor ms/sample (median, min) | ORT ms/sample (median, min) | throughput ratio executor/ORT (median; best-vs-best) |")
print("|---|---|---|---|---|")
for (b, t), v in sorted(rows.items()):
    em = statistics.median(x['ms_per_sample'] for x in v['exec'])
    en = min(x['min_ms_per_sample'] for x in v['exec'])
    om = statistics.median(x['ms_per_sample'] for x in v['ort'])
    on = min(x['min_ms_per_sample'] for x in v['ort'])
    print(f"| {b} | {t} | {em:.3f}, {en:.3f} | {om:.3f}, {on:.3f} | {om/em:.2f}; {on/en:.2f} |")
PY
