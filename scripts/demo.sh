#!/bin/sh
# ajpq's end-to-end demo (`make demo`): compress BlazeFace front on real data (LFW), compile it,
# run it, print one before/after table and write out/demo/.
#
#   sh scripts/demo.sh
#
# Steps (each failure names its step and exits 1; nothing is faked):
#   0 setup    install missing Debian packages (scripts/install-deps.sh), configure + build the
#              three tools, fetch models and data (scripts/fetch-data.sh; offline once fetched)
#   1 import   ajpq-translate --import-onnx  -> out/demo/imported.mlir
#   2 fp32     ajpq-runner --json on the manifest's evaluation split + ajpq-cost-report
#   3 search   ajpq-opt --joint-compress (budget target-size-ratio, calibration split of the
#              manifest) -> compressed.mlir, strategy.json, bits-per-channel.svg
#              + ajpq-runner / ajpq-cost-report on the result
#   4 compile  ajpq-translate --mlir-to-obj -> model.o + model.h; a C harness
#              (scripts/demo/run_object.c) links model.o and runs it on the evaluation split;
#              the fp32 model is compiled the same way (fp32.o) for the latency baseline
#   5 report   the table on stdout, out/demo/report.json (keys: docs/tutorial.md)
# Exit 0 only if every step worked and the compressed model met its budget. Otherwise a message
# naming the step, exit 1 (130 / 143 on Ctrl-C / SIGTERM), and only complete files of the steps
# that finished are left in the output folder (test/demo/demo-errors.test).
#
# Knobs (environment):
#   AJPQ_DEMO_EPISODES    search episodes (default 100; the CI form (test/demo) uses 2)
#   AJPQ_DEMO_WARMUP      warm-up episodes (default: min(20, episodes/3))
#   AJPQ_DEMO_RATIO       target-size-ratio (default 0.1667, i.e. >= 6x smaller)
#   AJPQ_DEMO_SEED        seed (default 1)
#   AJPQ_DEMO_THREADS     executor threads of the search (default 1)
#   AJPQ_DEMO_OUT         output folder (default out/demo in the repository)
#   AJPQ_DEMO_SETUP=0     skip step 0 (tools already built in AJPQ_BUILD_DIR, data fetched)
#   AJPQ_DEMO_FP32_OBJ=0  do not compile the fp32 model (no compiled fp32 latency baseline)
#   AJPQ_BUILD_DIR        build folder (default build/ in the repository)
#   AJPQ_DATA             data cache (default ~/.cache/ajpq)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${AJPQ_BUILD_DIR:-$root/build}
out=${AJPQ_DEMO_OUT:-$root/out/demo}
export AJPQ_DATA="${AJPQ_DATA:-$HOME/.cache/ajpq}"
episodes=${AJPQ_DEMO_EPISODES:-100}
ratio=${AJPQ_DEMO_RATIO:-0.1667}
seed=${AJPQ_DEMO_SEED:-1}
# One executor thread: docs/search.md measured that worker threads cost far more than they
# give on a shared machine; results do not depend on it.
threads=${AJPQ_DEMO_THREADS:-1}
if [ -n "${AJPQ_DEMO_WARMUP:-}" ]; then
  warmup=$AJPQ_DEMO_WARMUP
else
  warmup=$((episodes / 3))
  [ "$warmup" -gt 20 ] && warmup=20
fi
manifest=$root/zoo/blazeface-front.json
py=/usr/bin/python3
bin=$build/bin

# Every file this script writes into $out (removed at the start of a run).
outputs="imported.mlir compressed.mlir strategy.json bits-per-channel.svg report.json model.o model.h
  fp32.o fp32.h fp32-runner.json fp32-cost.json compressed-runner.json compressed-cost.json
  model-object.txt fp32-object.txt link-notes.txt"

step_name="start (settings)"
wrote=0 # 1 once this run writes into $out
t_start=$(date +%s)
step() {
  step_name="$1"
  echo
  echo "== demo step $1 =="
}
# Incomplete files of an interrupted or failed step: ours (FILE.part, see to_file) and the
# tools' atomic temporaries (FILE.tmpXXXXXX, support/ajpq_output.h), which a tool killed by a
# signal leaves behind. Only names of our own outputs are touched.
remove_partial() {
  [ -d "$out" ] || return 0
  for f in $outputs; do
    rm -f "$out/$f.part" "$out/$f".tmp??????
  done
  rm -f "$out/.report.json.tmp" "$out/.demo-write-test"
}
on_exit() {
  rc=$?
  remove_partial
  if [ $rc -ne 0 ]; then
    echo >&2
    if [ "$wrote" = 1 ]; then
      echo "demo: FAILED at step $step_name (exit $rc); outputs of the finished steps are in $out" >&2
    else
      echo "demo: FAILED at step $step_name (exit $rc)" >&2
    fi
  fi
}
trap on_exit EXIT
# Ctrl-C / kill: the running tool gets the signal too and stops; say where, exit 128+signal
# (on_exit then removes incomplete files).
on_signal() {
  trap - INT TERM HUP
  echo >&2
  echo "demo: interrupted (SIG$1) in step $step_name" >&2
  exit "$2"
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP
die() {
  echo "demo: error in step $step_name: $*" >&2
  exit 1
}
need_tool() { # need_tool BINARY FLAG WHAT: the tool exists and knows FLAG
  [ -x "$bin/$1" ] || die "$bin/$1 does not exist ($3 is missing)"
  "$bin/$1" --help 2>&1 | grep -q -e "$2" || die "$1 has no $2 ($3 is missing)"
}
# json_get FILE KEY...: prints a value of a JSON file (standard library only).
json_get() {
  "$py" -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    d=d[int(k)] if isinstance(d,list) else d[k]
print(json.dumps(d) if isinstance(d,(list,dict)) else d)' "$@"
}
now() { date +%s.%N; }
# to_file FILE COMMAND...: COMMAND's stdout into FILE, all or nothing: a failed or interrupted
# COMMAND leaves no FILE (a half-written JSON would be read as a result).
to_file() {
  tf=$1
  shift
  if "$@" >"$tf.part"; then
    mv -f "$tf.part" "$tf"
  else
    tf_rc=$?
    rm -f "$tf.part"
    return $tf_rc
  fi
}

[ -f "$manifest" ] || die "$manifest is missing"
case "$episodes" in '' | *[!0-9]*) die "AJPQ_DEMO_EPISODES must be a positive integer" ;; esac
[ "$episodes" -ge 1 ] || die "AJPQ_DEMO_EPISODES must be >= 1"
# The output folder must be writable before anything long runs (root ignores permissions, so
# try it: a read-only file system or a path through a file fails here).
mkdir -p "$out" 2>/dev/null && touch "$out/.demo-write-test" 2>/dev/null && rm -f "$out/.demo-write-test" ||
  die "cannot write the output folder $out (set AJPQ_DEMO_OUT to a writable folder)"
# Absolute from here on: the harness's glue.h includes "$out/model.h", which a compiler resolves
# from glue.h's own folder, not from the current directory.
out=$(cd "$out" && pwd)

# ---------------------------------------------------------------------------------------------
if [ "${AJPQ_DEMO_SETUP:-1}" != 0 ]; then
  step "0 setup (packages, build, data)"
  sh "$root/scripts/install-deps.sh" || die "installing Debian packages failed"
  [ -x "$py" ] || die "$py not found (Debian python3)"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null ||
    die "cmake configure failed"
  cmake --build "$build" --target ajpq-translate ajpq-opt ajpq-runner ||
    die "building ajpq-translate, ajpq-opt, ajpq-runner failed"
  [ -f "$root/scripts/fetch-data.sh" ] || die "scripts/fetch-data.sh is missing"
  sh "$root/scripts/fetch-data.sh" || die "fetching models and data failed"
fi
[ -x "$py" ] || die "$py not found (Debian python3)"

onnx=$AJPQ_DATA/$(json_get "$manifest" model onnx)
inputs=$AJPQ_DATA/$(json_get "$manifest" data inputs)
labels=$AJPQ_DATA/$(json_get "$manifest" data labels)
threshold=$(json_get "$manifest" threshold)
shape=$(json_get "$manifest" model mlir_input_shapes 0)
ranges=$("$py" -c 'import json,sys
print(",".join("%d:%d" % (b, e) for b, e in json.load(open(sys.argv[1]))["splits"]["evaluation"]))' "$manifest")
scored=$("$py" -c 'import json,sys
print(",".join(str(o) for o in json.load(open(sys.argv[1]))["postprocess"]["outputs"]))' "$manifest")
# `make data` re-fetches a damaged download but keeps converted tensors it believes complete;
# --force re-converts them (offline when the downloads are intact).
refetch="run 'sh scripts/fetch-data.sh --force' to re-create the data cache $AJPQ_DATA"
for f in "$onnx" "$inputs" "$labels"; do
  [ -f "$f" ] || die "$f is missing: $refetch"
done

# Start from a clean output folder, removing only what this script writes there.
mkdir -p "$out"
# shellcheck disable=SC2086
(cd "$out" && rm -rf $outputs harness-model harness-fp32)
wrote=1

# ---------------------------------------------------------------------------------------------
step "1 import (ajpq-translate --import-onnx)"
need_tool ajpq-translate --import-onnx "the ONNX importer (issue 3)"
# --mlir-print-debuginfo keeps the ONNX node names (locations) in the file, so strategy.json and
# the cost report name layers by them.
"$bin/ajpq-translate" --import-onnx "$onnx" --input-shape="$shape" --mlir-print-debuginfo \
  -o "$out/imported.mlir" ||
  die "importing $onnx failed"
echo "imported $(basename "$onnx") -> $out/imported.mlir"

# ---------------------------------------------------------------------------------------------
step "2 fp32 (ajpq-runner, ajpq-cost-report)"
need_tool ajpq-runner --manifest "the runner (issue 4)"
need_tool ajpq-opt --list-passes "the driver"
"$bin/ajpq-opt" --list-passes 2>&1 | grep -q -e '--ajpq-cost-report' ||
  die "ajpq-opt has no --ajpq-cost-report (issue 5)"
to_file "$out/fp32-runner.json" "$bin/ajpq-runner" "$out/imported.mlir" --manifest "$manifest" --json ||
  die "ajpq-runner on the fp32 model failed (a damaged data file? $refetch)"
# The fp32 numbers are known (the manifest's "expected", measured with ONNX Runtime): anything
# else means a damaged model or data file (or an executor bug), and compressing on top of it
# would report nonsense. Tolerance: one evaluation sample of accuracy, 0.005 of AUC.
"$py" - "$manifest" "$out/fp32-runner.json" <<'EOF' || die "the fp32 model does not give the manifest's known results: $refetch"
import json, sys
exp = json.load(open(sys.argv[1])).get("expected", {})
got = json.load(open(sys.argv[2]))
bad = []
if "accuracy" in exp and abs(got["accuracy"] - exp["accuracy"]) > 1.0 / got["n"] + 1e-9:
    bad.append("accuracy %.4f (expected %.4f)" % (got["accuracy"], exp["accuracy"]))
if "auc" in exp and abs((got.get("auc") or 0.0) - exp["auc"]) > 0.005:
    bad.append("AUC %.4f (expected %.4f)" % (got.get("auc") or 0.0, exp["auc"]))
if bad:
    print("demo: fp32 on the evaluation split: " + ", ".join(bad), file=sys.stderr)
    sys.exit(1)
EOF
"$bin/ajpq-opt" "$out/imported.mlir" --ajpq-cost-report="json=$out/fp32-cost.json quiet=true" \
  -o /dev/null || die "ajpq-cost-report on the fp32 model failed"
echo "fp32 on the evaluation split: accuracy $(json_get "$out/fp32-runner.json" accuracy)," \
  "AUC $(json_get "$out/fp32-runner.json" auc), weight bytes $(json_get "$out/fp32-cost.json" total weight_bytes)," \
  "MACs $(json_get "$out/fp32-cost.json" total macs)"

# ---------------------------------------------------------------------------------------------
step "3 search (ajpq-opt --joint-compress, $episodes episodes, target-size-ratio=$ratio)"
"$bin/ajpq-opt" --list-passes 2>&1 | grep -q -e '--joint-compress' ||
  die "ajpq-opt has no --joint-compress (issue 5)"
t0=$(now)
"$bin/ajpq-opt" "$out/imported.mlir" \
  --joint-compress="target-size-ratio=$ratio calibration=$manifest seed=$seed episodes=$episodes warmup=$warmup threads=$threads strategy-out=$out/strategy.json report-svg=$out/bits-per-channel.svg" \
  -o "$out/compressed.mlir" || die "--joint-compress failed"
t1=$(now)
search_s=$("$py" -c "print('%.1f' % ($t1 - $t0))")
for f in compressed.mlir strategy.json bits-per-channel.svg; do
  [ -s "$out/$f" ] || die "--joint-compress did not write $f"
done
"$bin/ajpq-opt" "$out/compressed.mlir" --ajpq-cost-report="json=$out/compressed-cost.json quiet=true" \
  -o /dev/null || die "ajpq-cost-report on the compressed model failed"
to_file "$out/compressed-runner.json" "$bin/ajpq-runner" "$out/compressed.mlir" --manifest "$manifest" --json ||
  die "ajpq-runner on the compressed model failed"
echo "compressed on the evaluation split: accuracy $(json_get "$out/compressed-runner.json" accuracy)," \
  "AUC $(json_get "$out/compressed-runner.json" auc), weight bytes $(json_get "$out/compressed-cost.json" total weight_bytes)"

# ---------------------------------------------------------------------------------------------
step "4 compile (ajpq-translate --mlir-to-obj) and run model.o"
need_tool ajpq-translate --mlir-to-obj "object emission (issue 6)"
command -v cc >/dev/null 2>&1 || die "no C compiler (cc)"
# compile_and_run MODULE NAME: NAME.o + NAME.h, the harness linked against them, its output in
# NAME-object.txt.
compile_and_run() {
  "$bin/ajpq-translate" --mlir-to-obj "$1" -o "$out/$2.o" --header="$out/$2.h" ||
    die "ajpq-translate --mlir-to-obj $1 failed"
  mkdir -p "$out/harness-$2"
  glue=$out/harness-$2/glue.h
  # glue.h: sizes and call of the generated main_run, read off the header's documented ABI.
  nin=$(grep -c '^ \*   in[0-9]*: float\[' "$out/$2.h" || true)
  [ "$nin" = 1 ] || die "$2.h: the demo harness handles one input, the header documents $nin"
  {
    echo "#include \"$out/$2.h\""
    sed -n 's/^ \*   in0: float\[\([0-9]*\)\].*/#define DEMO_IN_FLOATS \1L/p' "$out/$2.h"
    nout=$(grep -c '^ \*   out[0-9]*: float\[' "$out/$2.h")
    echo "#define DEMO_NOUT $nout"
    printf 'static const long demo_out_floats[DEMO_NOUT] = {'
    sed -n 's/^ \*   out[0-9]*: float\[\([0-9]*\)\].*/\1,/p' "$out/$2.h" | tr -d '\n'
    echo '};'
    printf '#define DEMO_CALL(in, o) main_run((in)'
    i=0
    while [ $i -lt "$nout" ]; do
      printf ', (o)[%d]' $i
      i=$((i + 1))
    done
    echo ')'
  } >"$glue"
  grep -q 'static inline void main_run' "$out/$2.h" || die "$2.h has no main_run()"
  # model.o should need only libc (memcpy/malloc/free/memset). Symbols beyond those are
  # reported; MLIR's memrefCopy (libmlir_c_runner_utils) is linked from LLVM 22 if needed.
  extra=$(nm -u "$out/$2.o" | awk '{print $2}' | grep -v -x -e malloc -e free -e memcpy -e memset \
    -e memmove -e aligned_alloc -e posix_memalign -e 'expf' -e 'tanhf' -e 'logf' -e 'sqrtf' || true)
  runtime=""
  if [ -n "$extra" ]; then
    [ "$extra" = memrefCopy ] ||
      die "$2.o needs symbols the harness cannot provide: $(echo "$extra" | tr '\n' ' ')"
    # Newer headers carry a weak C memrefCopy; older ones need MLIR's runtime library.
    if ! grep -q 'memrefCopy(' "$out/$2.h"; then
      echo "demo: warning: $2.o needs memrefCopy and $2.h does not define it:" \
        "linking MLIR's libmlir_c_runner_utils" >&2
      runtime="-L/usr/lib/llvm-22/lib -Wl,-rpath,/usr/lib/llvm-22/lib -lmlir_c_runner_utils"
      echo "$2.o: linked with $runtime" >>"$out/link-notes.txt"
    fi
  fi
  # shellcheck disable=SC2086
  cc -O2 -std=c11 -Wall -D_POSIX_C_SOURCE=200809L -include "$glue" -o "$out/harness-$2/run_object" \
    "$root/scripts/demo/run_object.c" "$out/$2.o" $runtime -lm || die "linking $2.o with the harness failed"
  to_file "$out/$2-object.txt" "$out/harness-$2/run_object" "$inputs" "$ranges" "$scored" ||
    die "running $2.o failed"
}
compile_and_run "$out/compressed.mlir" model
echo "model.o on the evaluation split: $(tail -n 1 "$out/model-object.txt")"
if [ "${AJPQ_DEMO_FP32_OBJ:-1}" != 0 ]; then
  compile_and_run "$out/imported.mlir" fp32
  echo "fp32.o on the evaluation split: $(tail -n 1 "$out/fp32-object.txt")"
fi

# ---------------------------------------------------------------------------------------------
step "5 report"
"$py" "$root/scripts/demo/report.py" "$out" "$labels" "$threshold" "$ratio" "$episodes" "$seed" \
  "$search_s" || die "the report failed (budget not met or a number missing)"
# The compiled model must compute what the executor computes (issue 6): at most one of the
# evaluation samples may flip at the threshold (float summation order differs).
"$py" - "$out/report.json" <<'EOF' || die "model.o disagrees with the executor on the compressed model"
import json, sys
r = json.load(open(sys.argv[1]))["compressed"]
n = r["n"]
d = abs(r["compiled_accuracy"] - r["accuracy"]) * n
if d > 1.0 + 1e-9:
    print("demo: model.o accuracy %.4f vs executor %.4f (%d of %d samples differ)"
          % (r["compiled_accuracy"], r["accuracy"], round(d), n), file=sys.stderr)
    sys.exit(1)
EOF
echo
echo "outputs in $out:"
(cd "$out" && ls -1 imported.mlir compressed.mlir strategy.json bits-per-channel.svg report.json model.o model.h)
echo "demo: OK in $(($(date +%s) - t_start)) s"
