/* jit_test.c — correctness of ajpq-lower-to-kernels through the JIT.
 *
 * Builds small modules holding one ajpq op (via the dialect's builders),
 * lowers them with ajpq_codegen_lower (our pass + the upstream pipeline),
 * JIT-compiles them with the MLIR ExecutionEngine and compares every output
 * BIT FOR BIT with the scalar references of ajpq_kernels (int8 ops: naive
 * int32 accumulators + the documented fp32 epilogue; f32 ops: the f32
 * reference; quantize/dequantize: the dialect's C helpers). Runs each case
 * on the VNNI path (if the host has it) and on the portable path
 * (target-features=+avx2). Usage: ajpq-kernels-jit-test [vnni|portable|all]
 * Run by test/kernels/jit.test. Exit status 1 on any failure. */
#include "ajpq_codegen.h"
#include "ajpq_dialect.h"
#include "ajpq_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llvm-c/Core.h"
#include "llvm-c/TargetMachine.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Diagnostics.h"

static int failures;
static const char *g_features; /* NULL = host (VNNI), "+avx2,..." = portable */

static uint64_t rng_state;
static uint32_t rnd(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}
static int64_t rr(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint32_t)(hi - lo + 1)); }

static void print_cb(MlirStringRef s, void *ud) { fwrite(s.data, 1, s.length, (FILE *)ud); }
static MlirLogicalResult diag_print(MlirDiagnostic d, void *ud) {
  (void)ud;
  printf("diagnostic: ");
  mlirDiagnosticPrint(d, print_cb, stdout);
  printf("\n");
  return mlirLogicalResultSuccess();
}

/* A module `@test(%xm, %ym)` whose body converts %xm to a tensor, applies the
 * op made by `build` and writes the result into %ym. */
typedef MlirOperation (*build_fn)(MlirLocation loc, MlirValue x, void *ud);

static void shape_str(char *out, size_t len, int rank, const int64_t *shape) {
  size_t at = 0;
  out[0] = 0;
  for (int i = 0; i < rank; ++i)
    at += (size_t)snprintf(out + at, len - at, "%lldx", (long long)shape[i]);
}

/* Lowers, JITs and runs one op on x -> y. Returns 0 on any failure (printed). */
static int run_op(MlirContext ctx, int xrank, const int64_t *xshape, const char *xelt, void *x,
                  int yrank, const int64_t *yshape, const char *yelt, void *y, build_fn build,
                  void *ud) {
  char xs[128], ys[128], text[2048];
  shape_str(xs, sizeof xs, xrank, xshape);
  shape_str(ys, sizeof ys, yrank, yshape);
  snprintf(text, sizeof text,
           "func.func @test(%%xm: memref<%s%s>, %%ym: memref<%s%s>) attributes {llvm.emit_c_interface} {\n"
           "  %%x = bufferization.to_tensor %%xm restrict : memref<%s%s> to tensor<%s%s>\n"
           "  %%y0 = bufferization.alloc_tensor() : tensor<%s%s>\n"
           "  bufferization.materialize_in_destination %%y0 in restrict writable %%ym : (tensor<%s%s>, memref<%s%s>) -> ()\n"
           "  return\n}\n",
           xs, xelt, ys, yelt, xs, xelt, xs, xelt, ys, yelt, ys, yelt, ys, yelt);
  MlirModule m = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(text));
  if (mlirModuleIsNull(m)) {
    printf("FAIL: test skeleton does not parse\n");
    return 0;
  }
  MlirOperation func = mlirBlockGetFirstOperation(mlirModuleGetBody(m));
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(func, 0));
  MlirOperation to_tensor = mlirBlockGetFirstOperation(body);
  MlirOperation alloc = mlirOperationGetNextInBlock(to_tensor);
  MlirOperation op = build(mlirOperationGetLocation(alloc), mlirOperationGetResult(to_tensor, 0), ud);
  int ok = 0;
  MlirExecutionEngine jit = {0};
  if (mlirOperationIsNull(op)) {
    printf("FAIL: builder returned a null op\n");
    goto out;
  }
  mlirBlockInsertOwnedOperationBefore(body, alloc, op);
  mlirValueReplaceAllUsesOfWith(mlirOperationGetResult(alloc, 0), mlirOperationGetResult(op, 0));
  mlirOperationDestroy(alloc);
  ajpq_status_t st = ajpq_codegen_lower(m, g_features);
  if (!st)
    st = ajpq_codegen_jit(m, &jit);
  if (st) {
    printf("FAIL: %s\n", ajpq_status_message(st));
    ajpq_status_free(st);
    goto out;
  }
  int64_t dx[3 + 16], dy[3 + 16];
  void *px = ajpq_codegen_descriptor(dx, x, xrank, xshape);
  void *py = ajpq_codegen_descriptor(dy, y, yrank, yshape);
  void *args[2] = {&px, &py};
  if (mlirLogicalResultIsFailure(mlirExecutionEngineInvokePacked(jit, mlirStringRefCreateFromCString("test"), args))) {
    printf("FAIL: invoke failed\n");
    goto out;
  }
  ok = 1;
out:
  if (!mlirExecutionEngineIsNull(jit))
    mlirExecutionEngineDestroy(jit);
  mlirModuleDestroy(m);
  return ok;
}

/* ---- compute ops ---- */

typedef struct {
  ajpq_compute_attrs_t a;
  ajpq_kernels_conv_t g;
  int8_t *bits;
  int32_t *kept;
  uint8_t *packed;
  float *scale, *zp, *bias;
  int xrank;
  int64_t xshape[4];
} layer_t;

static MlirOperation build_compute(MlirLocation loc, MlirValue x, void *ud) {
  layer_t *l = ud;
  return ajpq_build_compute(loc, x, &l->a, AJPQ_WEIGHTS_DENSE);
}

static void layer_free(layer_t *l) {
  free(l->bits);
  free(l->kept);
  free(l->packed);
  free(l->scale);
  free(l->zp);
  free(l->bias);
}

/* Random layer: orig_n channels with bits_orig (0 = erased). */
static void layer_make(layer_t *l, ajpq_kernels_conv_t g, int is_matmul, int64_t orig_n,
                       const int8_t *bits_orig, int input_i8) {
  memset(l, 0, sizeof *l);
  int64_t k = g.kh * g.kw * g.cin_per_group, n = 0;
  for (int64_t c = 0; c < orig_n; ++c)
    n += bits_orig[c] > 0;
  g.n = n;
  l->g = g;
  l->bits = malloc((size_t)n);
  l->kept = malloc((size_t)n * sizeof(int32_t));
  l->scale = malloc((size_t)n * sizeof(float));
  l->zp = malloc((size_t)n * sizeof(float));
  l->bias = malloc((size_t)n * sizeof(float));
  uint8_t *codes = malloc((size_t)(n * k));
  int64_t j = 0;
  for (int64_t c = 0; c < orig_n; ++c) {
    int b = bits_orig[c];
    if (!b)
      continue;
    l->bits[j] = (int8_t)b;
    l->kept[j] = (int32_t)c;
    for (int64_t kk = 0; kk < k; ++kk)
      codes[j * k + kk] = (uint8_t)(rnd() & ((1u << b) - 1u));
    l->scale[j] = 0.001f + (float)(rnd() % 1000) * 1e-4f;
    l->zp[j] = b == 1 ? 0.5f : (rnd() % 4 ? (float)(1 << (b - 1)) : (float)(rnd() % (1u << b)));
    l->bias[j] = ((float)(rnd() % 2001) - 1000.0f) * 1e-3f;
    ++j;
  }
  size_t psize = ajpq_kernels_rowpacked_size(n, k, l->bits);
  l->packed = malloc(psize);
  ajpq_status_free(ajpq_kernels_rowpacked_pack(n, k, l->bits, codes, l->packed, psize));
  free(codes);
  ajpq_compute_attrs_t *a = &l->a;
  a->kind = is_matmul ? AJPQ_OP_MATMUL : AJPQ_OP_CONV2D;
  a->n_kept = n;
  a->orig_channels = orig_n;
  a->bits = l->bits;
  a->kept = l->kept;
  a->scale = l->scale;
  a->zero_point = l->zp;
  a->bias = l->bias;
  a->weights = l->packed;
  a->weights_size = (int64_t)psize;
  a->has_input_qparams = input_i8;
  a->input_scale = 0.0173f;
  a->input_zero_point = (int32_t)rr(-20, 20);
  if (is_matmul) {
    a->kernel[0] = k;
  } else {
    a->kernel[0] = g.kh;
    a->kernel[1] = g.kw;
    a->kernel[2] = g.cin_per_group;
    a->stride[0] = g.stride_h;
    a->stride[1] = g.stride_w;
    a->pad[0] = g.pad_top;
    a->pad[1] = g.pad_bottom;
    a->pad[2] = g.pad_left;
    a->pad[3] = g.pad_right;
    a->dilation[0] = g.dil_h;
    a->dilation[1] = g.dil_w;
    a->groups = g.groups;
  }
  if (is_matmul) {
    l->xrank = g.batch == 1 ? 2 : 3;
    if (l->xrank == 2) {
      l->xshape[0] = 1;
      l->xshape[1] = k;
    } else { /* [..., K] with two leading dims */
      l->xshape[0] = 1;
      l->xshape[1] = g.batch;
      l->xshape[2] = k;
    }
  } else {
    l->xrank = 4;
    l->xshape[0] = g.batch;
    l->xshape[1] = g.h;
    l->xshape[2] = g.w;
    l->xshape[3] = g.cin;
  }
}

/* Runs the layer through the JIT and the reference; returns 1 iff bit-exact. */
static int check_layer(MlirContext ctx, layer_t *l, int input_i8, const char *what) {
  ajpq_kernels_conv_t g = l->g;
  ajpq_status_t st = ajpq_kernels_conv_check(&g);
  if (st) {
    printf("FAIL %s: %s\n", what, ajpq_status_message(st));
    ajpq_status_free(st);
    ++failures;
    return 0;
  }
  int64_t xn = g.batch * g.h * g.w * g.cin, pixels = g.batch * g.oh * g.ow, n = g.n;
  ajpq_kernels_weights_t w = {n, l->a.kernel[0] * (l->a.kind == AJPQ_OP_CONV2D ? l->a.kernel[1] * l->a.kernel[2] : 1),
                              l->bits, l->packed, (size_t)l->a.weights_size, l->scale, l->zp, l->bias};
  float *yref = malloc((size_t)(pixels * n) * sizeof(float));
  float *yjit = malloc((size_t)(pixels * n) * sizeof(float));
  void *x;
  if (input_i8) {
    int8_t *xi = malloc((size_t)xn);
    for (int64_t i = 0; i < xn; ++i)
      xi[i] = (int8_t)(rnd() & 0xff);
    int32_t *acc = malloc((size_t)(pixels * n) * sizeof(int32_t));
    int32_t *s = malloc((size_t)(pixels * g.groups) * sizeof(int32_t));
    st = ajpq_kernels_reference_conv_acc(&g, &w, xi, l->a.input_zero_point, acc, s);
    if (!st)
      ajpq_kernels_epilogue(pixels, n, g.groups, acc, s, l->a.input_scale, l->scale, l->zp, l->bias, yref);
    free(acc);
    free(s);
    x = xi;
  } else {
    float *xf = malloc((size_t)xn * sizeof(float));
    for (int64_t i = 0; i < xn; ++i)
      xf[i] = ((float)(rnd() % 20001) - 10000.0f) * 1e-3f;
    st = ajpq_kernels_reference_conv_f32(&g, &w, xf, yref);
    x = xf;
  }
  int ok = 0;
  if (st) {
    printf("FAIL %s: reference: %s\n", what, ajpq_status_message(st));
    ajpq_status_free(st);
  } else {
    int64_t yshape[4];
    int yrank;
    if (l->a.kind == AJPQ_OP_MATMUL) {
      yrank = l->xrank;
      memcpy(yshape, l->xshape, sizeof yshape);
      yshape[yrank - 1] = n;
    } else {
      yrank = 4;
      yshape[0] = g.batch;
      yshape[1] = g.oh;
      yshape[2] = g.ow;
      yshape[3] = n;
    }
    memset(yjit, 0xff, (size_t)(pixels * n) * sizeof(float));
    if (run_op(ctx, l->xrank, l->xshape, input_i8 ? "i8" : "f32", x, yrank, yshape, "f32", yjit,
               build_compute, l)) {
      int64_t bad = 0, first = -1;
      for (int64_t i = 0; i < pixels * n; ++i)
        if (memcmp(&yref[i], &yjit[i], sizeof(float)) != 0 && bad++ == 0)
          first = i;
      if (bad)
        printf("FAIL %s: %lld of %lld outputs differ (first at %lld: jit %.9g ref %.9g)\n", what,
               (long long)bad, (long long)(pixels * n), (long long)first, (double)yjit[first],
               (double)yref[first]);
      ok = bad == 0;
    }
  }
  if (!ok)
    ++failures;
  free(x);
  free(yref);
  free(yjit);
  return ok;
}

static ajpq_kernels_conv_t conv(int64_t batch, int64_t h, int64_t w, int64_t cin, int64_t kh, int64_t kw,
                                int64_t groups, int64_t stride, int64_t pad, int64_t dil) {
  return (ajpq_kernels_conv_t){batch, h, w, cin, kh, kw, cin / groups, groups, stride, stride, pad, pad, pad,
                               pad, dil, dil, 0, 0, 0};
}
static ajpq_kernels_conv_t gemv(int64_t m, int64_t k) {
  return (ajpq_kernels_conv_t){m, 1, 1, k, 1, 1, k, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0};
}

static void test_each_bitwidth(MlirContext ctx, const char *path) {
  printf("TEST: jit_each_bitwidth %s\n", path);
  for (int b = 0; b <= 8; ++b) {
    rng_state = 0x777 + (uint64_t)b;
    int8_t bits[37];
    for (int c = 0; c < 37; ++c)
      bits[c] = (int8_t)(b == 0 ? (c % 3 == 0 ? 0 : 1 + c % 8) : b);
    layer_t l;
    layer_make(&l, gemv(1, 700 + 13 * b), 1, 37, bits, 1);
    char what[64];
    snprintf(what, sizeof what, "matmul b=%d %s", b, path);
    printf("%s n=%lld: %s\n", what, (long long)l.a.n_kept, check_layer(ctx, &l, 1, what) ? "exact" : "MISMATCH");
    layer_free(&l);
  }
}

/* Many-pixel convs (the GEMM microkernel on the VNNI path) for every
 * bit-width: 20 output pixels, K = 3·3·37 = 333, N = 37 (odd). */
static void test_each_bitwidth_conv(MlirContext ctx, const char *path) {
  printf("TEST: jit_each_bitwidth_conv %s\n", path);
  for (int b = 0; b <= 8; ++b) {
    rng_state = 0x999 + (uint64_t)b;
    int8_t bits[37];
    for (int c = 0; c < 37; ++c)
      bits[c] = (int8_t)(b == 0 ? (c % 3 == 0 ? 0 : 1 + c % 8) : b);
    layer_t l;
    layer_make(&l, conv(1, 5, 4, 37, 3, 3, 1, 1, 1, 1), 0, 37, bits, 1);
    char what[64];
    snprintf(what, sizeof what, "conv b=%d %s", b, path);
    printf("%s n=%lld: %s\n", what, (long long)l.a.n_kept, check_layer(ctx, &l, 1, what) ? "exact" : "MISMATCH");
    layer_free(&l);
  }
}

static void test_shapes(MlirContext ctx, const char *path) {
  printf("TEST: jit_shapes %s\n", path);
  int8_t bits[24];
  for (int c = 0; c < 24; ++c)
    bits[c] = (int8_t)(c % 9); /* 0..8 mixed, some erased */
  struct {
    const char *name;
    ajpq_kernels_conv_t g;
    int matmul, i8;
  } cases[] = {
      {"matmul batch 5 rank 3", gemv(5, 131), 1, 1},
      {"matmul batch 19 rank 3", gemv(19, 203), 1, 1},
      {"conv 3x3 s1 p1", conv(1, 9, 7, 5, 3, 3, 1, 1, 1, 1), 0, 1},
      {"conv 3x3 s2 p1 batch 2", conv(2, 11, 10, 3, 3, 3, 1, 2, 1, 1), 0, 1},
      {"conv 3x2 dil 2 p2", conv(1, 12, 9, 4, 3, 2, 1, 1, 2, 2), 0, 1},
      {"conv 1x1 cin 130", conv(1, 5, 6, 130, 1, 1, 1, 1, 0, 1), 0, 1},
      /* windowed GEMM (padded input copy, window rows padded to 4 codes): the
       * BlazeFace stem's 5x5/s2 with 3 channels and asymmetric padding, an odd
       * window row (kw·cin = 21), a row that needs no zero codes (12) */
      {"conv 5x5 s2 cin 3 pad 1,2,1,2 (stem, windowed)",
       (ajpq_kernels_conv_t){1, 16, 18, 3, 5, 5, 3, 1, 2, 2, 1, 2, 1, 2, 1, 1, 0, 0, 0}, 0, 1},
      {"conv 3x3 cin 7 batch 2 (windowed, row 21)", conv(2, 9, 11, 7, 3, 3, 1, 1, 1, 1), 0, 1},
      {"conv 3x3 s2 cin 4 p0 (windowed, row 12)", conv(1, 11, 9, 4, 3, 3, 1, 2, 0, 1), 0, 1},
      {"grouped 3 groups", conv(1, 8, 8, 12, 3, 3, 3, 1, 1, 1), 0, 1},
      {"depthwise 3x3 s2", conv(1, 10, 9, 24, 3, 3, 24, 2, 1, 1), 0, 1},
      {"depthwise x2 dil 2", conv(1, 7, 7, 12, 3, 3, 12, 1, 1, 2), 0, 1},
      {"f32 conv 3x3", conv(1, 7, 6, 5, 3, 3, 1, 1, 1, 1), 0, 0},
      {"f32 matmul", gemv(3, 77), 1, 0},
      {"f32 matmul batch 19 (vector kernel)", gemv(19, 203), 1, 0},
      {"f32 conv 1x1 batch 2 (vector kernel)", conv(2, 5, 6, 70, 1, 1, 1, 1, 0, 1), 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    rng_state = 0x5151 + i;
    layer_t l;
    int64_t orig_n = cases[i].g.groups > 1 ? 24 : 19;
    int8_t b2[24];
    memcpy(b2, bits, sizeof b2);
    if (cases[i].g.groups > 1) /* same erased count per group keeps n divisible */
      for (int c = 0; c < 24; ++c)
        b2[c] = (int8_t)(1 + c % 8);
    layer_make(&l, cases[i].g, cases[i].matmul, orig_n, b2, cases[i].i8);
    char what[96];
    snprintf(what, sizeof what, "%s %s", cases[i].name, path);
    printf("%s: %s\n", what, check_layer(ctx, &l, cases[i].i8, what) ? "exact" : "MISMATCH");
    layer_free(&l);
  }
}

static void test_random(MlirContext ctx, const char *path, int count) {
  printf("TEST: jit_random %s\n", path);
  int bad = 0;
  for (int t = 0; t < count; ++t) {
    rng_state = 0xBEEF00ull + (uint64_t)t * 104729u;
    int64_t groups = rr(1, 2), cpg = rr(2, 70), per_group = rr(1, 12);
    int64_t kh = rr(1, 3), kw = rr(1, 3), dil = rr(1, 2);
    int64_t h = rr(dil * (kh - 1) + 1, 8), w = rr(dil * (kw - 1) + 1, 8);
    int8_t bits[24];
    for (int64_t c = 0; c < per_group * groups; ++c)
      bits[c] = (int8_t)rr(1, 8);
    layer_t l;
    layer_make(&l, conv(rr(1, 2), h, w, cpg * groups, kh, kw, groups, rr(1, 2), rr(0, 2), dil), 0,
               per_group * groups, bits, 1);
    char what[64];
    snprintf(what, sizeof what, "random %d %s", t, path);
    bad += !check_layer(ctx, &l, 1, what);
    layer_free(&l);
  }
  printf("random %s: %d of %d mismatched\n", path, bad, count);
}

/* Conv geometries met in models from outside the repo (PaddleOCR cls/det/rec,
 * MLSD, openWakeWord; docs/kernels.md "Limits (known)"), each bit-exact
 * against the scalar reference: 1×N / N×1 kernels, unequal strides (CRNN's
 * (2,1)), strides 3 and 4 (patch embedding), ONNX SAME_UPPER padding
 * (0,1,0,1), unequal dilations, grouped convs with 1 < groups < C, depthwise
 * with 5×5 / unequal strides / asymmetric padding, a window as large as the
 * input, and f32-input convs on the same kinds of shapes (the windowed f32
 * vector kernel for groups 1, the scalar kernel for grouped/depthwise). */
static void test_outside_shapes(MlirContext ctx, const char *path) {
  printf("TEST: jit_outside_shapes %s\n", path);
  typedef ajpq_kernels_conv_t G;
  struct {
    const char *name;
    G g;
    int i8;
  } cases[] = {
      {"conv 1x7 pad 0,0,3,3", (G){1, 6, 14, 16, 1, 7, 16, 1, 1, 1, 0, 0, 3, 3, 1, 1, 0, 0, 0}, 1},
      {"conv 7x1 pad 3,3,0,0 batch 2", (G){2, 14, 6, 16, 7, 1, 16, 1, 1, 1, 3, 3, 0, 0, 1, 1, 0, 0, 0}, 1},
      {"conv 3x3 stride 2,1", (G){1, 12, 10, 32, 3, 3, 32, 1, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, 1},
      {"conv 1x1 stride 2,1", (G){1, 8, 9, 24, 1, 1, 24, 1, 2, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0}, 1},
      {"conv 3x3 stride 3", (G){1, 13, 14, 16, 3, 3, 16, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0}, 1},
      {"conv 4x4 stride 4 cin 3 (windowed)", (G){1, 16, 12, 3, 4, 4, 3, 1, 4, 4, 0, 0, 0, 0, 1, 1, 0, 0, 0}, 1},
      {"conv 4x4 stride 4 cin 8", (G){1, 16, 12, 8, 4, 4, 8, 1, 4, 4, 0, 0, 0, 0, 1, 1, 0, 0, 0}, 1},
      {"conv 3x3 s2 pad 0,1,0,1", (G){1, 10, 10, 32, 3, 3, 32, 1, 2, 2, 0, 1, 0, 1, 1, 1, 0, 0, 0}, 1},
      {"conv 3x3 dil 3,1", (G){1, 12, 10, 16, 3, 3, 16, 1, 1, 1, 3, 3, 1, 1, 3, 1, 0, 0, 0}, 1},
      {"conv window = input 4x5", (G){1, 4, 5, 8, 4, 5, 8, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0}, 1},
      {"conv 2x2 s2 odd input", (G){1, 7, 7, 12, 2, 2, 12, 1, 2, 2, 0, 0, 0, 0, 1, 1, 0, 0, 0}, 1},
      {"grouped 4 groups 1x1", (G){1, 5, 6, 32, 1, 1, 8, 4, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0}, 1},
      {"grouped 2 groups 3x3 s2", (G){1, 9, 9, 20, 3, 3, 10, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0}, 1},
      {"grouped 8 groups cpg 2", (G){1, 6, 6, 16, 3, 3, 2, 8, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, 1},
      {"grouped 3 groups 1x7 s 1,2", (G){1, 6, 15, 12, 1, 7, 4, 3, 1, 2, 0, 0, 3, 3, 1, 1, 0, 0, 0}, 1},
      {"depthwise 5x5 s2 pad 1,2,1,2", (G){1, 11, 11, 24, 5, 5, 1, 24, 2, 2, 1, 2, 1, 2, 1, 1, 0, 0, 0}, 1},
      {"depthwise 3x3 stride 2,1", (G){1, 9, 8, 24, 3, 3, 1, 24, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, 1},
      {"depthwise 3x3 stride 3 dil 2,1", (G){1, 14, 13, 24, 3, 3, 1, 24, 3, 3, 2, 2, 1, 1, 2, 1, 0, 0, 0}, 1},
      {"depthwise 1x5 pad 0,0,2,2", (G){2, 5, 9, 24, 1, 5, 1, 24, 1, 1, 0, 0, 2, 2, 1, 1, 0, 0, 0}, 1},
      {"depthwise x2 5x1 s2", (G){1, 12, 7, 12, 5, 1, 1, 12, 2, 1, 2, 2, 0, 0, 1, 1, 0, 0, 0}, 1},
      {"f32 conv 3x3 stride 2,1", (G){1, 8, 9, 5, 3, 3, 5, 1, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, 0},
      {"f32 conv 1x7 pad 0,0,3,3", (G){1, 4, 10, 6, 1, 7, 6, 1, 1, 1, 0, 0, 3, 3, 1, 1, 0, 0, 0}, 0},
      {"f32 conv 3x3 dil 2,1 s2 pad 0,1,2,0 batch 2", (G){2, 9, 8, 7, 3, 3, 7, 1, 2, 2, 0, 1, 2, 0, 2, 1, 0, 0, 0}, 0},
      {"f32 grouped 2 groups", (G){1, 6, 6, 8, 3, 3, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, 0},
      {"f32 depthwise 3x3 s2 pad 0,1,0,1", (G){1, 9, 9, 24, 3, 3, 1, 24, 2, 2, 0, 1, 0, 1, 1, 1, 0, 0, 0}, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    rng_state = 0x0D75ull + i * 31u;
    int64_t orig_n = cases[i].g.groups > 1 ? 24 : 19;
    int8_t b[24];
    for (int c = 0; c < 24; ++c) /* grouped: every channel kept (n divisible by groups) */
      b[c] = (int8_t)(cases[i].g.groups > 1 ? 1 + (c + (int)i) % 8 : (c + (int)i) % 9);
    layer_t l;
    layer_make(&l, cases[i].g, 0, orig_n, b, cases[i].i8);
    char what[96];
    snprintf(what, sizeof what, "%s %s", cases[i].name, path);
    printf("%s: %s\n", what, check_layer(ctx, &l, cases[i].i8, what) ? "exact" : "MISMATCH");
    layer_free(&l);
  }
}

/* f32-input convs with fewer than 8 output channels and stride_w 1: the
 * pixel-vector kernel (emit_f32_pixels: planar padded input copy, 16
 * or 32 output pixels per block), bit-exact against the scalar reference.
 * Tails on every axis: output rows not a multiple of 16 or 32 pixels,
 * channels below, at and above 16 and not a multiple of 16 (the copy's
 * 16x16 transposes), padding on each side (also wider than 16 columns),
 * stride_h 2, dilation, groups, channel multiplier 2, batch 2, and the
 * PP-OCRv4 det head (2x2, one output channel, 23 input channels, pad 1). */
static void test_f32_pixels(MlirContext ctx, const char *path) {
  printf("TEST: jit_f32_pixels %s\n", path);
  typedef ajpq_kernels_conv_t G;
  struct {
    const char *name;
    G g;
    int64_t n;
  } cases[] = {
      {"det head 2x2 n1 c23 pad 1", (G){1, 13, 11, 23, 2, 2, 23, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, 1},
      {"3x3 n5 c16 s2,1 pad 0,1,2,0 dil 2,1 batch 2", (G){2, 9, 37, 16, 3, 3, 16, 1, 2, 1, 0, 1, 2, 0, 2, 1, 0, 0, 0}, 5},
      {"1x5 n3 c40 pad 0,0,19,2", (G){1, 3, 21, 40, 1, 5, 40, 1, 1, 1, 0, 0, 19, 2, 1, 1, 0, 0, 0}, 3},
      {"5x1 n7 c3 pad 2,2,0,0 (one vector per block)", (G){1, 8, 50, 3, 5, 1, 3, 1, 1, 1, 2, 2, 0, 0, 1, 1, 0, 0, 0}, 7},
      {"grouped 3 groups opg 2 3x3 pad 1", (G){1, 6, 17, 12, 3, 3, 4, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, 6},
      {"depthwise 3x3 c6 s2,1 pad 1", (G){1, 9, 33, 6, 3, 3, 1, 6, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, 6},
      {"depthwise x2 3x3 c3 dil 1,2 pad 0,0,2,2", (G){1, 7, 20, 3, 3, 3, 1, 3, 1, 1, 0, 0, 2, 2, 1, 2, 0, 0, 0}, 6},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    rng_state = 0x51C5ull + i * 17u;
    int8_t b[32];
    for (int c = 0; c < 32; ++c)
      b[c] = (int8_t)(1 + (c + (int)i) % 8);
    layer_t l;
    layer_make(&l, cases[i].g, 0, cases[i].n, b, 0);
    char what[128];
    snprintf(what, sizeof what, "%s %s", cases[i].name, path);
    printf("%s: %s\n", what, check_layer(ctx, &l, 0, what) ? "exact" : "MISMATCH");
    layer_free(&l);
  }
}

/* Random depthwise convs (the vector depthwise kernel: interior pixels
 * without bounds checks, border pixels with them; windows larger than the
 * input, so that some shapes have no interior at all). */
static void test_random_dw(MlirContext ctx, const char *path, int count) {
  printf("TEST: jit_random_depthwise %s\n", path);
  int bad = 0;
  for (int t = 0; t < count; ++t) {
    rng_state = 0xD3D3ull + (uint64_t)t * 7919u;
    int64_t c = rr(1, 40), kh = rr(1, 5), kw = rr(1, 5), dil = rr(1, 2), pad = rr(0, 2);
    int64_t h = rr(dil * (kh - 1) + 1 > 2 * pad ? dil * (kh - 1) + 1 - 2 * pad : 1, 12);
    int64_t w = rr(dil * (kw - 1) + 1 > 2 * pad ? dil * (kw - 1) + 1 - 2 * pad : 1, 12);
    int8_t bits[40];
    for (int64_t j = 0; j < c; ++j)
      bits[j] = (int8_t)rr(1, 8);
    layer_t l;
    layer_make(&l, conv(rr(1, 2), h, w, c, kh, kw, c, rr(1, 2), pad, dil), 0, c, bits, 1);
    char what[64];
    snprintf(what, sizeof what, "random depthwise %d %s", t, path);
    bad += !check_layer(ctx, &l, 1, what);
    layer_free(&l);
  }
  printf("random depthwise %s: %d of %d mismatched\n", path, bad, count);
}

/* ---- fused float chains (conv/matmul → [add] → [clamp] → quantize) ---- */

/* IEEE maximum/minimum (arith.maximumf/minimumf, what tosa.clamp lowers to):
 * NaN propagates, +0 > -0. */
static float ref_maximumf(float a, float b) {
  if (a != a || b != b)
    return a + b;
  if (a == b)
    return signbit(a) ? b : a;
  return a > b ? a : b;
}
static float ref_minimumf(float a, float b) {
  if (a != a || b != b)
    return a + b;
  if (a == b)
    return signbit(a) ? a : b;
  return a < b ? a : b;
}

typedef struct {
  const char *name;
  ajpq_kernels_conv_t g;
  int matmul;
  int add;      /* 0 none, 1 residual is the add's lhs, 2 rhs */
  int clamp;    /* tosa.clamp to [lo, hi] */
  float lo, hi;
  int want_y;   /* the chain value is also a function result */
  int pad;      /* > 0: the residual is tosa.concat(r, +0.0 zeros) along channels, r has n - pad channels
                   (BlazeFace's channel padding, absorbed into the epilogue) */
} fuse_case_t;

/* Builds @test(%xm, %rm, %ym, %qm): conv (builder) → chain ops (parsed
 * text) → quantize, lowers + JITs it, compares y and q bit for bit with the
 * scalar reference + C float ops in the upstream lowering's order. */
static int check_fused(MlirContext ctx, const fuse_case_t *fc, const char *path) {
  int8_t bits[24];
  for (int c = 0; c < 24; ++c) /* mixed 0..8; depthwise keeps every channel (n = groups) */
    bits[c] = (int8_t)(fc->g.groups > 1 ? 1 + c % 8 : c % 9);
  layer_t l;
  layer_make(&l, fc->g, fc->matmul, 19, bits, 1);
  ajpq_kernels_conv_t g = l.g;
  ajpq_status_free(ajpq_kernels_conv_check(&g));
  int64_t n = g.n, pixels = g.batch * g.oh * g.ow, xn = g.batch * g.h * g.w * g.cin, yn = pixels * n;
  char xs[128], ys[128], rs[128], zs[128], text[8192];
  int64_t yshape[4];
  int yrank;
  if (fc->matmul) {
    yrank = l.xrank;
    memcpy(yshape, l.xshape, sizeof yshape);
    yshape[yrank - 1] = n;
  } else {
    yrank = 4;
    yshape[0] = g.batch;
    yshape[1] = g.oh;
    yshape[2] = g.ow;
    yshape[3] = n;
  }
  shape_str(xs, sizeof xs, l.xrank, l.xshape);
  shape_str(ys, sizeof ys, yrank, yshape);
  int pad = fc->pad <= 0 ? 0 : fc->pad < n ? fc->pad : (int)n - 1; /* at least one real channel */
  int64_t rshape[4], zshape[4], rn = n - pad; /* residual channels */
  memcpy(rshape, yshape, sizeof rshape);
  memcpy(zshape, yshape, sizeof zshape);
  rshape[yrank - 1] = rn;
  zshape[yrank - 1] = pad;
  shape_str(rs, sizeof rs, yrank, rshape);
  shape_str(zs, sizeof zs, yrank, zshape);
  ajpq_act_qparams_t qp = {0.037f, -5, 8};
  size_t at = (size_t)snprintf(text, sizeof text,
      "func.func @test(%%xm: memref<%si8>, %%rm: memref<%sf32>, %%ym: memref<%sf32>, %%qm: memref<%si8>) attributes {llvm.emit_c_interface} {\n"
      "  %%x = bufferization.to_tensor %%xm restrict : memref<%si8> to tensor<%si8>\n"
      "  %%r = bufferization.to_tensor %%rm restrict : memref<%sf32> to tensor<%sf32>\n"
      "  %%c = bufferization.alloc_tensor() : tensor<%sf32>\n",
      xs, rs, ys, ys, xs, xs, rs, rs, ys);
  const char *v = "%c", *rv = "%r";
  if (pad) {
    at += (size_t)snprintf(text + at, sizeof text - at,
                           "  %%zp = \"tosa.const\"() <{values = dense<0.000000e+00> : tensor<%sf32>}> : () -> tensor<%sf32>\n"
                           "  %%rc = tosa.concat %%r, %%zp {axis = %d : i32} : (tensor<%sf32>, tensor<%sf32>) -> tensor<%sf32>\n",
                           zs, zs, yrank - 1, rs, zs, ys);
    rv = "%rc";
  }
  if (fc->add) {
    at += (size_t)snprintf(text + at, sizeof text - at, "  %%a = tosa.add %s, %s : (tensor<%sf32>, tensor<%sf32>) -> tensor<%sf32>\n",
                           fc->add == 1 ? rv : "%c", fc->add == 1 ? "%c" : rv, ys, ys, ys);
    v = "%a";
  }
  if (fc->clamp) {
    at += (size_t)snprintf(text + at, sizeof text - at,
                           "  %%cl = tosa.clamp %s {min_val = %.9e : f32, max_val = %.9e : f32} : (tensor<%sf32>) -> tensor<%sf32>\n",
                           v, (double)fc->lo, (double)fc->hi, ys, ys);
    v = "%cl";
  }
  at += (size_t)snprintf(text + at, sizeof text - at,
                         "  %%q = \"ajpq.quantize\"(%s) {scale = %.9e : f32, zero_point = %d : i32, bits = 8 : i32} : (tensor<%sf32>) -> tensor<%si8>\n",
                         v, (double)qp.scale, qp.zero_point, ys, ys);
  if (fc->want_y)
    at += (size_t)snprintf(text + at, sizeof text - at,
                           "  bufferization.materialize_in_destination %s in restrict writable %%ym : (tensor<%sf32>, memref<%sf32>) -> ()\n",
                           v, ys, ys);
  snprintf(text + at, sizeof text - at,
           "  bufferization.materialize_in_destination %%q in restrict writable %%qm : (tensor<%si8>, memref<%si8>) -> ()\n"
           "  return\n}\n", ys, ys);
  int ok = 0;
  MlirExecutionEngine jit = {0};
  MlirModule m = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(text));
  int8_t *xi = malloc((size_t)xn), *qj = malloc((size_t)yn), *qr = malloc((size_t)yn);
  float *res = malloc((size_t)yn * sizeof(float)), *resj = malloc((size_t)yn * sizeof(float)), *yj = malloc((size_t)yn * sizeof(float)),
        *yr = malloc((size_t)yn * sizeof(float));
  int32_t *acc = malloc((size_t)yn * sizeof(int32_t)), *sg = malloc((size_t)(pixels * g.groups) * sizeof(int32_t));
  if (mlirModuleIsNull(m)) {
    printf("FAIL %s: skeleton does not parse\n", fc->name);
    goto out;
  }
  {
    MlirOperation func = mlirBlockGetFirstOperation(mlirModuleGetBody(m));
    MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(func, 0));
    MlirOperation tx = mlirBlockGetFirstOperation(body), tr = mlirOperationGetNextInBlock(tx);
    MlirOperation alloc = mlirOperationGetNextInBlock(tr);
    MlirOperation op = ajpq_build_compute(mlirOperationGetLocation(alloc), mlirOperationGetResult(tx, 0), &l.a,
                                          AJPQ_WEIGHTS_DENSE);
    if (mlirOperationIsNull(op)) {
      printf("FAIL %s: builder returned a null op\n", fc->name);
      goto out;
    }
    mlirBlockInsertOwnedOperationBefore(body, alloc, op);
    mlirValueReplaceAllUsesOfWith(mlirOperationGetResult(alloc, 0), mlirOperationGetResult(op, 0));
    mlirOperationDestroy(alloc);
  }
  ajpq_status_t st = ajpq_codegen_lower(m, g_features);
  if (!st)
    st = ajpq_codegen_jit(m, &jit);
  if (st) {
    printf("FAIL %s: %s\n", fc->name, ajpq_status_message(st));
    ajpq_status_free(st);
    goto out;
  }
  for (int64_t i = 0; i < xn; ++i)
    xi[i] = (int8_t)(rnd() & 0xff);
  for (int64_t i = 0; i < yn; ++i) /* residuals in the range of the conv outputs */
    res[i] = ((float)(rnd() % 40001) - 20000.0f) * 1e-3f;
  res[0] = -0.0f;
  for (int64_t i = 0, j = 0; i < yn; ++i) { /* compact residual for the kernel; padded channels are +0.0 */
    if (i % n < rn)
      resj[j++] = res[i];
    else
      res[i] = 0.0f;
  }
  /* reference: int32 accumulators → documented epilogue → chain in C */
  ajpq_kernels_weights_t w = {n, ajpq_compute_k(&l.a), l.bits, l.packed, (size_t)l.a.weights_size, l.scale, l.zp, l.bias};
  st = ajpq_kernels_reference_conv_acc(&g, &w, xi, l.a.input_zero_point, acc, sg);
  if (st) {
    printf("FAIL %s: reference: %s\n", fc->name, ajpq_status_message(st));
    ajpq_status_free(st);
    goto out;
  }
  ajpq_kernels_epilogue(pixels, n, g.groups, acc, sg, l.a.input_scale, l.scale, l.zp, l.bias, yr);
  for (int64_t i = 0; i < yn; ++i) {
    float t = yr[i];
    if (fc->add)
      t = fc->add == 1 ? res[i] + t : t + res[i];
    if (fc->clamp)
      t = ref_maximumf(ref_minimumf(t, fc->hi), fc->lo);
    yr[i] = t;
  }
  ajpq_act_quantize(yr, yn, &qp, qr);
  memset(yj, 0xff, (size_t)yn * sizeof(float));
  memset(qj, 0x55, (size_t)yn);
  {
    int64_t dx[3 + 8], dr[3 + 8], dy[3 + 8], dq[3 + 8];
    void *px = ajpq_codegen_descriptor(dx, xi, l.xrank, l.xshape);
    void *pr = ajpq_codegen_descriptor(dr, resj, yrank, rshape);
    void *py = ajpq_codegen_descriptor(dy, yj, yrank, yshape);
    void *pq = ajpq_codegen_descriptor(dq, qj, yrank, yshape);
    void *args[4] = {&px, &pr, &py, &pq};
    if (mlirLogicalResultIsFailure(mlirExecutionEngineInvokePacked(jit, mlirStringRefCreateFromCString("test"), args))) {
      printf("FAIL %s: invoke failed\n", fc->name);
      goto out;
    }
  }
  int64_t bad_y = 0, bad_q = 0;
  for (int64_t i = 0; i < yn; ++i) {
    bad_y += fc->want_y && memcmp(&yj[i], &yr[i], sizeof(float)) != 0;
    bad_q += qj[i] != qr[i];
  }
  if (bad_y || bad_q)
    printf("FAIL %s %s: %lld f32 and %lld int8 of %lld outputs differ\n", fc->name, path, (long long)bad_y,
           (long long)bad_q, (long long)yn);
  ok = !bad_y && !bad_q;
out:
  if (!mlirExecutionEngineIsNull(jit))
    mlirExecutionEngineDestroy(jit);
  if (!mlirModuleIsNull(m))
    mlirModuleDestroy(m);
  free(xi);
  free(qj);
  free(qr);
  free(res);
  free(resj);
  free(yj);
  free(yr);
  free(acc);
  free(sg);
  layer_free(&l);
  failures += !ok;
  return ok;
}

static void test_fused(MlirContext ctx, const char *path) {
  printf("TEST: jit_fused %s\n", path);
  const fuse_case_t cases[] = {
      {"conv3x3 +add(lhs) +relu +quantize, y used", conv(1, 9, 7, 21, 3, 3, 1, 1, 1, 1), 0, 1, 1, 0.0f, 3.40282347e38f, 1, 0},
      {"conv3x3 s2 +add(rhs) +relu6 +quantize, y unused", conv(1, 11, 10, 3, 3, 3, 1, 2, 1, 1), 0, 2, 1, 0.0f, 6.0f, 0, 0},
      {"conv1x1 +clamp +quantize", conv(2, 5, 6, 70, 1, 1, 1, 1, 0, 1), 0, 0, 1, -1.5f, 2.5f, 1, 0},
      {"conv3x2 dil 2 +quantize only", conv(1, 12, 9, 4, 3, 2, 1, 1, 2, 2), 0, 0, 0, 0, 0, 0, 0},
      {"matmul M=19 +add +quantize", gemv(19, 203), 1, 1, 0, 0, 0, 1, 0},
      {"depthwise 3x3 s2 +quantize", conv(1, 10, 9, 19, 3, 3, 19, 2, 1, 1), 0, 0, 0, 0, 0, 0, 0},
      {"depthwise 3x3 +add +relu +quantize", conv(1, 8, 8, 19, 3, 3, 19, 1, 1, 1), 0, 2, 1, 0.0f, 3.40282347e38f, 1, 0},
      /* zero-padding concats (BlazeFace): the residual has fewer channels; the padded
       * half of a 16-lane chunk, and whole chunks, read +0.0 */
      {"conv1x1 +add(padded 3, lhs) +relu +quantize, y used", conv(1, 9, 7, 21, 1, 1, 1, 1, 0, 1), 0, 1, 1, 0.0f, 3.40282347e38f, 1, 3},
      {"conv3x3 +add(padded, rhs, 1 real channel) +quantize, y unused", conv(1, 6, 5, 5, 3, 3, 1, 1, 1, 1), 0, 2, 0, 0, 0, 0, 1000},
      {"matmul M=19 +add(padded 1) +clamp +quantize", gemv(19, 45), 1, 1, 1, -1.5f, 2.5f, 1, 1},
      {"depthwise 3x3 +add(padded 2) +relu +quantize", conv(1, 8, 8, 19, 3, 3, 19, 1, 1, 1), 0, 2, 1, 0.0f, 3.40282347e38f, 1, 2},
  };
  /* default: add + clamp fused, quantize a separate pass; then with the
   * quantize in the epilogue too (AJPQ_FUSE_QUANT=1, read by the pass) */
  for (int fq = 0; fq < 2; ++fq) {
    if (fq)
      setenv("AJPQ_FUSE_QUANT", "1", 1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
      rng_state = 0xF00D + i;
      fuse_case_t fc = cases[i];
      if (fc.g.groups > 1) /* depthwise: all 19 channels kept (n = groups) */
        fc.g.cin = fc.g.groups;
      printf("%s%s %s: %s\n", fc.name, fq ? " [quantize fused]" : "", path,
             check_fused(ctx, &fc, path) ? "exact" : "MISMATCH");
    }
    unsetenv("AJPQ_FUSE_QUANT");
  }
}

/* ---- quantize / dequantize / gather / scatter ---- */

static ajpq_act_qparams_t g_q = {0.05f, -3, 8};
static MlirOperation build_quant(MlirLocation loc, MlirValue x, void *ud) {
  return ud ? ajpq_build_quantize(loc, x, &g_q) : ajpq_build_dequantize(loc, x, g_q.scale, g_q.zero_point);
}
static ajpq_channel_map_t g_map;
static MlirOperation build_map(MlirLocation loc, MlirValue x, void *ud) {
  return ud ? ajpq_build_scatter(loc, x, &g_map) : ajpq_build_gather(loc, x, &g_map);
}

static void test_elementwise(MlirContext ctx, const char *path) {
  printf("TEST: jit_elementwise %s\n", path);
  rng_state = 31337;
  enum { N = 2 * 5 * 3 * 7 };
  int64_t shape[4] = {2, 5, 3, 7};
  float xf[N], yf[N], rf[N];
  int8_t xq[N], yq[N], rq[N];
  for (int i = 0; i < N; ++i)
    xf[i] = ((float)(rnd() % 20001) - 10000.0f) * 1e-3f;
  xf[0] = 0.025f; /* exactly half a step: ties to even */
  xf[1] = 1e9f;   /* saturates */
  xf[2] = -0.075f;
  ajpq_act_quantize(xf, N, &g_q, rq);
  int ok = run_op(ctx, 4, shape, "f32", xf, 4, shape, "i8", yq, build_quant, (void *)1) && memcmp(yq, rq, N) == 0;
  printf("quantize %s: %s\n", path, ok ? "exact" : "MISMATCH");
  failures += !ok;
  for (int i = 0; i < N; ++i)
    xq[i] = (int8_t)(rnd() & 0xff);
  ajpq_act_dequantize(xq, N, g_q.scale, g_q.zero_point, rf);
  ok = run_op(ctx, 4, shape, "i8", xq, 4, shape, "f32", yf, build_quant, NULL) && memcmp(yf, rf, sizeof rf) == 0;
  printf("dequantize %s: %s\n", path, ok ? "exact" : "MISMATCH");
  failures += !ok;
  /* gather channels {1,4,6} of axis 3 (7 -> 3), then scatter back to 7 with fill */
  int32_t idx[3] = {1, 4, 6};
  float fill[7] = {0.5f, -1, 2, 3, -4, 5, 6};
  g_map = (ajpq_channel_map_t){3, 3, idx, 7, fill, 7, NULL};
  int64_t gshape[4] = {2, 5, 3, 3};
  float yg[2 * 5 * 3 * 3], ys[N];
  ok = run_op(ctx, 4, shape, "f32", xf, 4, gshape, "f32", yg, build_map, NULL);
  for (int o = 0; ok && o < 30; ++o)
    for (int j = 0; j < 3; ++j)
      ok &= memcmp(&yg[o * 3 + j], &xf[o * 7 + idx[j]], sizeof(float)) == 0;
  printf("gather %s: %s\n", path, ok ? "exact" : "MISMATCH");
  failures += !ok;
  ok = run_op(ctx, 4, gshape, "f32", yg, 4, shape, "f32", ys, build_map, (void *)1);
  for (int o = 0; ok && o < 30; ++o)
    for (int c = 0; c < 7; ++c) {
      float want = c == 1 || c == 4 || c == 6 ? xf[o * 7 + c] : fill[c];
      ok &= memcmp(&ys[o * 7 + c], &want, sizeof(float)) == 0;
    }
  printf("scatter %s: %s\n", path, ok ? "exact" : "MISMATCH");
  failures += !ok;
}

static void test_errors(MlirContext ctx) {
  printf("TEST: jit_errors\n");
  /* An ajpq.matmul whose weights are one byte short must be rejected with a
   * diagnostic at the op, not crash. Built by text in generic form. */
  const char *text =
      "func.func @test(%x: tensor<1x16xi8>) -> tensor<1x2xf32> {\n"
      "  %y = \"ajpq.matmul\"(%x) {weights = dense<1> : tensor<15xi8>, format = \"ajpq.rowpacked-lsb\","
      " bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64,"
      " scale = array<f32: 1.0, 1.0>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 16>,"
      " input_scale = 1.0 : f32, input_zero_point = 0 : i32} : (tensor<1x16xi8>) -> tensor<1x2xf32>\n"
      "  return %y : tensor<1x2xf32>\n}\n";
  MlirModule m = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(text));
  if (mlirModuleIsNull(m)) {
    printf("FAIL: error-case module does not parse\n");
    ++failures;
    return;
  }
  ajpq_status_t st = ajpq_codegen_lower(m, g_features);
  printf("short weights: %s\n", st ? ajpq_status_message(st) : "ACCEPTED");
  failures += st == NULL;
  ajpq_status_free(st);
  mlirModuleDestroy(m);
}

/* GEMV (batch-1 ajpq.matmul, the reduction kernel) code paths of the gemv
 * owner (run by `ajpq-kernels-jit-test gemv`, test/kernels/gemv.test):
 * uniform 1/2/4/8 bits and a mixed layer (0..8, erased channels), N = 1, 17
 * (epilogue tail of 16 lanes) and 45 kept channels, each lowered with the
 * default prefetch distances and with a 64-byte software prefetch on every
 * stream, sub-8-bit slices included (AJPQ_PREFETCH / AJPQ_PREFETCH_SUB8), so
 * that the clamp at each stream's end is reached. Prefetches cannot change
 * results; the case checks the IR still lowers and stays bit-exact. */
static void test_gemv(MlirContext ctx, const char *path) {
  printf("TEST: jit_gemv %s\n", path);
  const int pats[5] = {1, 2, 4, 8, 0}, ns[3] = {1, 17, 45};
  for (int e = 0; e < 2; ++e) {
    if (e) {
      setenv("AJPQ_PREFETCH", "64", 1);
      setenv("AJPQ_PREFETCH_SUB8", "64", 1);
    }
    for (int pi = 0; pi < 5; ++pi)
      for (int ni = 0; ni < 3; ++ni) {
        int8_t bits[64];
        int orig = ns[ni] + (pats[pi] ? 0 : ns[ni] / 4); /* mixed: some channels erased */
        for (int c = 0; c < orig; ++c)
          bits[c] = (int8_t)(pats[pi] ? pats[pi] : (c % 5 == 4 ? 0 : 1 + (c * 3) % 8));
        rng_state = 0x6E3Full + (uint64_t)(pi * 16 + ni);
        layer_t l;
        layer_make(&l, gemv(1, 1000 + 37 * pi), 1, orig, bits, 1);
        char what[96], bl[8];
        snprintf(bl, sizeof bl, pats[pi] ? "%d" : "mixed", pats[pi]);
        snprintf(what, sizeof what, "gemv bits=%s n=%lld %s %s", bl, (long long)l.a.n_kept,
                 e ? "prefetch 64" : "default", path);
        printf("%s: %s\n", what, check_layer(ctx, &l, 1, what) ? "exact" : "MISMATCH");
        layer_free(&l);
      }
  }
  unsetenv("AJPQ_PREFETCH");
  unsetenv("AJPQ_PREFETCH_SUB8");
}

int main(int argc, char **argv) {
  const char *which = argc > 1 ? argv[1] : "all";
  MlirContext ctx = mlirContextCreate();
  mlirContextAttachDiagnosticHandler(ctx, diag_print, NULL, NULL);
  if (!ajpq_codegen_prepare_context(ctx)) {
    printf("FAIL: cannot load the ajpq dialect\n");
    return 1;
  }
  char *host = LLVMGetHostCPUFeatures();
  int host_vnni = strstr(host, "+avx512vnni") && strstr(host, "+avx512bw");
  LLVMDisposeMessage(host);
  for (int pass = 0; pass < 2; ++pass) {
    const char *path = pass == 0 ? "vnni" : "portable";
    if (strcmp(which, "all") != 0 && strcmp(which, "gemv") != 0 && strcmp(which, path) != 0)
      continue;
    if (pass == 0 && !host_vnni) {
      printf("host has no AVX-512 VNNI: vnni path skipped\n");
      continue;
    }
    g_features = pass == 0 ? NULL : "+avx2,+fma,+sse4.2";
    if (strcmp(which, "gemv") == 0) {
      test_gemv(ctx, path);
      continue;
    }
    test_each_bitwidth(ctx, path);
    test_each_bitwidth_conv(ctx, path);
    test_shapes(ctx, path);
    test_outside_shapes(ctx, path);
    test_f32_pixels(ctx, path);
    test_random(ctx, path, pass == 0 ? 25 : 10);
    test_random_dw(ctx, path, pass == 0 ? 20 : 8);
    test_elementwise(ctx, path);
    test_fused(ctx, path);
  }
  test_errors(ctx);
  mlirContextDestroy(ctx);
  printf("failures: %d\n", failures);
  return failures ? 1 : 0;
}
