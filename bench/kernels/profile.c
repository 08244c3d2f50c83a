/* profile.c — where the time of a compiled model goes, per op and per
 * category (docs/kernels.md, "Where BlazeFace's time goes"):
 *
 *   ajpq-kernels-profile model.mlir inputs.npy [SAMPLES] [--no-marks]
 *
 * Runs ajpq-lower-to-kernels (host features), then inserts after every op
 * of the model function (constants and buffer casts excepted) a call
 * `func.call @__ajpq_prof_mark(id)` of a host function of this program,
 * lowers the rest with the normal pipeline (ajpq_codegen_model_create:
 * upstream passes + O3 JIT) and runs
 * SAMPLES (default 50) images one at a time, 1 thread, after one warm-up.
 * The time between two marks (wall clock) is charged to the op before the
 * second mark — it includes the op's output allocation (malloc) and the
 * frees the deallocation pipeline put there. The calls are opaque to LLVM, so
 * no work moves across them. Prints per op: kernel (from the call's
 * `ajpq.kernel` attribute, with the float ops fused into it) or float op,
 * output shape, MACs, µs per image (median and minimum over the runs); then
 * per category and the total (sums of per-op medians and minima: on a loaded
 * machine the medians estimate the unloaded time). --no-marks only times the
 * whole model without marks. CPU seconds of the process are printed next to
 * wall seconds. Not a test. */
#define _GNU_SOURCE
#include "ajpq_codegen.h"
#include "ajpq_io.h"
#include "ajpq_passes.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"

#define MAX_OPS 4096

extern const ajpq_pass_info_t ajpq_pass_lower_to_kernels;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double g_last, g_time[MAX_OPS];
static double *g_samp; /* [samples][MAX_OPS + 1] per-op wall times of each run */

/* Called by the compiled model after op `id`. Exported (ENABLE_EXPORTS) so
 * that the JIT resolves it in the process. */
void __ajpq_prof_mark(int64_t id);
void __ajpq_prof_mark(int64_t id) {
  double t = now();
  if (id >= 0 && id < MAX_OPS)
    g_time[id] = t - g_last;
  g_last = t;
}

typedef struct {
  char name[48];
  char shape[96];
  char category[64];
  double macs;
} op_info_t;

static op_info_t g_ops[MAX_OPS];

static void type_text(MlirType t, char *out, size_t n) {
  size_t at = 0;
  out[0] = 0;
  if (!mlirTypeIsARankedTensor(t))
    return;
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(t) && at < n; ++i)
    at += (size_t)snprintf(out + at, n - at, "%s%lld", i ? "x" : "", (long long)mlirShapedTypeGetDimSize(t, i));
}

static int str_attr(MlirOperation op, const char *name, char *out, size_t n) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(name));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAString(a))
    return 0;
  MlirStringRef s = mlirStringAttrGetValue(a);
  snprintf(out, n, "%.*s", (int)s.length, s.data);
  return 1;
}

/* Category of an op of the lowered model function: a kernel call (the
 * `ajpq.kernel` / `ajpq.fused` / `ajpq.macs` attributes that
 * ajpq-lower-to-kernels puts on it) or a float op left for the upstream
 * pipeline. */
static void classify(MlirOperation op, op_info_t *info) {
  MlirStringRef nm = mlirIdentifierStr(mlirOperationGetName(op));
  char opname[48], kind[32], fused[48] = "";
  snprintf(opname, sizeof opname, "%.*s", (int)nm.length, nm.data);
  memcpy(info->name, opname, sizeof opname);
  MlirValue last = {0};
  if (mlirOperationGetNumResults(op) > 0)
    last = mlirOperationGetResult(op, 0);
  else if (mlirOperationGetNumOperands(op) > 0) /* a kernel call: its last argument is an output */
    last = mlirOperationGetOperand(op, mlirOperationGetNumOperands(op) - 1);
  if (!mlirValueIsNull(last))
    type_text(mlirValueGetType(last), info->shape, sizeof info->shape);
  if (str_attr(op, "ajpq.kernel", kind, sizeof kind)) {
    str_attr(op, "ajpq.fused", fused, sizeof fused);
    MlirAttribute m = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("ajpq.macs"));
    info->macs = mlirAttributeIsNull(m) ? 0 : (double)mlirIntegerAttrGetValueInt(m);
    snprintf(info->name, sizeof info->name, "%s", kind);
    snprintf(info->category, sizeof info->category, "ajpq %s%s%s", kind, fused[0] ? " " : "", fused);
    return;
  }
  snprintf(info->category, sizeof info->category, "float %s", opname);
}

static int skip_op(MlirOperation op) {
  static const char *const names[] = {"tosa.const", "tosa.const_shape", "arith.constant", "func.return",
                                      "bufferization.to_buffer", "bufferization.to_tensor", "memref.alloc"};
  MlirStringRef nm = mlirIdentifierStr(mlirOperationGetName(op));
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i)
    if (nm.length == strlen(names[i]) && strncmp(nm.data, names[i], nm.length) == 0)
      return 1;
  return 0;
}

/* Inserts the marks; returns the number of ops marked (-1 on error). */
static int insert_marks(MlirContext ctx, MlirModule m) {
  MlirBlock body = mlirModuleGetBody(m);
  MlirOperation func = mlirOperationCreateParse(
      ctx, mlirStringRefCreateFromCString("func.func private @__ajpq_prof_mark(i64)"),
      mlirStringRefCreateFromCString("profile"));
  if (mlirOperationIsNull(func))
    return -1;
  MlirOperation main = {0};
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    MlirAttribute sn = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("sym_name"));
    if (!mlirAttributeIsNull(sn) && mlirStringRefEqual(mlirStringAttrGetValue(sn), mlirStringRefCreateFromCString("main")))
      main = op;
  }
  if (mlirOperationIsNull(main))
    return -1;
  mlirBlockInsertOwnedOperation(body, 0, func);
  MlirBlock fb = mlirRegionGetFirstBlock(mlirOperationGetRegion(main, 0));
  MlirType i64 = mlirIntegerTypeGet(ctx, 64);
  MlirLocation loc = mlirLocationUnknownGet(ctx);
  int n = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(fb); !mlirOperationIsNull(op);) {
    MlirOperation next = mlirOperationGetNextInBlock(op);
    if (!skip_op(op) && n < MAX_OPS - 1) {
      classify(op, &g_ops[n]);
      MlirOperationState cs = mlirOperationStateGet(mlirStringRefCreateFromCString("arith.constant"), loc);
      MlirNamedAttribute v = mlirNamedAttributeGet(mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("value")),
                                                   mlirIntegerAttrGet(i64, n));
      mlirOperationStateAddAttributes(&cs, 1, &v);
      mlirOperationStateAddResults(&cs, 1, &i64);
      MlirOperation c = mlirOperationCreate(&cs);
      mlirBlockInsertOwnedOperationAfter(fb, op, c);
      MlirOperationState ks = mlirOperationStateGet(mlirStringRefCreateFromCString("func.call"), loc);
      MlirValue arg = mlirOperationGetResult(c, 0);
      mlirOperationStateAddOperands(&ks, 1, &arg);
      MlirNamedAttribute callee = mlirNamedAttributeGet(
          mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("callee")),
          mlirFlatSymbolRefAttrGet(ctx, mlirStringRefCreateFromCString("__ajpq_prof_mark")));
      mlirOperationStateAddAttributes(&ks, 1, &callee);
      mlirBlockInsertOwnedOperationAfter(fb, c, mlirOperationCreate(&ks));
      ++n;
    }
    op = next;
  }
  return n;
}

static int fail(ajpq_status_t st) {
  ajpq_status_fprint(stderr, "ajpq-kernels-profile", st);
  ajpq_status_free(st);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: ajpq-kernels-profile model.mlir inputs.npy [SAMPLES] [--no-marks]\n");
    return 1;
  }
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
  long samples = argc > 3 ? atol(argv[3]) : 50;
  int marks = !(argc > 4 && strcmp(argv[4], "--no-marks") == 0);
  if (samples < 1)
    samples = 1;
  ajpq_tensor_t *raw = NULL, *data = NULL;
  ajpq_status_t st = ajpq_npy_read(argv[2], &raw);
  if (!st)
    st = ajpq_tensor_to_f32(raw, &data);
  ajpq_tensor_free(raw);
  if (st)
    return fail(st);
  MlirContext ctx = mlirContextCreate();
  if (!ajpq_codegen_prepare_context(ctx))
    return 1;
  char *text = NULL;
  size_t len = 0;
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    fprintf(stderr, "ajpq-kernels-profile: cannot open %s\n", argv[1]);
    return 1;
  }
  FILE *mem = open_memstream(&text, &len);
  char buf[65536];
  size_t r;
  while ((r = fread(buf, 1, sizeof buf, f)) > 0)
    fwrite(buf, 1, r, mem);
  fclose(f);
  fclose(mem);
  MlirModule m = mlirModuleCreateParse(ctx, mlirStringRefCreate(text, len));
  free(text);
  if (mlirModuleIsNull(m)) {
    fprintf(stderr, "ajpq-kernels-profile: %s does not parse\n", argv[1]);
    return 1;
  }
  /* ajpq-lower-to-kernels first (the kernel calls carry their kind), then
   * the marks; ajpq_codegen_model_create's own run of the pass is a no-op. */
  char err[256];
  ajpq_pass_options_t *po = ajpq_pass_options_parse(&ajpq_pass_lower_to_kernels, "", err, sizeof err);
  if (!po || !ajpq_pass_lower_to_kernels.run(mlirModuleGetOperation(m), po, NULL)) {
    fprintf(stderr, "ajpq-kernels-profile: ajpq-lower-to-kernels failed %s\n", po ? "" : err);
    return 1;
  }
  ajpq_pass_options_destroy(po);
  int nops = marks ? insert_marks(ctx, m) : 0;
  if (nops < 0) {
    fprintf(stderr, "ajpq-kernels-profile: no @main function\n");
    return 1;
  }
  ajpq_codegen_model_t *jm = NULL;
  double t0 = now(), c0 = cpu_now();
  st = ajpq_codegen_model_create(m, NULL, NULL, &jm);
  if (st)
    return fail(st);
  const ajpq_codegen_signature_t *sig = ajpq_codegen_model_signature(jm);
  int64_t per = data->numel / data->dims[0];
  if (sig->num_inputs != 1 || sig->inputs[0].numel != per) {
    fprintf(stderr, "ajpq-kernels-profile: model input does not match the samples\n");
    return 1;
  }
  float *outs[16];
  for (int i = 0; i < sig->num_outputs; ++i)
    outs[i] = malloc((size_t)sig->outputs[i].numel * sizeof(float));
  const float *in[1] = {(const float *)data->data};
  g_last = now();
  st = ajpq_codegen_model_run(jm, in, outs); /* warm-up: lazy JIT compilation */
  if (st)
    return fail(st);
  fprintf(stderr, "lowering + JIT + warm-up: %.2f s wall, %.2f s CPU\n", now() - t0, cpu_now() - c0);
  const int W = MAX_OPS + 2; /* per run: ops, tail (entry), total */
  g_samp = calloc((size_t)samples * (size_t)W, sizeof(double));
  double *col = malloc((size_t)samples * sizeof(double));
  if (!g_samp || !col)
    return 1;
  double total = 0, cpu = cpu_now();
  for (long s = 0; s < samples; ++s) {
    in[0] = (const float *)data->data + (s % data->dims[0]) * per;
    memset(g_time, 0, sizeof g_time);
    double a = now();
    g_last = a;
    st = ajpq_codegen_model_run(jm, in, outs);
    double b = now();
    if (st)
      return fail(st);
    total += b - a;
    memcpy(g_samp + s * W, g_time, sizeof g_time);
    g_samp[s * W + MAX_OPS] = b - g_last;
    g_samp[s * W + MAX_OPS + 1] = b - a;
  }
  cpu = cpu_now() - cpu;
  double ms = 1e3 / (double)samples;
  /* per-op median and minimum over the runs (robust against preemption on a
   * loaded machine: the sum of medians estimates the unloaded time) */
  static double med[MAX_OPS + 2], mn[MAX_OPS + 2];
  for (int i = 0; i < W; ++i) {
    if (i < MAX_OPS && i >= nops)
      continue;
    for (long s = 0; s < samples; ++s)
      col[s] = g_samp[s * W + i];
    qsort(col, (size_t)samples, sizeof *col, cmp_d);
    med[i] = col[samples / 2];
    mn[i] = col[0];
  }
  printf("samples: %ld, wall per image: mean %.3f ms, median %.3f ms, min %.3f ms; CPU per image (mean) %.3f ms\n",
         samples, total * ms, med[MAX_OPS + 1] * 1e3, mn[MAX_OPS + 1] * 1e3, cpu * ms);
  if (!marks)
    return 0;
  printf("\n| # | op | result | category | MMACs | us/image median | min |\n|---|---|---|---|---|---|---|\n");
  for (int i = 0; i < nops; ++i)
    printf("| %d | %s | %s | %s | %.2f | %.1f | %.1f |\n", i, g_ops[i].name, g_ops[i].shape, g_ops[i].category,
           g_ops[i].macs * 1e-6, med[i] * 1e6, mn[i] * 1e6);
  /* categories */
  char cats[64][64];
  double ct[64] = {0}, cmin[64] = {0}, cm[64] = {0}, sum_med = med[MAX_OPS], sum_min = mn[MAX_OPS];
  int cn[64] = {0}, nc = 0;
  for (int i = 0; i < nops; ++i) {
    int c = 0;
    while (c < nc && strcmp(cats[c], g_ops[i].category))
      ++c;
    if (c == nc && nc < 63)
      snprintf(cats[nc++], 64, "%s", g_ops[i].category);
    ct[c] += med[i];
    cmin[c] += mn[i];
    sum_med += med[i];
    sum_min += mn[i];
    cm[c] += g_ops[i].macs;
    cn[c]++;
  }
  printf("\n| category | ops | MMACs | ms/image (sum of per-op medians) | share | sum of per-op minima |\n"
         "|---|---|---|---|---|---|\n");
  for (int c = 0; c < nc; ++c)
    printf("| %s | %d | %.2f | %.3f | %.0f%% | %.3f |\n", cats[c], cn[c], cm[c] * 1e-6, ct[c] * 1e3,
           100 * ct[c] / sum_med, cmin[c] * 1e3);
  printf("| entry wrapper (output copy, return) | | | %.3f | %.0f%% | %.3f |\n", med[MAX_OPS] * 1e3,
         100 * med[MAX_OPS] / sum_med, mn[MAX_OPS] * 1e3);
  printf("| total | %d | | %.3f | 100%% | %.3f |\n", nops, sum_med * 1e3, sum_min * 1e3);
  free(col);
  free(g_samp);
  for (int i = 0; i < sig->num_outputs; ++i)
    free(outs[i]);
  ajpq_codegen_model_destroy(jm);
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
  ajpq_tensor_free(data);
  return 0;
}
