/* codegen.c — lowering pipeline, JIT and object emission (ajpq_codegen.h). */
#define _GNU_SOURCE
#include "ajpq_codegen.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ajpq_dialect.h"
#include "ajpq_output.h"
#include "ajpq_passes.h"
#include "llvm-c/Core.h"
#include "llvm-c/Target.h"
#include "llvm-c/TargetMachine.h"
#include "llvm-c/Transforms/PassBuilder.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Pass.h"
#include "mlir-c/RegisterEverything.h"
#include "mlir-c/Dialect/Transform/Interpreter.h"
#include "mlir-c/Target/LLVMIR.h"

extern const ajpq_pass_info_t ajpq_pass_lower_to_kernels;

static const char k_pipeline[] =
    "builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor),"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-deallocation-pipeline,func.func(convert-linalg-to-loops),convert-vector-to-scf,"
    "convert-scf-to-cf,expand-strided-metadata,lower-affine,convert-vector-to-llvm,"
    "convert-math-to-llvm,convert-arith-to-llvm,convert-ub-to-llvm,convert-cf-to-llvm,"
    "finalize-memref-to-llvm,convert-func-to-llvm,convert-ub-to-llvm,reconcile-unrealized-casts)";

/* Phase 1, on each function that holds TOSA ops (the kernels have none, so
 * they are not walked again): float TOSA to linalg on tensors, then
 * elementwise fusion (a residual add and its ReLU become one loop). */
static const char k_pipeline_tosa[] =
    "func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor,"
    "linalg-fuse-elementwise-ops,canonicalize)";

/* Phase 2: bufferization. (No CSE/canonicalize here: they found nothing to
 * do on BlazeFace yet cost 0.2 s CPU over the kernels; phase 4's
 * buffer-deallocation-pipeline canonicalizes anyway.) */
static const char k_pipeline_bufferize[] =
    "builtin.module(one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map})";

/* Phase 2a (transform dialect, on tensors, before bufferization): every
 * NHWC max pool is tiled to one output pixel and one window row
 * (n, oh, ow, kh = 1; c and kw whole), decomposed to a 1-D pool and
 * vectorized: per output pixel one vector of C floats, kw maximumf's in the
 * window order of the scalar loops (bit-identical: same ops, same order);
 * the slices around the vector transfers are then folded into them (the
 * transfers read and write the whole buffers), else bufferization leaves two
 * self-copies per window row.
 * convert-linalg-to-loops otherwise makes a 6-deep scalar nest with the
 * window innermost. Measured on the demo's BlazeFace (3 pools, 2x2/2 over
 * 64x64x22, 32x32x30, 16x16x65): 0.056 -> 0.028 ms/image, model 0.737 ->
 * 0.708 ms (ajpq-kernels-profile, sum of per-op medians), compile time
 * unchanged. On buffers the decomposition does not apply (upstream
 * decomposes tensor ops only), hence this phase. A pool that does not tile,
 * decompose or vectorize stays as it is (failures suppressed; the tiled loop
 * is correct by itself). */
static const char k_transform_tensors[] =
    "module attributes {transform.with_named_sequence} {\n"
    "  transform.named_sequence @match_max_pool(%op: !transform.any_op {transform.readonly}) -> !transform.any_op {\n"
    "    transform.match.operation_name %op [\"linalg.pooling_nhwc_max\"] : !transform.any_op\n"
    "    transform.yield %op : !transform.any_op\n"
    "  }\n"
    "  transform.named_sequence @vectorize_pool(%op: !transform.any_op {transform.consumed}) {\n"
    "    transform.sequence %op : !transform.any_op failures(suppress) {\n"
    "    ^bb0(%p: !transform.any_op):\n"
    "      %t, %l:4 = transform.structured.tile_using_for %p tile_sizes [1, 1, 1, 0, 1, 0]\n"
    "          : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)\n"
    "      %d = transform.structured.decompose %t : (!transform.any_op) -> !transform.any_op\n"
    "      transform.structured.vectorize %d : !transform.any_op\n"
    "      transform.apply_patterns to %l#0 {\n"
    "        transform.apply_patterns.tensor.fold_tensor_subset_ops_into_vector_transfers\n"
    "        transform.apply_patterns.tensor.merge_consecutive_insert_extract_slice\n"
    "        transform.apply_patterns.canonicalization\n"
    "      } {apply_cse} : !transform.any_op\n"
    "    }\n"
    "    transform.yield\n"
    "  }\n"
    "  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.consumed}) {\n"
    "    %r = transform.foreach_match in %root @match_max_pool -> @vectorize_pool\n"
    "        : (!transform.any_op) -> !transform.any_op\n"
    "    transform.yield\n"
    "  }\n"
    "}\n";

/* Phase 3 (transform dialect, on memrefs): every elementwise linalg op whose
 * operands all use the identity indexing map (of rank 1-6) is flattened to
 * one dimension when its buffers are contiguous (strided ones fail silently
 * and stay as they are). Only identity maps: upstream's flatten_elementwise
 * emits invalid collapse_shapes for broadcast operands, rebuilds a
 * linalg.transpose with a 4-element permutation on 1-D buffers (a verifier
 * error) and silently turns a linalg.generic with a permuted input map into
 * a plain copy (wrong results). The transform dialect has no "identity map"
 * predicate and match.param.cmpi compares integers only, so the matcher
 * counts the distinct maps of {the op's input and init maps} together with
 * the six identity maps of rank 1-6: exactly 6 means every map of the op is
 * one of those identities (and they all share the op's rank). Result:
 * one long unit-stride loop that LLVM vectorizes, instead of a 4-deep NHWC
 * nest whose short channel loop LLVM unrolled and then vectorized along a
 * strided dimension with gathers/scatters (measured on BlazeFace: glue CPU
 * time 1.3 -> 0.35 ms/image, LLVM time 4.2 -> 1.5 s).
 * Not enabled (measured): turning concat slices (tensor.insert_slice) into
 * linalg.copy ops tiled per pixel and vectorized saved 2-3% run time for
 * +0.3 s of compile time (+0.7 s unless the pixel loops carry an
 * `unroll = <disable = true>` loop_annotation, else LLVM fully unrolls
 * them); the concat copies stay memref.copy -> memrefCopy. Experiments can
 * pass a tensor-level script through AJPQ_TRANSFORM_TENSORS. */
static const char k_transform_buffers[] =
    "module attributes {transform.with_named_sequence} {\n"
    "  transform.named_sequence @match_elementwise(%op: !transform.any_op {transform.readonly}) -> !transform.any_op {\n"
    "    transform.match.structured %op : !transform.any_op {\n"
    "    ^bb0(%s: !transform.any_op):\n"
    "      transform.match.structured.body %s {elementwise} : !transform.any_op\n"
    "      %in = transform.match.structured.input %s[all] {permutation} : (!transform.any_op) -> !transform.affine_map\n"
    "      %init = transform.match.structured.init %s[all] {permutation} : (!transform.any_op) -> !transform.affine_map\n"
    "      %i1 = transform.param.constant affine_map<(d0) -> (d0)> -> !transform.affine_map\n"
    "      %i2 = transform.param.constant affine_map<(d0, d1) -> (d0, d1)> -> !transform.affine_map\n"
    "      %i3 = transform.param.constant affine_map<(d0, d1, d2) -> (d0, d1, d2)> -> !transform.affine_map\n"
    "      %i4 = transform.param.constant affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)> -> !transform.affine_map\n"
    "      %i5 = transform.param.constant affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)> -> !transform.affine_map\n"
    "      %i6 = transform.param.constant affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)> -> !transform.affine_map\n"
    "      %maps = transform.merge_handles deduplicate %in, %init, %i1, %i2, %i3, %i4, %i5, %i6 : !transform.affine_map\n"
    "      %n = transform.num_associations %maps : (!transform.affine_map) -> !transform.param<i64>\n"
    "      %six = transform.param.constant 6 : i64 -> !transform.param<i64>\n"
    "      transform.match.param.cmpi eq %n, %six : !transform.param<i64>\n"
    "      transform.match.structured.yield\n"
    "    }\n"
    "    transform.yield %op : !transform.any_op\n"
    "  }\n"
    "  transform.named_sequence @flatten(%op: !transform.any_op {transform.consumed}) {\n"
    "    transform.sequence %op : !transform.any_op failures(suppress) {\n"
    "    ^bb0(%o: !transform.any_op):\n"
    "      %f = transform.structured.flatten_elementwise %o : (!transform.any_op) -> !transform.any_op\n"
    "    }\n"
    "    transform.yield\n"
    "  }\n"
    "  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.consumed}) {\n"
    "    %r = transform.foreach_match in %root @match_elementwise -> @flatten\n"
    "        : (!transform.any_op) -> !transform.any_op\n"
    "    transform.yield\n"
    "  }\n"
    "}\n";

/* Phase 4: to loops and down to the LLVM dialect. The leading canonicalize
 * is for the kernels (phase 4a skips them): it turns their full-mask
 * vector.maskedload/maskedstore into plain loads/stores, create_mask of
 * constants into constant_mask and unrolls one-trip loops; without it the
 * demo BlazeFace object is 2-3% slower (interleaved runs), with it the
 * same speed as the whole-module buffer-deallocation-pipeline, whose three
 * canonicalize runs did this before, at 0.15 s less CPU. One `convert-to-llvm`
 * (every loaded dialect's ConvertToLLVM interface in one dialect
 * conversion) replaces the seven convert-{math,arith,ub,cf,func}-to-llvm /
 * finalize-memref-to-llvm walks over the kernels: -0.18 s CPU of ~0.78 s on
 * BlazeFace, same object. convert-vector-to-llvm stays separate (it also
 * lowers vector ops such as vector.constant_mask that convert-to-llvm
 * leaves). */
static const char k_pipeline_to_llvm[] =
    "builtin.module(func.func(canonicalize,convert-linalg-to-loops),convert-vector-to-scf,"
    "convert-scf-to-cf,expand-strided-metadata,lower-affine,convert-vector-to-llvm,convert-to-llvm,"
    "reconcile-unrealized-casts)";

/* Phase 4a: buffer deallocation, only on the func.func ops that own heap
 * buffers: a memref that comes from anything but a stack buffer, a global
 * or a view (memref.alloc, a call returning a buffer, ...; see
 * k_no_dealloc_ops), or a memref result — in practice the bufferized model
 * function, the C entry that receives its results and kernels that malloc a
 * scratch buffer (the GEMM's padded input copy). This is upstream's
 * buffer-deallocation-pipeline
 * (mlir/lib/Dialect/Bufferization/Pipelines/BufferizationPipelines.cpp)
 * with its function-level passes restricted to those functions: the kernels
 * of ajpq-lower-to-kernels use stack buffers only (memref.alloca) and
 * return nothing, so there its three canonicalize runs, its CSE and the
 * ownership analysis find nothing to deallocate yet cost a fifth of the
 * upstream stage (demo BlazeFace: 0.15 s CPU net, with phase 4's one
 * canonicalize). lower-deallocations stays
 * module-level: it creates the shared dealloc helper function (which then
 * gets the final cse/canonicalize too). On the whole module, mlir-opt's
 * buffer-deallocation-pipeline gives the same result for these functions. */
static const char k_pipeline_dealloc_pre[] =
    "func.func(expand-realloc{emit-deallocs=false},canonicalize,ownership-based-buffer-deallocation,"
    "canonicalize,buffer-deallocation-simplification)";
static const char k_pipeline_dealloc_lower[] = "builtin.module(bufferization-lower-deallocations)";
static const char k_pipeline_dealloc_post[] = "func.func(cse,canonicalize)";

const char *ajpq_codegen_pipeline_text(void) { return k_pipeline; }

void ajpq_codegen_print_pipeline(FILE *f) {
  fprintf(f, "// phase 1 (each func.func holding TOSA ops): %s\n", k_pipeline_tosa);
  fprintf(f, "// phase 2a (transform-interpreter script, on tensors):\n%s", k_transform_tensors);
  fprintf(f, "// phase 2: %s\n", k_pipeline_bufferize);
  fprintf(f, "// phase 3 (transform-interpreter script):\n%s", k_transform_buffers);
  fprintf(f, "// phase 4a (buffer-deallocation-pipeline on each func.func that owns heap buffers): %s; %s; %s"
             " on those functions and new ones\n",
          k_pipeline_dealloc_pre, k_pipeline_dealloc_lower, k_pipeline_dealloc_post);
  fprintf(f, "// phase 4: %s\n", k_pipeline_to_llvm);
}

/* ------------------------------------------------------------- timing */

static const char *const k_stage_names[AJPQ_CODEGEN_STAGE_COUNT] = {
    "ajpq-lower-to-kernels", "upstream MLIR pipeline", "MLIR to LLVM IR", "LLVM optimization",
    "LLVM code generation"};

const char *ajpq_codegen_stage_name(ajpq_codegen_stage_t stage) {
  return (unsigned)stage < AJPQ_CODEGEN_STAGE_COUNT ? k_stage_names[stage] : "?";
}

static double clock_s(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Stage clock: start() remembers the clocks, stop() adds the elapsed wall and
 * process CPU time to `t` (NULL = not timed). */
typedef struct {
  double wall, cpu;
} stage_clock_t;

static stage_clock_t stage_start(void) {
  stage_clock_t c = {clock_s(CLOCK_MONOTONIC), clock_s(CLOCK_PROCESS_CPUTIME_ID)};
  return c;
}

static void stage_stop(ajpq_codegen_timing_t *t, ajpq_codegen_stage_t stage, stage_clock_t c) {
  if (!t)
    return;
  t->wall_s[stage] += clock_s(CLOCK_MONOTONIC) - c.wall;
  t->cpu_s[stage] += clock_s(CLOCK_PROCESS_CPUTIME_ID) - c.cpu;
}

bool ajpq_codegen_prepare_context(MlirContext ctx) {
  static int passes_registered;
  MlirDialectRegistry reg = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(reg);
  mlirContextAppendDialectRegistry(ctx, reg);
  mlirDialectRegistryDestroy(reg);
  mlirRegisterAllLLVMTranslations(ctx);
  if (!passes_registered) {
    mlirRegisterAllPasses();
    passes_registered = 1;
  }
  return ajpq_dialect_load(ctx);
}

static void append_cb(MlirStringRef s, void *ud) {
  char *buf = ud;
  size_t n = strlen(buf);
  if (n + s.length + 1 < 512) {
    memcpy(buf + n, s.data, s.length);
    buf[n + s.length] = 0;
  }
}

static MlirWalkResult find_non_llvm(MlirOperation op, void *ud) {
  MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
  if (strncmp(name.data, "llvm.", 5) != 0 &&
      !(name.length == 14 && strncmp(name.data, "builtin.module", 14) == 0)) {
    char *out = ud;
    if (!out[0])
      snprintf(out, 128, "%.*s", (int)name.length, name.data);
    return MlirWalkResultInterrupt;
  }
  return MlirWalkResultAdvance;
}

static const char *env_or(const char *name, const char *dflt) {
  const char *v = getenv(name);
  return v && *v ? v : dflt;
}

/* Per-pass options of every upstream pass manager: AJPQ_PASS_TIMING=1 (not
 * "phases") enables MLIR's per-pass timing report on stderr. The verifier
 * after each pass is off (AJPQ_VERIFY_EACH_PASS=1 turns it back on, to find
 * the pass that breaks the IR): verifying the whole module after each of
 * the ~20 upstream passes was a quarter of the upstream stage (demo
 * BlazeFace: 0.14 s CPU of 0.6 s); ajpq_codegen_lower verifies the result
 * once at the end instead, so invalid IR is still an error, not an object. */
static void configure_pm(MlirPassManager pm) {
  const char *pt = getenv("AJPQ_PASS_TIMING");
  if (pt && *pt && strcmp(pt, "0") != 0 && strcmp(pt, "phases") != 0)
    mlirPassManagerEnableTiming(pm);
  const char *ve = getenv("AJPQ_VERIFY_EACH_PASS");
  mlirPassManagerEnableVerifier(pm, ve && *ve && strcmp(ve, "0") != 0);
}

/* Runs one `--pass-pipeline` text on `op` (configure_pm). */
static ajpq_status_t run_pipeline(MlirOperation op, const char *text) {
  char err[512] = "";
  MlirPassManager pm = mlirPassManagerCreate(mlirOperationGetContext(op));
  MlirLogicalResult r = mlirParsePassPipeline(mlirPassManagerGetAsOpPassManager(pm),
                                              mlirStringRefCreateFromCString(text), append_cb, err);
  if (mlirLogicalResultIsFailure(r)) {
    mlirPassManagerDestroy(pm);
    return ajpq_status_make(AJPQ_INTERNAL, "upstream pipeline does not parse: %s", err);
  }
  configure_pm(pm);
  r = mlirPassManagerRunOnOp(pm, op);
  mlirPassManagerDestroy(pm);
  if (mlirLogicalResultIsFailure(r))
    return ajpq_status_make(AJPQ_FAILED_PRECONDITION, "upstream lowering pipeline failed (see diagnostics)");
  return NULL;
}

static MlirWalkResult find_tosa(MlirOperation op, void *ud) {
  MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
  if (name.length > 5 && strncmp(name.data, "tosa.", 5) == 0) {
    *(int *)ud = 1;
    return MlirWalkResultInterrupt;
  }
  return MlirWalkResultAdvance;
}

static bool name_is(MlirStringRef n, const char *s) {
  return n.length == strlen(s) && strncmp(n.data, s, n.length) == 0;
}

/* Ops whose memref results never need a free: stack buffers, globals and
 * views of other buffers. */
static const char *const k_no_dealloc_ops[] = {
    "memref.alloca",          "memref.get_global",     "memref.cast",    "memref.collapse_shape",
    "memref.expand_shape",    "memref.subview",        "memref.view",    "memref.reinterpret_cast",
    "memref.memory_space_cast", "memref.transpose"};

/* Interrupts at the first op that yields a memref from anything else (a
 * heap allocation, a clone, a call returning a buffer): buffer deallocation
 * has work to do in that function. */
static MlirWalkResult find_owned_memref(MlirOperation op, void *ud) {
  MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
  for (intptr_t i = 0; i < mlirOperationGetNumResults(op); ++i) {
    if (!mlirTypeIsAMemRef(mlirValueGetType(mlirOperationGetResult(op, i))) &&
        !mlirTypeIsAUnrankedMemRef(mlirValueGetType(mlirOperationGetResult(op, i))))
      continue;
    bool safe = false;
    for (size_t k = 0; k < sizeof k_no_dealloc_ops / sizeof *k_no_dealloc_ops && !safe; ++k)
      safe = name_is(n, k_no_dealloc_ops[k]);
    if (!safe) {
      *(int *)ud = 1;
      return MlirWalkResultInterrupt;
    }
  }
  return MlirWalkResultAdvance;
}

/* Which functions a phase runs on. */
typedef enum { FUNCS_WITH_TOSA, FUNCS_NEEDING_DEALLOC } func_filter_t;

static bool func_selected(MlirOperation f, func_filter_t filter) {
  int found = 0;
  if (filter == FUNCS_WITH_TOSA) {
    mlirOperationWalk(f, find_tosa, &found, MlirWalkPreOrder);
    return found;
  }
  MlirAttribute fa = mlirOperationGetAttributeByName(f, mlirStringRefCreateFromCString("function_type"));
  if (!mlirAttributeIsNull(fa) && mlirAttributeIsAType(fa)) {
    MlirType ft = mlirTypeAttrGetValue(fa);
    for (intptr_t i = 0; i < mlirFunctionTypeGetNumResults(ft); ++i)
      if (mlirTypeIsAMemRef(mlirFunctionTypeGetResult(ft, i)))
        return true;
  }
  mlirOperationWalk(f, find_owned_memref, &found, MlirWalkPreOrder);
  return found;
}

static bool is_func(MlirOperation op) { return name_is(mlirIdentifierStr(mlirOperationGetName(op)), "func.func"); }

/* Runs the func.func-anchored pipeline `text` on the top-level func.func ops
 * of the module `op` listed in `funcs` (n of them). */
static ajpq_status_t run_on_funcs(MlirOperation op, const char *text, const MlirOperation *funcs, size_t n) {
  if (n == 0)
    return NULL;
  char err[512] = "";
  MlirPassManager pm = mlirPassManagerCreateOnOperation(mlirOperationGetContext(op),
                                                        mlirStringRefCreateFromCString("func.func"));
  MlirLogicalResult r = mlirParsePassPipeline(mlirPassManagerGetAsOpPassManager(pm),
                                              mlirStringRefCreateFromCString(text), append_cb, err);
  if (mlirLogicalResultIsFailure(r)) {
    mlirPassManagerDestroy(pm);
    return ajpq_status_make(AJPQ_INTERNAL, "upstream pipeline does not parse: %s", err);
  }
  configure_pm(pm);
  for (size_t i = 0; i < n && mlirLogicalResultIsSuccess(r); ++i)
    r = mlirPassManagerRunOnOp(pm, funcs[i]);
  mlirPassManagerDestroy(pm);
  if (mlirLogicalResultIsFailure(r))
    return ajpq_status_make(AJPQ_FAILED_PRECONDITION, "upstream lowering pipeline failed (see diagnostics)");
  return NULL;
}

/* The top-level func.func ops of `op` that `filter` selects (`filter` < 0:
 * all), in a malloc'ed array (*n of them; NULL when none or out of memory,
 * *oom set for the latter). */
static MlirOperation *collect_funcs(MlirOperation op, int filter, size_t *n, bool *oom) {
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(op, 0));
  MlirOperation *v = NULL;
  size_t cap = 0;
  *n = 0;
  *oom = false;
  for (MlirOperation f = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(f); f = mlirOperationGetNextInBlock(f)) {
    if (!is_func(f) || (filter >= 0 && !func_selected(f, (func_filter_t)filter)))
      continue;
    if (*n == cap) {
      MlirOperation *nv = realloc(v, (cap = cap ? 2 * cap : 8) * sizeof *v);
      if (!nv) {
        free(v);
        *n = 0;
        *oom = true;
        return NULL;
      }
      v = nv;
    }
    v[(*n)++] = f;
  }
  return v;
}

/* Runs the func.func-anchored pipeline `text` on every top-level func.func
 * of the module `op` that contains a TOSA op. */
static ajpq_status_t run_on_tosa_funcs(MlirOperation op, const char *text) {
  size_t n;
  bool oom;
  MlirOperation *fs = collect_funcs(op, FUNCS_WITH_TOSA, &n, &oom);
  if (oom)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  ajpq_status_t st = run_on_funcs(op, text, fs, n);
  free(fs);
  return st;
}

/* Phase 4a (k_pipeline_dealloc_*): buffer deallocation on the functions that
 * own heap buffers (func_selected); the final cse/canonicalize also
 * on the functions lower-deallocations added (its dealloc helper). */
static ajpq_status_t run_dealloc(MlirOperation op) {
  size_t n = 0, n_all = 0, n_after = 0;
  bool oom1, oom2 = false, oom3 = false;
  MlirOperation *sel = collect_funcs(op, FUNCS_NEEDING_DEALLOC, &n, &oom1);
  MlirOperation *before = oom1 ? NULL : collect_funcs(op, -1, &n_all, &oom2);
  ajpq_status_t st = NULL;
  if (oom1 || oom2)
    st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  if (!st && n)
    st = run_on_funcs(op, k_pipeline_dealloc_pre, sel, n);
  if (!st && n)
    st = run_pipeline(op, k_pipeline_dealloc_lower);
  MlirOperation *after = NULL;
  if (!st && n) {
    after = collect_funcs(op, -1, &n_after, &oom3);
    if (oom3)
      st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  }
  if (!st && n) {
    /* Keep the selected functions and the new ones, in module order. */
    size_t k = 0;
    for (size_t i = 0; i < n_after; ++i) {
      bool old = false, chosen = false;
      for (size_t j = 0; j < n_all && !old; ++j)
        old = mlirOperationEqual(after[i], before[j]);
      for (size_t j = 0; j < n && !chosen; ++j)
        chosen = mlirOperationEqual(after[i], sel[j]);
      if (chosen || !old)
        after[k++] = after[i];
    }
    st = run_on_funcs(op, k_pipeline_dealloc_post, after, k);
  }
  free(sel);
  free(before);
  free(after);
  return st;
}

/* Applies the transform script `text` (a module holding
 * `transform.named_sequence @__transform_main`) to `op`; "" = nothing. */
static ajpq_status_t run_transform(MlirOperation op, const char *text) {
  if (!text || !*text || strcmp(text, "none") == 0)
    return NULL;
  MlirContext ctx = mlirOperationGetContext(op);
  MlirModule script = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(text));
  if (mlirModuleIsNull(script))
    return ajpq_status_make(AJPQ_INTERNAL, "the glue transform script does not parse");
  MlirOperation sop = mlirModuleGetOperation(script);
  MlirSymbolTable table = mlirSymbolTableCreate(sop);
  MlirOperation entry = mlirSymbolTableLookup(table, mlirStringRefCreateFromCString("__transform_main"));
  mlirSymbolTableDestroy(table);
  ajpq_status_t st = NULL;
  if (mlirOperationIsNull(entry)) {
    st = ajpq_status_make(AJPQ_INTERNAL, "the glue transform script has no @__transform_main");
  } else {
    MlirTransformOptions o = mlirTransformOptionsCreate();
    MlirLogicalResult r = mlirTransformApplyNamedSequence(op, entry, sop, o);
    mlirTransformOptionsDestroy(o);
    if (mlirLogicalResultIsFailure(r))
      st = ajpq_status_make(AJPQ_FAILED_PRECONDITION, "the glue transform script failed (see diagnostics)");
  }
  mlirModuleDestroy(script);
  return st;
}

/* Drops, from one `attrs` entry (arg_attrs / res_attrs) of an llvm.func, the
 * argument and result attributes outside the `llvm.` namespace, e.g. the
 * importer's `ajpq.name` (the ONNX tensor name). convert-func-to-llvm copies
 * them onto the llvm.func, and the translation to LLVM IR (object and JIT
 * alike) warns "Unhandled parameter attribute" for every attribute of a
 * dialect without an LLVM translation interface; they carry nothing the
 * machine code needs. */
static void strip_param_attr_array(MlirOperation f, const char *attrs) {
  MlirStringRef key = mlirStringRefCreateFromCString(attrs);
  MlirAttribute arr = mlirOperationGetAttributeByName(f, key);
  if (mlirAttributeIsNull(arr) || !mlirAttributeIsAArray(arr))
    return;
  MlirContext ctx = mlirOperationGetContext(f);
  intptr_t n = mlirArrayAttrGetNumElements(arr);
  bool changed = false;
  MlirAttribute *dicts = malloc((size_t)(n ? n : 1) * sizeof *dicts);
  if (!dicts)
    return; /* out of memory: keep them (only a warning at translation) */
  for (intptr_t i = 0; i < n; ++i) {
    MlirAttribute d = mlirArrayAttrGetElement(arr, i);
    dicts[i] = d;
    if (!mlirAttributeIsADictionary(d))
      continue;
    intptr_t m = mlirDictionaryAttrGetNumElements(d), k = 0;
    MlirNamedAttribute *kept = malloc((size_t)(m ? m : 1) * sizeof *kept);
    if (!kept)
      continue;
    for (intptr_t j = 0; j < m; ++j) {
      MlirNamedAttribute na = mlirDictionaryAttrGetElement(d, j);
      MlirStringRef name = mlirIdentifierStr(na.name);
      if (name.length > 5 && strncmp(name.data, "llvm.", 5) == 0)
        kept[k++] = na;
    }
    if (k != m) {
      dicts[i] = mlirDictionaryAttrGet(ctx, k, kept);
      changed = true;
    }
    free(kept);
  }
  if (changed)
    mlirOperationSetAttributeByName(f, key, mlirArrayAttrGet(ctx, n, dicts));
  free(dicts);
}

static MlirWalkResult strip_foreign_param_attrs(MlirOperation op, void *ud) {
  (void)ud;
  if (name_is(mlirIdentifierStr(mlirOperationGetName(op)), "llvm.func")) {
    strip_param_attr_array(op, "arg_attrs");
    strip_param_attr_array(op, "res_attrs");
  }
  return MlirWalkResultAdvance;
}

ajpq_status_t ajpq_codegen_lower(MlirModule module, const char *target_features) {
  return ajpq_codegen_lower_timed(module, target_features, NULL);
}

ajpq_status_t ajpq_codegen_lower_timed(MlirModule module, const char *target_features,
                                       ajpq_codegen_timing_t *timing) {
  MlirOperation op = mlirModuleGetOperation(module);
  char err[512] = "";
  char opt_text[1024];
  snprintf(opt_text, sizeof opt_text, "target-features=\"%s\"", target_features ? target_features : "");
  ajpq_pass_options_t *opts = ajpq_pass_options_parse(&ajpq_pass_lower_to_kernels,
                                                      target_features && *target_features ? opt_text : "",
                                                      err, sizeof err);
  if (!opts)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "ajpq-lower-to-kernels options: %s", err);
  stage_clock_t clk = stage_start();
  bool ok = ajpq_pass_lower_to_kernels.run(op, opts, NULL);
  ajpq_pass_options_destroy(opts);
  stage_stop(timing, AJPQ_CODEGEN_STAGE_KERNELS, clk);
  if (!ok)
    return ajpq_status_make(AJPQ_FAILED_PRECONDITION, "ajpq-lower-to-kernels failed (see diagnostics)");
  if (!mlirOperationVerify(op))
    return ajpq_status_make(AJPQ_INTERNAL, "the module does not verify after ajpq-lower-to-kernels");
  clk = stage_start();
  /* Four phases; AJPQ_PASS_TIMING=1 also prints the CPU seconds of each. */
  const char *pt = getenv("AJPQ_PASS_TIMING");
  bool verbose = pt && *pt && strcmp(pt, "0") != 0;
  ajpq_status_t st = NULL;
  for (int phase = 1; phase <= 4 && !st; ++phase) {
    double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    switch (phase) {
    case 1: st = run_on_tosa_funcs(op, env_or("AJPQ_PIPELINE_TOSA", k_pipeline_tosa)); break;
    case 2:
      /* Phase 2a: the max-pool script on tensors, before bufferization. */
      st = run_transform(op, env_or("AJPQ_TRANSFORM_TENSORS", k_transform_tensors));
      if (!st)
        st = run_pipeline(op, env_or("AJPQ_PIPELINE_BUFFERIZE", k_pipeline_bufferize));
      break;
    case 3: st = run_transform(op, env_or("AJPQ_TRANSFORM_BUFFERS", k_transform_buffers)); break;
    default:
      /* Phase 4a (AJPQ_PIPELINE_DEALLOC=none skips it, for a replaced phase 4
       * text that deallocates by itself), then phase 4. */
      if (strcmp(env_or("AJPQ_PIPELINE_DEALLOC", ""), "none") != 0)
        st = run_dealloc(op);
      else if (!strstr(env_or("AJPQ_PIPELINE_TO_LLVM", k_pipeline_to_llvm), "deallocation"))
        /* Nothing frees the model's buffers then: every call leaks them
         * (LeakSanitizer: "unknown module" frames under the JIT). */
        fprintf(stderr, "ajpq-codegen: warning: AJPQ_PIPELINE_DEALLOC=none and no buffer deallocation in "
                        "phase 4: the compiled model leaks its heap buffers on every call\n");
      if (!st)
        st = run_pipeline(op, env_or("AJPQ_PIPELINE_TO_LLVM", k_pipeline_to_llvm));
      break;
    }
    if (verbose)
      fprintf(stderr, "ajpq-codegen: upstream phase %d: cpu %.3f s\n", phase,
              clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
  }
  /* The pass managers do not verify after each pass (configure_pm): once here. */
  if (!st && !mlirOperationVerify(op))
    st = ajpq_status_make(AJPQ_INTERNAL, "the module does not verify after the upstream pipeline (see diagnostics;"
                                         " AJPQ_VERIFY_EACH_PASS=1 finds the pass)");
  stage_stop(timing, AJPQ_CODEGEN_STAGE_UPSTREAM, clk);
  if (st)
    return st;
  char bad[128] = "";
  mlirOperationWalk(op, find_non_llvm, bad, MlirWalkPreOrder);
  if (bad[0])
    return ajpq_status_make(AJPQ_UNIMPLEMENTED, "op '%s' was not lowered to the LLVM dialect", bad);
  mlirOperationWalk(op, strip_foreign_param_attrs, NULL, MlirWalkPreOrder);
  return NULL;
}

/* One definition, used twice: compiled here (registered with the JIT) and
 * stringified into generated headers. Copies whole rows when the innermost
 * dimension is contiguous in both memrefs; the row offsets are updated
 * incrementally (an odometer over the outer dimensions), so a concat slice
 * of 4096 pixels x 24 channels costs 4096 memcpy calls and nothing else. */
#define AJPQ_MEMREF_COPY_DEF(NAME)                                                                 \
  void NAME(int64_t es, void *src_arg, void *dst_arg) {                                            \
    struct ajpq_unranked_memref {                                                                  \
      int64_t rank;                                                                                \
      int64_t *desc;                                                                               \
    };                                                                                             \
    const struct ajpq_unranked_memref *src = (const struct ajpq_unranked_memref *)src_arg;         \
    const struct ajpq_unranked_memref *dst = (const struct ajpq_unranked_memref *)dst_arg;         \
    int64_t r = src->rank, idx[16] = {0}, total = 1, inner = 1, outer_dims = src->rank;            \
    const int64_t *s = src->desc, *d = dst->desc;                                                  \
    char *sp = (char *)(intptr_t)s[1] + s[2] * es, *dp = (char *)(intptr_t)d[1] + d[2] * es;       \
    if (r > 16)                                                                                    \
      return;                                                                                      \
    for (int64_t i = 0; i < r; ++i)                                                                \
      total *= s[3 + i];                                                                           \
    if (total == 0)                                                                                \
      return;                                                                                      \
    if (r > 0 && s[2 + 2 * r] == 1 && d[2 + 2 * r] == 1) {                                         \
      inner = s[2 + r];                                                                            \
      outer_dims = r - 1;                                                                          \
    }                                                                                              \
    int64_t so = 0, dof = 0;                                                                       \
    for (int64_t n = 0; n < total / inner; ++n) {                                                  \
      memcpy(dp + dof * es, sp + so * es, (size_t)(inner * es));                                   \
      for (int64_t i = outer_dims - 1; i >= 0; --i) {                                              \
        so += s[3 + r + i];                                                                        \
        dof += d[3 + r + i];                                                                       \
        if (++idx[i] < s[3 + i])                                                                   \
          break;                                                                                   \
        so -= s[3 + i] * s[3 + r + i];                                                             \
        dof -= s[3 + i] * d[3 + r + i];                                                            \
        idx[i] = 0;                                                                                \
      }                                                                                            \
    }                                                                                              \
  }
#define AJPQ_STR_(...) #__VA_ARGS__
#define AJPQ_STR(...) AJPQ_STR_(__VA_ARGS__)
#define AJPQ_MEMREF_COPY_SOURCE AJPQ_STR(AJPQ_MEMREF_COPY_DEF(memrefCopy))

/* Strided copy between two memrefs of any rank: the `memrefCopy` that
 * finalize-memref-to-llvm calls for copies with non-identity layouts (from
 * bufferized tensor.pad / insert_slice). MLIR's runtime library provides it;
 * we do not depend on that library: the JIT gets this C function and the
 * generated header carries the same code as a weak definition. */
static AJPQ_MEMREF_COPY_DEF(ajpq_memref_copy)

ajpq_status_t ajpq_codegen_jit(MlirModule module, MlirExecutionEngine *out) {
  MlirExecutionEngine jit = mlirExecutionEngineCreate(module, 3, 0, NULL, false, false);
  if (mlirExecutionEngineIsNull(jit))
    return ajpq_status_make(AJPQ_INTERNAL, "the MLIR execution engine could not compile the module");
  mlirExecutionEngineRegisterSymbol(jit, mlirStringRefCreateFromCString("memrefCopy"), (void *)ajpq_memref_copy);
  *out = jit;
  return NULL;
}

ajpq_status_t ajpq_codegen_emit_object_to(MlirModule module, const char *target_features,
                                          FILE *obj) {
  return ajpq_codegen_emit_object_timed(module, target_features, obj, NULL);
}

ajpq_status_t ajpq_codegen_emit_object_timed(MlirModule module, const char *target_features,
                                             FILE *obj, ajpq_codegen_timing_t *timing) {
  LLVMInitializeNativeTarget();
  LLVMInitializeNativeAsmPrinter();
  LLVMContextRef lctx = LLVMContextCreate();
  stage_clock_t clk = stage_start();
  LLVMModuleRef m = mlirTranslateModuleToLLVMIR(mlirModuleGetOperation(module), lctx);
  stage_stop(timing, AJPQ_CODEGEN_STAGE_TRANSLATE, clk);
  if (!m) {
    LLVMContextDispose(lctx);
    return ajpq_status_make(AJPQ_INTERNAL, "translation to LLVM IR failed (see diagnostics)");
  }
  char *triple = LLVMGetDefaultTargetTriple();
  char *cpu = LLVMGetHostCPUName();
  char *host_features = LLVMGetHostCPUFeatures();
  const char *features = target_features && *target_features ? target_features : host_features;
  ajpq_status_t st = NULL;
  LLVMTargetRef target;
  char *msg = NULL;
  LLVMTargetMachineRef tm = NULL;
  if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
    st = ajpq_status_make(AJPQ_INTERNAL, "no LLVM target for %s: %s", triple, msg ? msg : "");
    goto out;
  }
  /* A non-host feature string gets a generic CPU so features are not overridden. */
  tm = LLVMCreateTargetMachine(target, triple, target_features && *target_features ? "x86-64" : cpu,
                               features, LLVMCodeGenLevelAggressive, LLVMRelocPIC, LLVMCodeModelDefault);
  LLVMSetTarget(m, triple);
  LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(tm);
  LLVMSetModuleDataLayout(m, dl);
  LLVMDisposeTargetData(dl);
  LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
  clk = stage_start();
  /* AJPQ_LLVM_PIPELINE (debugging knob): replaces LLVM's pass pipeline text. */
  LLVMErrorRef e = LLVMRunPasses(m, env_or("AJPQ_LLVM_PIPELINE", "default<O3>"), tm, pbo);
  LLVMDisposePassBuilderOptions(pbo);
  stage_stop(timing, AJPQ_CODEGEN_STAGE_OPTIMIZE, clk);
  if (e) {
    char *em = LLVMGetErrorMessage(e);
    st = ajpq_status_make(AJPQ_INTERNAL, "LLVM O3 pipeline failed: %s", em);
    LLVMDisposeErrorMessage(em);
    goto out;
  }
  LLVMMemoryBufferRef buf = NULL;
  clk = stage_start();
  LLVMBool emit_failed = LLVMTargetMachineEmitToMemoryBuffer(tm, m, LLVMObjectFile, &msg, &buf);
  stage_stop(timing, AJPQ_CODEGEN_STAGE_EMIT, clk);
  if (emit_failed) {
    st = ajpq_status_make(AJPQ_INTERNAL, "LLVM could not emit an object: %s", msg ? msg : "");
    goto out;
  }
  size_t size = LLVMGetBufferSize(buf);
  if (fwrite(LLVMGetBufferStart(buf), 1, size, obj) != size || fflush(obj) != 0)
    st = ajpq_status_make(AJPQ_IO_ERROR, "cannot write object: %s", strerror(errno));
  LLVMDisposeMemoryBuffer(buf);
out:
  if (msg)
    LLVMDisposeMessage(msg);
  if (tm)
    LLVMDisposeTargetMachine(tm);
  LLVMDisposeMessage(triple);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(host_features);
  LLVMDisposeModule(m);
  LLVMContextDispose(lctx);
  return st;
}

ajpq_status_t ajpq_codegen_emit_object(MlirModule module, const char *target_features,
                                       const char *obj_path) {
  ajpq_output_t o;
  ajpq_status_t st = ajpq_output_open(&o, obj_path);
  if (st) {
    ajpq_status_free(st);
    return ajpq_status_make(AJPQ_IO_ERROR, "cannot write object '%s': %s", obj_path,
                            strerror(o.err));
  }
  st = ajpq_codegen_emit_object_to(module, target_features, o.f);
  if (st) {
    ajpq_output_abort(&o);
    return st;
  }
  st = ajpq_output_commit(&o);
  if (st) {
    ajpq_status_free(st);
    return ajpq_status_make(AJPQ_IO_ERROR, "cannot write object '%s': %s", obj_path,
                            strerror(o.err));
  }
  return NULL;
}

void *ajpq_codegen_descriptor(int64_t *desc, void *data, int rank, const int64_t *shape) {
  memcpy(&desc[0], &data, sizeof data);
  memcpy(&desc[1], &data, sizeof data);
  desc[2] = 0;
  int64_t stride = 1;
  for (int i = rank - 1; i >= 0; --i) {
    desc[3 + i] = shape[i];
    desc[3 + rank + i] = stride;
    stride *= shape[i];
  }
  return desc;
}

/* ---------------------------------------------------------- C entry point */

static int tensor_info(MlirType t, ajpq_codegen_tensor_t *out) {
  if (!mlirTypeIsARankedTensor(t) || !mlirShapedTypeHasStaticShape(t) ||
      !mlirTypeIsAF32(mlirShapedTypeGetElementType(t)) || mlirShapedTypeGetRank(t) > 8)
    return 0;
  out->rank = (int)mlirShapedTypeGetRank(t);
  out->numel = 1;
  for (int i = 0; i < out->rank; ++i) {
    out->dims[i] = mlirShapedTypeGetDimSize(t, i);
    out->numel *= out->dims[i];
  }
  return 1;
}

static void type_text(const ajpq_codegen_tensor_t *t, const char *kind, char *out, size_t len) {
  size_t at = (size_t)snprintf(out, len, "%s<", kind);
  for (int i = 0; i < t->rank && at < len; ++i)
    at += (size_t)snprintf(out + at, len - at, "%lldx", (long long)t->dims[i]);
  snprintf(out + at, len - at, "f32>");
}

ajpq_status_t ajpq_codegen_add_entry(MlirModule module, const char *func_name,
                                     ajpq_codegen_signature_t *sig) {
  memset(sig, 0, sizeof *sig);
  MlirBlock body = mlirModuleGetBody(module);
  MlirOperation func = {NULL};
  int publics = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
    if (n.length != 9 || strncmp(n.data, "func.func", 9) != 0)
      continue;
    MlirAttribute sym = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("sym_name"));
    MlirAttribute vis = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("sym_visibility"));
    MlirStringRef name = mlirStringAttrGetValue(sym);
    int is_public = mlirAttributeIsNull(vis);
    const char *want = func_name ? func_name : "main";
    if (strlen(want) == name.length && strncmp(want, name.data, name.length) == 0) {
      func = op;
      publics = 1;
      break;
    }
    if (!func_name && is_public) {
      func = op;
      ++publics;
    }
  }
  if (mlirOperationIsNull(func) || publics != 1)
    return ajpq_status_make(AJPQ_NOT_FOUND, "no function '%s' in the module%s", func_name ? func_name : "main",
                            func_name ? "" : " (and not exactly one public func.func)");
  MlirStringRef fname =
      mlirStringAttrGetValue(mlirOperationGetAttributeByName(func, mlirStringRefCreateFromCString("sym_name")));
  if (fname.length >= sizeof sig->func)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "function name too long");
  memcpy(sig->func, fname.data, fname.length);
  snprintf(sig->entry, sizeof sig->entry, "%s_ajpq_entry", sig->func);
  /* Rename the model function (a C `main` would clash) and make it internal:
   * the only exported symbol is the entry's `_mlir_ciface_` function. */
  char model[200];
  snprintf(model, sizeof model, "__ajpq_model_%s", sig->func);
  MlirContext mctx = mlirOperationGetContext(mlirModuleGetOperation(module));
  if (mlirLogicalResultIsFailure(mlirSymbolTableReplaceAllSymbolUses(
          mlirStringRefCreateFromCString(sig->func), mlirStringRefCreateFromCString(model),
          mlirModuleGetOperation(module))))
    return ajpq_status_make(AJPQ_INTERNAL, "cannot rename @%s", sig->func);
  mlirOperationSetAttributeByName(func, mlirStringRefCreateFromCString("sym_name"),
                                  mlirStringAttrGet(mctx, mlirStringRefCreateFromCString(model)));
  mlirOperationSetAttributeByName(
      func, mlirStringRefCreateFromCString("llvm.linkage"),
      mlirAttributeParseGet(mctx, mlirStringRefCreateFromCString("#llvm.linkage<internal>")));
  MlirType ft = mlirTypeAttrGetValue(mlirOperationGetAttributeByName(func, mlirStringRefCreateFromCString("function_type")));
  sig->num_inputs = (int)mlirFunctionTypeGetNumInputs(ft);
  sig->num_outputs = (int)mlirFunctionTypeGetNumResults(ft);
  if (sig->num_inputs > 16 || sig->num_outputs > 16 || sig->num_outputs < 1)
    return ajpq_status_make(AJPQ_UNIMPLEMENTED, "@%s: needs 1..16 results and at most 16 arguments", sig->func);
  for (int i = 0; i < sig->num_inputs; ++i)
    if (!tensor_info(mlirFunctionTypeGetInput(ft, i), &sig->inputs[i]))
      return ajpq_status_make(AJPQ_UNIMPLEMENTED, "@%s: argument %d is not a static f32 tensor of rank <= 8",
                              sig->func, i);
  for (int i = 0; i < sig->num_outputs; ++i)
    if (!tensor_info(mlirFunctionTypeGetResult(ft, i), &sig->outputs[i]))
      return ajpq_status_make(AJPQ_UNIMPLEMENTED, "@%s: result %d is not a static f32 tensor of rank <= 8",
                              sig->func, i);
  /* Wrapper text, with a private declaration of the model function so that
   * the text verifies on its own; only the wrapper is moved. */
  size_t cap = 8192 + 512 * (size_t)(sig->num_inputs + sig->num_outputs);
  char *t = malloc(cap), ty[256], ty2[256];
  if (!t)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  size_t at = 0;
#define EMIT(...) at += (size_t)snprintf(t + at, at < cap ? cap - at : 0, __VA_ARGS__)
  EMIT("func.func private @%s(", model);
  for (int i = 0; i < sig->num_inputs; ++i) {
    type_text(&sig->inputs[i], "tensor", ty, sizeof ty);
    EMIT("%s%s", i ? ", " : "", ty);
  }
  EMIT(") -> (");
  for (int i = 0; i < sig->num_outputs; ++i) {
    type_text(&sig->outputs[i], "tensor", ty, sizeof ty);
    EMIT("%s%s", i ? ", " : "", ty);
  }
  EMIT(")\nfunc.func @%s(", sig->entry);
  for (int i = 0; i < sig->num_inputs; ++i) {
    type_text(&sig->inputs[i], "memref", ty, sizeof ty);
    EMIT("%s%%in%d: %s", i ? ", " : "", i, ty);
  }
  for (int i = 0; i < sig->num_outputs; ++i) {
    type_text(&sig->outputs[i], "memref", ty, sizeof ty);
    EMIT("%s%%out%d: %s", i || sig->num_inputs ? ", " : "", i, ty);
  }
  EMIT(") attributes {llvm.emit_c_interface} {\n");
  for (int i = 0; i < sig->num_inputs; ++i) {
    type_text(&sig->inputs[i], "memref", ty, sizeof ty);
    type_text(&sig->inputs[i], "tensor", ty2, sizeof ty2);
    EMIT("  %%t%d = bufferization.to_tensor %%in%d restrict : %s to %s\n", i, i, ty, ty2);
  }
  EMIT("  %%r:%d = func.call @%s(", sig->num_outputs, model);
  for (int i = 0; i < sig->num_inputs; ++i)
    EMIT("%s%%t%d", i ? ", " : "", i);
  EMIT(") : (");
  for (int i = 0; i < sig->num_inputs; ++i) {
    type_text(&sig->inputs[i], "tensor", ty, sizeof ty);
    EMIT("%s%s", i ? ", " : "", ty);
  }
  EMIT(") -> (");
  for (int i = 0; i < sig->num_outputs; ++i) {
    type_text(&sig->outputs[i], "tensor", ty, sizeof ty);
    EMIT("%s%s", i ? ", " : "", ty);
  }
  EMIT(")\n");
  for (int i = 0; i < sig->num_outputs; ++i) {
    type_text(&sig->outputs[i], "memref", ty, sizeof ty);
    type_text(&sig->outputs[i], "tensor", ty2, sizeof ty2);
    EMIT("  bufferization.materialize_in_destination %%r#%d in restrict writable %%out%d : (%s, %s) -> ()\n", i, i,
         ty2, ty);
  }
  EMIT("  return\n}\n");
#undef EMIT
  if (at >= cap) {
    free(t);
    return ajpq_status_make(AJPQ_INTERNAL, "entry wrapper text overflow");
  }
  MlirContext ctx = mlirOperationGetContext(mlirModuleGetOperation(module));
  MlirModule w = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(t));
  free(t);
  if (mlirModuleIsNull(w))
    return ajpq_status_make(AJPQ_INTERNAL, "entry wrapper for @%s does not parse", sig->func);
  MlirOperation decl = mlirBlockGetFirstOperation(mlirModuleGetBody(w));
  MlirOperation wrapper = mlirOperationGetNextInBlock(decl);
  mlirOperationRemoveFromParent(wrapper);
  mlirBlockAppendOwnedOperation(body, wrapper);
  mlirModuleDestroy(w);
  return NULL;
}

static void c_ident(const char *in, char *out, size_t len) {
  size_t i = 0;
  for (; in[i] && i + 1 < len; ++i) {
    char c = in[i];
    out[i] = (char)(((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') ? c : '_');
  }
  out[i] = 0;
}

ajpq_status_t ajpq_codegen_print_header(const ajpq_codegen_signature_t *sig, const char *source,
                                        FILE *f) {
  char pre[160], guard[200];
  c_ident(sig->func, pre, sizeof pre);
  snprintf(guard, sizeof guard, "AJPQ_MODEL_%s_H", pre);
  for (char *c = guard; *c; ++c)
    if (*c >= 'a' && *c <= 'z')
      *c = (char)(*c - 'a' + 'A');
  fprintf(f, "/* Generated by ajpq-translate --mlir-to-obj from %s. Do not edit.\n *\n", source);
  fprintf(f, " * C ABI of the compiled model function @%s. Link the object file; it needs\n"
             " * only the C library (malloc/free/memcpy), no MLIR or LLVM runtime.\n *\n", sig->func);
  fprintf(f, " *   %s_run(", pre);
  for (int i = 0; i < sig->num_inputs; ++i)
    fprintf(f, "%sin%d", i ? ", " : "", i);
  for (int i = 0; i < sig->num_outputs; ++i)
    fprintf(f, "%sout%d", i || sig->num_inputs ? ", " : "", i);
  fprintf(f, ")\n *\n * Buffers are row-major f32 arrays of the model's own layout; outputs are\n"
             " * written, never allocated. The code keeps no global mutable state, so\n"
             " * concurrent calls with distinct buffers are fine.\n");
  for (int io = 0; io < 2; ++io) {
    int n = io ? sig->num_outputs : sig->num_inputs;
    for (int i = 0; i < n; ++i) {
      const ajpq_codegen_tensor_t *t = io ? &sig->outputs[i] : &sig->inputs[i];
      fprintf(f, " *   %s%d: float[%lld], shape ", io ? "out" : "in", i, (long long)t->numel);
      for (int d = 0; d < t->rank; ++d)
        fprintf(f, "%s%lld", d ? "x" : "", (long long)t->dims[d]);
      fprintf(f, "\n");
    }
  }
  fprintf(f, " *\n * Each call allocates its intermediate tensors with malloc and frees them.\n"
             " * With glibc's defaults the large ones are mmap'ed and unmapped on every\n"
             " * call (page faults: 2.4x slower on BlazeFace), so %s_run raises\n"
             " * M_MMAP_THRESHOLD / M_TRIM_THRESHOLD with mallopt (process-wide; freed\n"
             " * blocks stay in the heap). Define AJPQ_MODEL_NO_MALLOPT to opt out.\n", pre);
  fprintf(f, " */\n#ifndef %s\n#define %s\n\n#include <stdint.h>\n#include <string.h>\n", guard, guard);
  fprintf(f, "#if defined(__GLIBC__) && !defined(AJPQ_MODEL_NO_MALLOPT)\n#include <malloc.h>\n#endif\n\n");
  fprintf(f, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
  fprintf(f, "/* MLIR memref descriptor of rank R: {allocated, aligned, offset, sizes[R], strides[R]}. */\n");
  int ranks[9] = {0};
  for (int i = 0; i < sig->num_inputs; ++i)
    ranks[sig->inputs[i].rank] = 1;
  for (int i = 0; i < sig->num_outputs; ++i)
    ranks[sig->outputs[i].rank] = 1;
  for (int r = 0; r <= 8; ++r)
    if (ranks[r])
      fprintf(f, "typedef struct { float *allocated, *aligned; int64_t offset, sizes[%d], strides[%d]; } %s_memref%d_t;\n",
              r ? r : 1, r ? r : 1, pre, r);
  fprintf(f, "\n/* Strided copy the object calls for non-contiguous copies (MLIR runtime's\n"
             " * `memrefCopy`, reimplemented here so that no MLIR library is needed).\n"
             " * Weak: every file including this header may define it. */\n"
             "__attribute__((weak)) %s\n", AJPQ_MEMREF_COPY_SOURCE);
  fprintf(f, "\n/* The generated symbol (takes pointers to descriptors, inputs first). */\nvoid _mlir_ciface_%s(", sig->entry);
  for (int i = 0; i < sig->num_inputs + sig->num_outputs; ++i) {
    int r = i < sig->num_inputs ? sig->inputs[i].rank : sig->outputs[i - sig->num_inputs].rank;
    fprintf(f, "%s%s_memref%d_t *", i ? ", " : "", pre, r);
  }
  fprintf(f, ");\n\n/* Runs @%s once on the given buffers. */\nstatic inline void %s_run(", sig->func, pre);
  for (int i = 0; i < sig->num_inputs; ++i)
    fprintf(f, "%sconst float *in%d", i ? ", " : "", i);
  for (int i = 0; i < sig->num_outputs; ++i)
    fprintf(f, "%sfloat *out%d", i || sig->num_inputs ? ", " : "", i);
  fprintf(f, ") {\n");
  fprintf(f, "#if defined(__GLIBC__) && !defined(AJPQ_MODEL_NO_MALLOPT)\n"
             "  mallopt(M_MMAP_THRESHOLD, 256 << 20); /* thread-safe, ~0.1 us */\n"
             "  mallopt(M_TRIM_THRESHOLD, 512 << 20);\n#endif\n");
  for (int io = 0; io < 2; ++io) {
    int n = io ? sig->num_outputs : sig->num_inputs;
    for (int i = 0; i < n; ++i) {
      const ajpq_codegen_tensor_t *t = io ? &sig->outputs[i] : &sig->inputs[i];
      const char *nm = io ? "out" : "in";
      fprintf(f, "  %s_memref%d_t d%s%d = {(float *)%s%d, (float *)%s%d, 0, {", pre, t->rank, nm, i, nm, i, nm, i);
      for (int d = 0; d < t->rank; ++d)
        fprintf(f, "%s%lld", d ? ", " : "", (long long)t->dims[d]);
      fprintf(f, "}, {");
      int64_t stride = 1, strides[8];
      for (int d = t->rank - 1; d >= 0; --d) {
        strides[d] = stride;
        stride *= t->dims[d];
      }
      for (int d = 0; d < t->rank; ++d)
        fprintf(f, "%s%lld", d ? ", " : "", (long long)strides[d]);
      fprintf(f, "}};\n");
    }
  }
  fprintf(f, "  _mlir_ciface_%s(", sig->entry);
  for (int i = 0; i < sig->num_inputs; ++i)
    fprintf(f, "%s&din%d", i ? ", " : "", i);
  for (int i = 0; i < sig->num_outputs; ++i)
    fprintf(f, "%s&dout%d", i || sig->num_inputs ? ", " : "", i);
  fprintf(f, ");\n}\n\n");
  /* Array form for generic drivers (bench/e2e). */
  fprintf(f, "/* Number of inputs/outputs and the float count of each. */\n");
  fprintf(f, "enum { %s_num_inputs = %d, %s_num_outputs = %d };\n", pre, sig->num_inputs, pre,
          sig->num_outputs);
  for (int io = 0; io < 2; ++io) {
    int n = io ? sig->num_outputs : sig->num_inputs;
    fprintf(f, "static const int64_t %s_%s_numel[%d] = {", pre, io ? "output" : "input", n ? n : 1);
    for (int i = 0; i < n; ++i) {
      const ajpq_codegen_tensor_t *t = io ? &sig->outputs[i] : &sig->inputs[i];
      fprintf(f, "%s%lld", i ? ", " : "", (long long)t->numel);
    }
    fprintf(f, "%s};\n", n ? "" : "0");
  }
  fprintf(f, "\n/* %s_run with the buffers as arrays: in[%d], out[%d]. */\n"
             "static inline void %s_run_arrays(const float *const *in, float *const *out) {\n"
             "  (void)in;\n  %s_run(",
          pre, sig->num_inputs, sig->num_outputs, pre, pre);
  for (int i = 0; i < sig->num_inputs; ++i)
    fprintf(f, "%sin[%d]", i ? ", " : "", i);
  for (int i = 0; i < sig->num_outputs; ++i)
    fprintf(f, "%sout[%d]", i || sig->num_inputs ? ", " : "", i);
  fprintf(f, ");\n}\n\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* %s */\n", guard);
  if (ferror(f) || fflush(f) != 0)
    return ajpq_status_make(AJPQ_IO_ERROR, "cannot write header: %s", strerror(errno));
  return NULL;
}

ajpq_status_t ajpq_codegen_write_header(const ajpq_codegen_signature_t *sig, const char *source,
                                        const char *path) {
  ajpq_output_t o;
  ajpq_status_t st = ajpq_output_open(&o, path);
  if (st) {
    ajpq_status_free(st);
    return ajpq_status_make(AJPQ_IO_ERROR, "cannot write header '%s': %s", path, strerror(o.err));
  }
  st = ajpq_codegen_print_header(sig, source, o.f);
  if (st) {
    ajpq_output_abort(&o);
    return st;
  }
  st = ajpq_output_commit(&o);
  if (st) {
    ajpq_status_free(st);
    return ajpq_status_make(AJPQ_IO_ERROR, "cannot write header '%s': %s", path, strerror(o.err));
  }
  return NULL;
}

/* ------------------------------------------------------------ JIT models */

/* AJPQ_JIT_ALLOC_STATS=1 (test/kernels/cgen-jit-dealloc.test): the JIT'd
 * code's malloc/free resolve to these counting wrappers (registered before
 * the engine compiles, like memrefCopy), and ajpq_codegen_model_destroy
 * prints the calls, blocks allocated and blocks still live to stderr, so a
 * buffer the generated code leaks per call shows up without LeakSanitizer
 * (which reports such blocks only as "unknown module" frames, and only in
 * sanitizer builds). Process-wide counters: meant for one model at a time. */
static _Atomic long g_jit_mallocs, g_jit_frees, g_jit_calls;

static void *jit_counting_malloc(size_t n) {
  void *p = malloc(n);
  if (p)
    ++g_jit_mallocs;
  return p;
}

static void jit_counting_free(void *p) {
  if (p)
    ++g_jit_frees;
  free(p);
}

struct ajpq_codegen_model_s {
  ajpq_codegen_signature_t sig;
  MlirExecutionEngine jit;
  bool alloc_stats; /* AJPQ_JIT_ALLOC_STATS=1 */
  /* The packed wrapper of `_mlir_ciface_<entry>` (void(void **args)),
   * looked up once: mlirExecutionEngineInvokePacked looks the symbol up in
   * the JIT on every call (a string concatenation plus an ORC symbol-table
   * lookup, ~40 us), which was a visible part of a small model's run. */
  void (*entry)(void **);
};

ajpq_status_t ajpq_codegen_model_create(MlirModule module, const char *func_name,
                                        const char *target_features, ajpq_codegen_model_t **out) {
  ajpq_codegen_model_t *m = calloc(1, sizeof *m);
  if (!m)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  ajpq_status_t st = ajpq_codegen_add_entry(module, func_name, &m->sig);
  if (!st)
    st = ajpq_codegen_lower(module, target_features);
  if (!st)
    st = ajpq_codegen_jit(module, &m->jit);
  if (!st && strcmp(env_or("AJPQ_JIT_ALLOC_STATS", "0"), "0") != 0) {
    m->alloc_stats = true;
    g_jit_mallocs = g_jit_frees = g_jit_calls = 0;
    mlirExecutionEngineRegisterSymbol(m->jit, mlirStringRefCreateFromCString("malloc"),
                                      (void *)jit_counting_malloc);
    mlirExecutionEngineRegisterSymbol(m->jit, mlirStringRefCreateFromCString("free"),
                                      (void *)jit_counting_free);
  }
  if (!st) {
    /* The engine compiles on the first lookup: now, not inside the first
     * (timed) run. ExecutionEngine packs every defined function as
     * `_mlir_<name>`; the entry's C interface `_mlir_ciface_<entry>` gets
     * one too (what mlirExecutionEngineInvokePacked calls). */
    char ciface[200];
    snprintf(ciface, sizeof ciface, "_mlir_ciface_%s", m->sig.entry);
    void *fn = mlirExecutionEngineLookupPacked(m->jit, mlirStringRefCreateFromCString(ciface));
    if (!fn) {
      mlirExecutionEngineDestroy(m->jit);
      st = ajpq_status_make(AJPQ_INTERNAL, "the JIT has no packed entry point for @%s", ciface);
    } else {
      /* POSIX: object and function pointers convert (dlsym's contract). */
      memcpy(&m->entry, &fn, sizeof fn);
    }
  }
  if (st) {
    free(m);
    return st;
  }
  *out = m;
  return NULL;
}

const ajpq_codegen_signature_t *ajpq_codegen_model_signature(const ajpq_codegen_model_t *m) {
  return &m->sig;
}

ajpq_status_t ajpq_codegen_model_run(ajpq_codegen_model_t *m, const float *const *inputs,
                                     float *const *outputs) {
  int n = m->sig.num_inputs + m->sig.num_outputs;
  int64_t desc[32][3 + 16];
  void *ptrs[32], *args[32];
  for (int i = 0; i < n; ++i) {
    const ajpq_codegen_tensor_t *t = i < m->sig.num_inputs ? &m->sig.inputs[i] : &m->sig.outputs[i - m->sig.num_inputs];
    void *data = i < m->sig.num_inputs ? (void *)inputs[i] : (void *)outputs[i - m->sig.num_inputs];
    if (!data)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "model run: buffer %d is NULL", i);
    ptrs[i] = ajpq_codegen_descriptor(desc[i], data, t->rank, t->dims);
    args[i] = &ptrs[i];
  }
  m->entry(args);
  if (m->alloc_stats)
    ++g_jit_calls;
  return NULL;
}

void ajpq_codegen_model_destroy(ajpq_codegen_model_t *m) {
  if (!m)
    return;
  if (m->alloc_stats)
    fprintf(stderr, "ajpq-codegen: jit alloc stats: %ld calls, %ld blocks allocated, %ld still live\n",
            (long)g_jit_calls, (long)g_jit_mallocs, (long)(g_jit_mallocs - g_jit_frees));
  if (!mlirExecutionEngineIsNull(m->jit))
    mlirExecutionEngineDestroy(m->jit);
  free(m);
}
