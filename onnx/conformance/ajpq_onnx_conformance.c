/* ajpq-onnx-conformance — runs ONNX single-operator conformance cases
 * (Debian libonnx-testdata, data/node/<case>/) through the importer and
 * upstream MLIR's JIT as an independent oracle:
 *   import (ajpq_onnx) -> tosa-to-linalg(-named) -> ... -> LLVM -> ExecutionEngine
 * and compares every output with the shipped output_N.pb:
 *   |got - want| <= atol + rtol * |want|, atol = 1e-5, rtol = 1e-3
 * (rtol as ONNX's own backend tests; NaN must match NaN).
 *
 * Usage:
 *   ajpq-onnx-conformance [--root DIR] --list FILE   run the cases of FILE
 *   ajpq-onnx-conformance [--root DIR] CASE...       run the named cases
 *   ajpq-onnx-conformance --model M.onnx --input NAME 1x3x8x8 --seed S --golden PREFIX
 *                                            one model vs. PREFIX.out<i>.npy goldens
 * CASE is a directory relative to DIR (default /usr/share/libonnx-testdata/data),
 * e.g. node/test_relu or pytorch-converted/test_Conv2d_depthwise.
 * List file: one case per line: `CASE` (must pass) or `skip CASE reason...`;
 * '#' starts a comment. Prints PASS/FAIL/SKIP per case and a summary line
 * "passed: P failed: F skipped: S"; exit status 1 if any case failed.
 *
 * Binding: graph inputs that are not FLOAT (shapes, axes) are always bound
 * as constants; if the import then fails because an operand must be a
 * constant (conv weights, Clip bounds, ...), every input but the first is
 * bound as a constant too, like the initializers of a real model. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajpq_onnx.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/ExecutionEngine.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/RegisterEverything.h"
#include "mlir-c/Target/LLVMIR.h"

#define ATOL 1e-5
#define RTOL 1e-3

static const char *k_pipeline =
    "func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor),"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-deallocation-pipeline,convert-bufferization-to-memref,func.func(convert-linalg-to-"
    "loops),"
    "convert-scf-to-cf,"
    "expand-strided-metadata,lower-affine,convert-math-to-llvm,convert-arith-to-llvm,"
    "convert-cf-to-llvm,finalize-memref-to-llvm,convert-func-to-llvm,convert-ub-to-llvm,"
    "reconcile-unrealized-casts";

static char g_diag[2048];

static void append_diag(MlirStringRef s, void *user) {
  (void)user;
  size_t l = strlen(g_diag);
  size_t k = s.length < sizeof(g_diag) - 1 - l ? s.length : sizeof(g_diag) - 1 - l;
  memcpy(g_diag + l, s.data, k);
  g_diag[l + k] = 0;
}

static MlirLogicalResult on_diag(MlirDiagnostic d, void *user) {
  (void)user;
  if (!g_diag[0])
    mlirDiagnosticPrint(d, append_diag, NULL);
  return mlirLogicalResultSuccess();
}

static void pipeline_err(MlirStringRef s, void *user) {
  (void)user;
  append_diag(s, NULL);
}

/* Runs the lowering pipeline; returns 0 on success. */
static int lower(MlirContext ctx, MlirModule m) {
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirOpPassManager opm = mlirPassManagerGetAsOpPassManager(pm);
  int rc = 0;
  if (mlirLogicalResultIsFailure(mlirOpPassManagerAddPipeline(
          opm, mlirStringRefCreateFromCString(k_pipeline), pipeline_err, NULL)))
    rc = 1;
  else if (mlirLogicalResultIsFailure(mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(m))))
    rc = 1;
  mlirPassManagerDestroy(pm);
  return rc;
}

typedef struct {
  int64_t v[3 + 2 * AJPQ_ONNX_MAX_RANK];
} desc_t;

static void make_desc(desc_t *d, float *data, int rank, const int64_t *dims) {
  memset(d, 0, sizeof(*d));
  d->v[0] = (int64_t)(intptr_t)data;
  d->v[1] = (int64_t)(intptr_t)data;
  d->v[2] = 0;
  int64_t s = 1;
  for (int i = rank - 1; i >= 0; --i) {
    d->v[3 + i] = dims[i];
    d->v[3 + rank + i] = s;
    s *= dims[i];
  }
}

/* Compares a result memref (fields at `r`) with the expected tensor. */
static double g_atol = ATOL, g_rtol = RTOL;

static int compare(const int64_t *r, const ajpq_onnx_tensor_t *want, char *msg, size_t msz) {
  int rank = want->rank;
  for (int i = 0; i < rank; ++i)
    if (r[3 + i] != want->dims[i]) {
      snprintf(msg, msz, "dim %d is %lld, expected %lld", i, (long long)r[3 + i],
               (long long)want->dims[i]);
      return 1;
    }
  const float *base = (const float *)(intptr_t)r[1] + r[2];
  int64_t idx[AJPQ_ONNX_MAX_RANK] = {0};
  double worst = 0;
  int64_t worst_i = -1;
  for (int64_t i = 0; i < want->numel; ++i) {
    int64_t off = 0;
    for (int k = 0; k < rank; ++k)
      off += idx[k] * r[3 + rank + k];
    double g = base[off];
    double w = want->f32 ? want->f32[i] : (double)want->i64[i];
    int ok =
        (isnan(g) && isnan(w)) || (isinf(w) && g == w) || fabs(g - w) <= g_atol + g_rtol * fabs(w);
    if (!ok) {
      double e = fabs(g - w);
      if (worst_i < 0 || e > worst || isnan(e))
        worst = e, worst_i = i;
    }
    for (int k = rank - 1; k >= 0; --k) {
      if (++idx[k] < want->dims[k])
        break;
      idx[k] = 0;
    }
  }
  if (worst_i >= 0) {
    snprintf(msg, msz, "element %lld differs by %g (worst)", (long long)worst_i, worst);
    return 1;
  }
  return 0;
}

/* Result codes of one case. */
enum { R_PASS, R_FAIL, R_SKIP };

/* Imports tc->model_path with tc's inputs, runs it through the JIT and
 * compares with tc's outputs. */
static int run_testcase(MlirDialectRegistry reg, ajpq_onnx_testcase_t *tc, const char *name,
                        char *why, size_t wsz) {
  ajpq_status_t st;
  for (int i = 0; i < tc->n_outputs; ++i)
    if (tc->outputs[i].dtype != 1) {
      snprintf(why, wsz, "output %d has element type %d (FLOAT only)", i, tc->outputs[i].dtype);
      return R_SKIP;
    }
  MlirContext ctx = mlirContextCreateWithThreading(false);
  mlirContextAppendDialectRegistry(ctx, reg);
  mlirContextLoadAllAvailableDialects(ctx);
  mlirRegisterAllLLVMTranslations(ctx);
  ajpq_onnx_load_dialects(ctx);
  MlirDiagnosticHandlerID hid = mlirContextAttachDiagnosticHandler(ctx, on_diag, NULL, NULL);
  g_diag[0] = 0;

  int n_in = tc->n_inputs < 64 ? tc->n_inputs : 64;
  int runtime[64];
  MlirModule m = {NULL};
  int result = R_FAIL;
  st = ajpq_onnx_testcase_import(ctx, tc, name, runtime, &m);
  if (st) {
    snprintf(why, wsz, "%s", ajpq_status_message(st));
    result = ajpq_status_code(st) == AJPQ_UNIMPLEMENTED ? R_SKIP : R_FAIL;
    ajpq_status_free(st);
    goto done;
  }
  /* Lower and JIT. */
  MlirOperation func = mlirBlockGetFirstOperation(mlirModuleGetBody(m));
  mlirOperationSetAttributeByName(func, mlirStringRefCreateFromCString("llvm.emit_c_interface"),
                                  mlirUnitAttrGet(ctx));
  if (lower(ctx, m)) {
    snprintf(why, wsz, "lowering failed: %s", g_diag);
    goto done;
  }
  /* memrefCopy and friends come from MLIR's C runner utils. */
  MlirStringRef libs[1] = {mlirStringRefCreateFromCString(AJPQ_MLIR_C_RUNNER_UTILS)};
  MlirExecutionEngine jit = mlirExecutionEngineCreate(m, 2, 1, libs, false, false);
  if (mlirExecutionEngineIsNull(jit)) {
    snprintf(why, wsz, "ExecutionEngine creation failed: %s", g_diag);
    goto done;
  }
  desc_t in_desc[64];
  void *in_ptr[64];
  void *args[1 + 64];
  int na = 0;
  size_t res_words = 0;
  for (int i = 0; i < tc->n_outputs; ++i)
    res_words += 3 + 2 * (size_t)tc->outputs[i].rank;
  int64_t *res = calloc(res_words, sizeof(int64_t));
  void *res_ptr = res;
  args[na++] = &res_ptr;
  for (int i = 0; i < n_in; ++i) {
    if (!runtime[i])
      continue;
    make_desc(&in_desc[i], tc->inputs[i].f32, tc->inputs[i].rank, tc->inputs[i].dims);
    in_ptr[i] = &in_desc[i];
    args[na++] = &in_ptr[i];
  }
  if (mlirLogicalResultIsFailure(
          mlirExecutionEngineInvokePacked(jit, mlirStringRefCreateFromCString("main"), args))) {
    snprintf(why, wsz, "invocation failed");
  } else {
    size_t off = 0;
    result = R_PASS;
    for (int i = 0; i < tc->n_outputs; ++i) {
      char msg[256];
      if (compare(res + off, &tc->outputs[i], msg, sizeof(msg))) {
        snprintf(why, wsz, "output %d: %s", i, msg);
        result = R_FAIL;
        break;
      }
      off += 3 + 2 * (size_t)tc->outputs[i].rank;
    }
  }
  /* Results are owned by the caller (ownership-based buffer deallocation
   * clones anything it does not own), malloc'ed by the JIT'd code: free each
   * distinct allocation once, never an input buffer or a global's marker. */
  {
    size_t off = 0;
    void *freed[64];
    int nf = 0;
    for (int i = 0; i < tc->n_outputs && i < 64; ++i) {
      void *p = (void *)(intptr_t)res[off];
      int skip = !p || (uintptr_t)p == 0xdeadbeef;
      for (int k = 0; k < nf && !skip; ++k)
        skip = freed[k] == p;
      for (int k = 0; k < n_in && !skip; ++k)
        skip = runtime[k] && (void *)tc->inputs[k].f32 == p;
      if (!skip)
        free(freed[nf++] = p);
      off += 3 + 2 * (size_t)tc->outputs[i].rank;
    }
  }
  free(res);
  mlirExecutionEngineDestroy(jit);
done:
  if (!mlirModuleIsNull(m))
    mlirModuleDestroy(m);
  mlirContextDetachDiagnosticHandler(ctx, hid);
  mlirContextDestroy(ctx);
  return result;
}

static int run_case(MlirDialectRegistry reg, const char *dir, const char *name, char *why,
                    size_t wsz) {
  ajpq_onnx_testcase_t *tc;
  ajpq_status_t st = ajpq_onnx_testcase_load(dir, &tc);
  if (st) {
    snprintf(why, wsz, "cannot load: %s", ajpq_status_message(st));
    ajpq_status_free(st);
    return R_FAIL;
  }
  int r = run_testcase(reg, tc, name, why, wsz);
  ajpq_onnx_testcase_free(tc);
  return r;
}

/* mulberry32, as in scripts/gen-onnx-goldens.mjs. */
static uint32_t mulberry32(uint32_t *a) {
  *a += 0x6d2b79f5u;
  uint32_t t = *a;
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return t ^ (t >> 14);
}

/* Reads a little-endian float32 C-order .npy into `t` (name left empty). */
static int read_npy(const char *path, ajpq_onnx_tensor_t *t, char *why, size_t wsz) {
  uint8_t *d;
  size_t n;
  ajpq_status_t st = ajpq_onnx_read_file(path, (size_t)1 << 30, &d, &n);
  if (st) {
    snprintf(why, wsz, "%s", ajpq_status_message(st));
    ajpq_status_free(st);
    return 1;
  }
  memset(t, 0, sizeof(*t));
  size_t hl = n >= 10 ? (size_t)(d[8] | d[9] << 8) : 0;
  const char *h = (const char *)d + 10;
  const char *sh = n >= 10 + hl ? strstr(h, "'shape': (") : NULL;
  if (n < 10 || memcmp(d, "\x93NUMPY", 6) != 0 || d[6] != 1 || 10 + hl > n ||
      !strstr(h, "'descr': '<f4'") || !strstr(h, "'fortran_order': False") || !sh) {
    snprintf(why, wsz, "%.1000s: not a float32 C-order .npy (version 1)", path);
    free(d);
    return 1;
  }
  sh += 10;
  t->numel = 1;
  while (*sh != ')' && t->rank < AJPQ_ONNX_MAX_RANK) {
    char *end;
    long long v = strtoll(sh, &end, 10);
    if (end == sh)
      break;
    t->dims[t->rank++] = v;
    t->numel *= v;
    sh = end;
    while (*sh == ',' || *sh == ' ')
      ++sh;
  }
  if ((size_t)t->numel * 4 != n - 10 - hl) {
    snprintf(why, wsz, "%.1000s: data size does not match the shape", path);
    free(d);
    return 1;
  }
  t->dtype = 1;
  t->name = strdup("");
  t->f32 = malloc((size_t)t->numel * 4 + 4);
  memcpy(t->f32, d + 10 + hl, (size_t)t->numel * 4);
  free(d);
  return 0;
}

/* --model mode: seeded input, ORT goldens. */
static int run_model(MlirDialectRegistry reg, const char *model, const char *input_name,
                     const char *shape_text, uint32_t seed, const char *golden, char *why,
                     size_t wsz) {
  ajpq_onnx_testcase_t tc = {0};
  ajpq_onnx_tensor_t in = {0}, outs[16];
  ajpq_onnx_input_shape_t shp;
  char nb[256];
  char spec[512];
  snprintf(spec, sizeof(spec), "%s:%s", input_name, shape_text);
  ajpq_status_t st = ajpq_onnx_parse_input_shape(spec, nb, sizeof(nb), &shp);
  if (st) {
    snprintf(why, wsz, "%s", ajpq_status_message(st));
    ajpq_status_free(st);
    return R_FAIL;
  }
  in.name = strdup(input_name);
  in.dtype = 1;
  in.rank = shp.rank;
  memcpy(in.dims, shp.dims, sizeof(in.dims));
  in.numel = 1;
  for (int i = 0; i < in.rank; ++i)
    in.numel *= in.dims[i];
  in.f32 = malloc((size_t)in.numel * sizeof(float));
  uint32_t state = seed;
  for (int64_t i = 0; i < in.numel; ++i)
    in.f32[i] = (float)(2.0 * ((double)mulberry32(&state) / 4294967296.0) - 1.0);
  int n_out = 0;
  for (; n_out < 16; ++n_out) {
    char path[4096];
    snprintf(path, sizeof(path), "%s.out%d.npy", golden, n_out);
    FILE *f = fopen(path, "rb");
    if (!f)
      break;
    fclose(f);
    if (read_npy(path, &outs[n_out], why, wsz)) {
      for (int i = 0; i < n_out; ++i)
        ajpq_onnx_tensor_clear(&outs[i]);
      ajpq_onnx_tensor_clear(&in);
      return R_FAIL;
    }
  }
  int r = R_FAIL;
  if (n_out == 0) {
    snprintf(why, wsz, "no golden %s.out0.npy", golden);
  } else {
    tc.model_path = (char *)model;
    tc.n_inputs = 1;
    tc.inputs = &in;
    tc.n_outputs = n_out;
    tc.outputs = outs;
    r = run_testcase(reg, &tc, model, why, wsz);
  }
  for (int i = 0; i < n_out; ++i)
    ajpq_onnx_tensor_clear(&outs[i]);
  ajpq_onnx_tensor_clear(&in);
  return r;
}

int main(int argc, char **argv) {
  const char *root = "/usr/share/libonnx-testdata/data";
  const char *list = NULL;
  int first_case = argc;
  const char *model = NULL, *golden = NULL, *input_name = NULL, *shape = NULL;
  uint32_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
      root = argv[++i];
    } else if (strcmp(argv[i], "--list") == 0 && i + 1 < argc) {
      list = argv[++i];
    } else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
      model = argv[++i];
    } else if (strcmp(argv[i], "--golden") == 0 && i + 1 < argc) {
      golden = argv[++i];
    } else if (strcmp(argv[i], "--input") == 0 && i + 2 < argc) {
      input_name = argv[++i];
      shape = argv[++i];
    } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = (uint32_t)strtoul(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--rtol") == 0 && i + 1 < argc) {
      g_rtol = strtod(argv[++i], NULL);
    } else if (strcmp(argv[i], "--atol") == 0 && i + 1 < argc) {
      g_atol = strtod(argv[++i], NULL);
    } else {
      first_case = i;
      break;
    }
  }
  mlirRegisterAllPasses();
  MlirDialectRegistry reg = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(reg);
  int passed = 0, failed = 0, skipped = 0;
  char line[4096], why[2048];
  if (model) {
    if (!golden || !input_name) {
      fprintf(stderr, "ajpq-onnx-conformance: error: --model needs --golden and --input\n");
      return 1;
    }
    why[0] = 0;
    int r = run_model(reg, model, input_name, shape, seed, golden, why, sizeof(why));
    printf("%s %s%s%s\n", r == R_PASS ? "PASS" : "FAIL", model, why[0] ? ": " : "", why);
    printf("tolerance |got-want| <= %g + %g*|want|\n", g_atol, g_rtol);
    mlirDialectRegistryDestroy(reg);
    return r == R_PASS ? 0 : 1;
  }
  FILE *lf = NULL;
  if (list && !(lf = fopen(list, "r"))) {
    fprintf(stderr, "ajpq-onnx-conformance: error: cannot open '%s'\n", list);
    return 1;
  }
  int ci = first_case;
  for (;;) {
    char name[512];
    const char *skip_reason = NULL;
    if (lf) {
      if (!fgets(line, sizeof(line), lf))
        break;
      char *hash = strchr(line, '#');
      if (hash)
        *hash = 0;
      char *p = line;
      while (*p == ' ' || *p == '\t')
        ++p;
      p[strcspn(p, "\r\n")] = 0;
      if (!*p)
        continue;
      if (strncmp(p, "skip ", 5) == 0) {
        p += 5;
        size_t l = strcspn(p, " \t");
        snprintf(name, sizeof(name), "%.*s", (int)l, p);
        skip_reason = p + l;
        while (*skip_reason == ' ' || *skip_reason == '\t')
          ++skip_reason;
      } else {
        size_t l = strcspn(p, " \t");
        snprintf(name, sizeof(name), "%.*s", (int)l, p);
      }
    } else {
      if (ci >= argc)
        break;
      snprintf(name, sizeof(name), "%s", argv[ci++]);
    }
    if (skip_reason) {
      printf("SKIP %s: %s\n", name, *skip_reason ? skip_reason : "(no reason given)");
      ++skipped;
      continue;
    }
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%s", root, name);
    why[0] = 0;
    int r = run_case(reg, dir, name, why, sizeof(why));
    for (char *q = why; *q; ++q)
      if (*q == '\n')
        *q = ' ';
    if (r == R_PASS) {
      printf("PASS %s\n", name);
      ++passed;
    } else if (r == R_SKIP && !lf) {
      printf("UNSUPPORTED %s: %s\n", name, why);
      ++skipped;
    } else {
      printf("FAIL %s: %s\n", name, why);
      ++failed;
    }
    fflush(stdout);
  }
  if (lf)
    fclose(lf);
  mlirDialectRegistryDestroy(reg);
  printf("passed: %d failed: %d skipped: %d (tolerance |got-want| <= %g + %g*|want|)\n", passed,
         failed, skipped, g_atol, g_rtol);
  return failed ? 1 : 0;
}
