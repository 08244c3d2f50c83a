/* executor_test.c — unit tests of ajpq_executor against references computed here, independently:
 * scalar C loops for every ajpq op (docs/dialect.md: codes unpacked and dequantized by this
 * file's own code, int32 accumulation written out), weight swap versus a re-parsed module with
 * the same weights baked in, activation fake quantization versus a pre-quantized input,
 * calibration ranges versus intermediate tensors returned as results, native batching versus
 * single-sample runs, and every error path. Models are written as MLIR text with dense<"0x…">
 * constants. Usage: ajpq-executor-test [--make-fq-model DIR | --compare A.npy B.npy TOL |
 * --check-json RUNNER.json EXPECTED.txt TOL]. */
#define _GNU_SOURCE
#include "ajpq_executor.h"
#include "ajpq_io.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c)                                                                                   \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);                                          \
      ++failures;                                                                                  \
    }                                                                                              \
  } while (0)

/* ---- deterministic data, text building ---------------------------------------------------- */

static uint32_t rng = 12345;
static float frand(void) { /* uniform in [-1, 1) */
  rng = rng * 1664525u + 1013904223u;
  return (float)((rng >> 8) / 8388608.0 - 1.0);
}
static void fill(float *x, int64_t n, float scale) {
  for (int64_t i = 0; i < n; ++i)
    x[i] = frand() * scale;
}

typedef struct {
  char *s;
  size_t n, cap;
} buf_t;
static void bp(buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *t;
  int k = vasprintf(&t, fmt, ap);
  va_end(ap);
  if (b->n + k + 1 > b->cap) {
    b->cap = (b->n + k + 1) * 2;
    b->s = realloc(b->s, b->cap);
  }
  memcpy(b->s + b->n, t, k + 1);
  b->n += k;
  free(t);
}
/* dense<"0x…"> of raw little-endian bytes. */
static void bhex(buf_t *b, const void *data, size_t bytes) {
  const unsigned char *p = data;
  bp(b, "dense<\"0x");
  for (size_t i = 0; i < bytes; ++i)
    bp(b, "%02X", p[i]);
  bp(b, "\">");
}

static MlirContext ctx;

static ajpq_executor_t *plan(const char *text, int64_t batch, ajpq_status_t *err) {
  MlirModule m = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(text));
  if (mlirModuleIsNull(m)) {
    printf("FAIL: parse error in generated module\n%s\n", text);
    ++failures;
    return NULL;
  }
  ajpq_executor_options_t o;
  ajpq_executor_options_init(&o);
  o.batch = batch;
  ajpq_executor_t *ex = NULL;
  ajpq_status_t st = ajpq_executor_create_from_module(m, NULL, &o, &ex);
  mlirModuleDestroy(m); /* the plan copied everything it needs */
  if (err) {
    *err = st;
  } else if (st) {
    printf("FAIL: plan: %s\n", ajpq_status_message(st));
    ajpq_status_free(st);
    ++failures;
  }
  return ex;
}

static double max_rel_err(const float *a, const float *b, int64_t n) {
  double e = 0;
  for (int64_t i = 0; i < n; ++i) {
    double d = fabs((double)a[i] - b[i]) / (1e-3 + fabs((double)b[i]));
    e = d > e ? d : e;
  }
  return e;
}

/* ---- the test's own ajpq weight format (docs/dialect.md) ----------------------------------- */

static size_t pack_rows(const uint8_t *q, int64_t K, const int *bits, int64_t n, uint8_t *out) {
  size_t off = 0;
  for (int64_t c = 0; c < n; ++c) {
    size_t rb = (size_t)((K * bits[c] + 7) / 8);
    memset(out + off, 0, rb);
    for (int64_t k = 0; k < K; ++k)
      for (int i = 0; i < bits[c]; ++i)
        if (q[c * K + k] >> i & 1) {
          int64_t bit = k * bits[c] + i;
          out[off + bit / 8] |= (uint8_t)(1u << (bit % 8));
        }
    off += rb;
  }
  return off;
}

/* Random per-channel codes with symmetric zero points (1-bit: z = 0.5). */
static void make_codes(int64_t n, int64_t K, const int *bits, uint8_t *q, float *scale, float *zp) {
  for (int64_t c = 0; c < n; ++c) {
    uint32_t qmax = (1u << bits[c]) - 1;
    zp[c] = bits[c] == 1 ? 0.5f : (float)(1u << (bits[c] - 1));
    scale[c] = 0.05f + 0.1f * (float)(c + 1) / (float)n;
    for (int64_t k = 0; k < K; ++k) {
      rng = rng * 1664525u + 1013904223u;
      q[c * K + k] = (uint8_t)((rng >> 16) % (qmax + 1));
    }
  }
}

static void f32_array(buf_t *b, const char *name, const float *v, int64_t n) {
  bp(b, "%s = array<f32: ", name);
  for (int64_t i = 0; i < n; ++i)
    bp(b, "%s%.9e", i ? ", " : "", (double)v[i]);
  bp(b, ">");
}

/* ---- tests --------------------------------------------------------------------------------- */

/* ajpq.conv2d with f32 input (standard conv, 1/3/4/8-bit channels, 4 of 6 kept). */
static void test_ajpq_conv_f32(void) {
  printf("TEST: ajpq_conv_f32\n");
  enum { H = 6, W = 6, C = 3, KH = 3, KW = 3, N = 4, K = KH * KW * C };
  int bits[N] = {1, 3, 4, 8};
  int kept[N] = {0, 2, 3, 5};
  uint8_t q[N * K], packed[N * K];
  float scale[N], zp[N], bias[N] = {0.5f, -0.25f, 0.f, 1.f}, x[H * W * C];
  make_codes(N, K, bits, q, scale, zp);
  size_t nb = pack_rows(q, K, bits, N, packed);
  fill(x, H * W * C, 1.f);
  buf_t b = {0};
  bp(&b, "func.func @main(%%x: tensor<1x%dx%dx%dxf32>) -> tensor<1x%dx%dx%dxf32> {\n", H, W, C,
     H / 2, W / 2, N);
  bp(&b, "  %%y = \"ajpq.conv2d\"(%%x) {weights = ");
  bhex(&b, packed, nb);
  bp(&b, " : tensor<%zuxi8>, format = \"ajpq.rowpacked-lsb\", bits = array<i8: %d, %d, %d, %d>, "
         "kept = array<i32: %d, %d, %d, %d>, orig_channels = 6 : i64, ",
     nb, bits[0], bits[1], bits[2], bits[3], kept[0], kept[1], kept[2], kept[3]);
  f32_array(&b, "scale", scale, N);
  bp(&b, ", ");
  f32_array(&b, "zero_point", zp, N);
  bp(&b, ", ");
  f32_array(&b, "bias", bias, N);
  bp(&b, ", kernel = array<i64: 3, 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 0, 1, 0>, "
         "dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x%dx%dx%dxf32>) -> "
         "tensor<1x%dx%dx%dxf32>\n  return %%y : tensor<1x%dx%dx%dxf32>\n}\n",
     H, W, C, H / 2, W / 2, N, H / 2, W / 2, N);
  ajpq_executor_t *ex = plan(b.s, 1, NULL);
  free(b.s);
  if (!ex)
    return;
  /* Reference: OH = floor((6 + 1 - 3) / 2) + 1 = 3. */
  float ref[3 * 3 * N], got[3 * 3 * N];
  for (int oh = 0; oh < 3; ++oh)
    for (int ow = 0; ow < 3; ++ow)
      for (int j = 0; j < N; ++j) {
        double acc = 0;
        for (int kh = 0; kh < KH; ++kh)
          for (int kw = 0; kw < KW; ++kw)
            for (int ci = 0; ci < C; ++ci) {
              int ih = oh * 2 - 1 + kh, iw = ow * 2 - 1 + kw;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                continue;
              float w = scale[j] * ((float)q[j * K + (kh * KW + kw) * C + ci] - zp[j]);
              acc += (double)x[(ih * W + iw) * C + ci] * w;
            }
        ref[(oh * 3 + ow) * N + j] = (float)(acc + bias[j]);
      }
  const float *in[1] = {x};
  float *out[1] = {got};
  CHECK(!ajpq_executor_run(ex, 1, in, out));
  double e = max_rel_err(got, ref, 3 * 3 * N);
  printf("conv f32: 36 outputs, max rel err %s 1e-5\n", e < 1e-5 ? "<" : ">=");
  CHECK(e < 1e-5);
  ajpq_executor_destroy(ex);
}

/* ajpq.quantize -> depthwise ajpq.conv2d (i8 input, stride 2, asymmetric pad) and
 * ajpq.quantize -> ajpq.matmul (i8), exact integer arithmetic; results also return x_q. */
static void test_ajpq_int8(void) {
  printf("TEST: ajpq_int8\n");
  enum { H = 7, W = 7, C = 4, K = 9 };
  int bits[C] = {2, 5, 7, 1};
  uint8_t q[C * K], packed[C * K];
  float scale[C], zp[C], bias[C] = {0.1f, 0.2f, -0.3f, 0.f}, x[H * W * C];
  make_codes(C, K, bits, q, scale, zp);
  size_t nb = pack_rows(q, K, bits, C, packed);
  fill(x, H * W * C, 2.f);
  const float sx = 0.02f;
  const int zx = -3;
  buf_t b = {0};
  bp(&b, "func.func @main(%%x: tensor<1x7x7x4xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x7x7x4xi8>, "
         "tensor<1x4x4x4xf32>) {\n");
  bp(&b, "  %%q = \"ajpq.quantize\"(%%x) {scale = %.9e : f32, zero_point = %d : i32, bits = 8 : i32} "
         ": (tensor<1x7x7x4xf32>) -> tensor<1x7x7x4xi8>\n",
     (double)sx, zx);
  bp(&b, "  %%y = \"ajpq.conv2d\"(%%q) {weights = ");
  bhex(&b, packed, nb);
  bp(&b, " : tensor<%zuxi8>, format = \"ajpq.rowpacked-lsb\", bits = array<i8: 2, 5, 7, 1>, "
         "kept = array<i32: 0, 1, 2, 3>, orig_channels = 4 : i64, ",
     nb);
  f32_array(&b, "scale", scale, C);
  bp(&b, ", ");
  f32_array(&b, "zero_point", zp, C);
  bp(&b, ", ");
  f32_array(&b, "bias", bias, C);
  bp(&b, ", kernel = array<i64: 3, 3, 1>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 0, 2>, "
         "dilation = array<i64: 1, 1>, groups = 4 : i64, input_scale = %.9e : f32, "
         "input_zero_point = %d : i32} : (tensor<1x7x7x4xi8>) -> tensor<1x4x4x4xf32>\n",
     (double)sx, zx);
  /* the same depthwise weights on the f32 input (the executor's direct depthwise path) */
  bp(&b, "  %%yf = \"ajpq.conv2d\"(%%x) {weights = ");
  bhex(&b, packed, nb);
  bp(&b, " : tensor<%zuxi8>, format = \"ajpq.rowpacked-lsb\", bits = array<i8: 2, 5, 7, 1>, "
         "kept = array<i32: 0, 1, 2, 3>, orig_channels = 4 : i64, ",
     nb);
  f32_array(&b, "scale", scale, C);
  bp(&b, ", ");
  f32_array(&b, "zero_point", zp, C);
  bp(&b, ", ");
  f32_array(&b, "bias", bias, C);
  bp(&b, ", kernel = array<i64: 3, 3, 1>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 0, 2>, "
         "dilation = array<i64: 1, 1>, groups = 4 : i64} : (tensor<1x7x7x4xf32>) -> tensor<1x4x4x4xf32>\n");
  bp(&b, "  return %%y, %%q, %%yf : tensor<1x4x4x4xf32>, tensor<1x7x7x4xi8>, tensor<1x4x4x4xf32>\n}\n");
  ajpq_executor_t *ex = plan(b.s, 1, NULL);
  free(b.s);
  if (!ex)
    return;
  int8_t xq[H * W * C];
  for (int i = 0; i < H * W * C; ++i) {
    float v = rintf(x[i] / sx) + (float)zx; /* default rounding mode: ties to even */
    xq[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
  }
  float got[64], gotq[H * W * C], ref[64], gotf[64], reff[64];
  int exact_q = 1;
  const float *in[1] = {x};
  float *out[3] = {got, gotq, gotf};
  CHECK(!ajpq_executor_run(ex, 1, in, out));
  for (int i = 0; i < H * W * C; ++i)
    exact_q &= gotq[i] == (float)xq[i];
  /* OH = floor((7 + 2 - 3) / 2) + 1 = 4, OW = floor((7 + 2 - 3) / 2) + 1 = 4. */
  for (int oh = 0; oh < 4; ++oh)
    for (int ow = 0; ow < 4; ++ow)
      for (int c = 0; c < C; ++c) {
        long long acc = 0, S = 0;
        double accf = 0;
        for (int kh = 0; kh < 3; ++kh)
          for (int kw = 0; kw < 3; ++kw) {
            int ih = oh * 2 - 1 + kh, iw = ow * 2 - 0 + kw;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W)
              continue;
            long long d = xq[(ih * W + iw) * C + c] - zx;
            acc += d * q[c * K + kh * 3 + kw];
            S += d;
            accf += (double)x[(ih * W + iw) * C + c] *
                    (scale[c] * ((float)q[c * K + kh * 3 + kw] - zp[c]));
          }
        reff[(oh * 4 + ow) * C + c] = (float)(accf + bias[c]);
        ref[(oh * 4 + ow) * C + c] = (float)((double)sx * scale[c] * ((double)acc - zp[c] * S) + bias[c]);
      }
  double e = max_rel_err(got, ref, 64), ef = max_rel_err(gotf, reff, 64);
  printf("quantize exact: %s; depthwise i8: 64 outputs, max rel err %s 1e-5; depthwise f32: max "
         "rel err %s 1e-5\n",
         exact_q ? "yes" : "no", e < 1e-5 ? "<" : ">=", ef < 1e-5 ? "<" : ">=");
  CHECK(exact_q && e < 1e-5 && ef < 1e-5);
  ajpq_executor_destroy(ex);
}

/* ajpq.matmul (f32), ajpq.gather and ajpq.scatter with fill; a rank-3 input. */
static void test_ajpq_matmul_gather_scatter(void) {
  printf("TEST: ajpq_matmul_gather_scatter\n");
  enum { M = 3, K = 10, N = 3 };
  int bits[N] = {6, 2, 4};
  uint8_t q[N * K], packed[N * K];
  float scale[N], zp[N], x[2 * M * K];
  make_codes(N, K, bits, q, scale, zp);
  size_t nb = pack_rows(q, K, bits, N, packed);
  fill(x, 2 * M * K, 1.f);
  buf_t b = {0};
  bp(&b, "func.func @main(%%x: tensor<2x3x10xf32>) -> tensor<2x3x5xf32> {\n");
  bp(&b, "  %%y = \"ajpq.matmul\"(%%x) {weights = ");
  bhex(&b, packed, nb);
  bp(&b, " : tensor<%zuxi8>, format = \"ajpq.rowpacked-lsb\", bits = array<i8: 6, 2, 4>, "
         "kept = array<i32: 0, 2, 4>, orig_channels = 5 : i64, ",
     nb);
  f32_array(&b, "scale", scale, N);
  bp(&b, ", ");
  f32_array(&b, "zero_point", zp, N);
  bp(&b, ", kernel = array<i64: 10>} : (tensor<2x3x10xf32>) -> tensor<2x3x3xf32>\n");
  bp(&b, "  %%g = \"ajpq.gather\"(%%y) {axis = 2 : i64, indices = array<i32: 2, 0>} : "
         "(tensor<2x3x3xf32>) -> tensor<2x3x2xf32>\n");
  bp(&b, "  %%s = \"ajpq.scatter\"(%%g) {axis = 2 : i64, indices = array<i32: 1, 3>, size = 5 : i64, "
         "fill = array<f32: 7.0, 8.0, 9.0, 10.0, 11.0>} : (tensor<2x3x2xf32>) -> tensor<2x3x5xf32>\n");
  bp(&b, "  return %%s : tensor<2x3x5xf32>\n}\n");
  ajpq_executor_t *ex = plan(b.s, 1, NULL);
  free(b.s);
  if (!ex)
    return;
  float got[30], ref[30];
  for (int r = 0; r < 2 * M; ++r) {
    float y[N];
    for (int j = 0; j < N; ++j) {
      double acc = 0;
      for (int k = 0; k < K; ++k)
        acc += (double)x[r * K + k] * (scale[j] * ((float)q[j * K + k] - zp[j]));
      y[j] = (float)acc;
    }
    float fillv[5] = {7, 8, 9, 10, 11};
    for (int c = 0; c < 5; ++c)
      ref[r * 5 + c] = fillv[c];
    ref[r * 5 + 1] = y[2]; /* gather [2, 0] then scatter to [1, 3] */
    ref[r * 5 + 3] = y[0];
  }
  const float *in[1] = {x};
  float *out[1] = {got};
  CHECK(!ajpq_executor_run(ex, 1, in, out));
  double e = max_rel_err(got, ref, 30);
  printf("matmul+gather+scatter: 30 outputs, fill kept %s, max rel err %s 1e-5\n",
         got[0] == 7.f && got[29] == 11.f ? "yes" : "no", e < 1e-5 ? "<" : ">=");
  CHECK(e < 1e-5);
  ajpq_executor_destroy(ex);
}

/* A small TOSA CNN: conv 3x3 (3->4) + ReLU, depthwise 3x3 (4, M=1) + ReLU, flatten, matmul
 * (256->5) + bias; also returns the two intermediate activations. Weights are given in TOSA
 * layouts; `wc`, `wd`, `wm` in canonical [O][K]. */
typedef struct {
  float wc[4 * 27], bc[4], wd[4 * 9], bd[4], wm[5 * 256], bm[5];
} cnn_t;

static char *cnn_text(const cnn_t *p) {
  float dw_hwcm[9 * 4], mm_kn[256 * 5];
  for (int o = 0; o < 4; ++o)
    for (int k = 0; k < 9; ++k)
      dw_hwcm[k * 4 + o] = p->wd[o * 9 + k];
  for (int n = 0; n < 5; ++n)
    for (int k = 0; k < 256; ++k)
      mm_kn[k * 5 + n] = p->wm[n * 256 + k];
  buf_t b = {0};
  bp(&b, "func.func @main(%%x: tensor<1x8x8x3xf32>) -> (tensor<1x5xf32>, tensor<1x8x8x4xf32>, "
         "tensor<1x8x8x4xf32>) {\n");
  bp(&b, "  %%zp = \"tosa.const\"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>\n");
  bp(&b, "  %%wc = \"tosa.const\"() <{values = ");
  bhex(&b, p->wc, sizeof p->wc);
  bp(&b, " : tensor<4x3x3x3xf32>}> : () -> tensor<4x3x3x3xf32>\n");
  bp(&b, "  %%bc = \"tosa.const\"() <{values = ");
  bhex(&b, p->bc, sizeof p->bc);
  bp(&b, " : tensor<4xf32>}> : () -> tensor<4xf32>\n");
  bp(&b, "  %%c = tosa.conv2d %%x, %%wc, %%bc, %%zp, %%zp {acc_type = f32, dilation = array<i64: 1, 1>, "
         "pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x3xf32>, "
         "tensor<4x3x3x3xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x4xf32>\n");
  bp(&b, "  %%r = tosa.clamp %%c {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x8x8x4xf32>) -> "
         "tensor<1x8x8x4xf32>\n");
  bp(&b, "  %%wd = \"tosa.const\"() <{values = ");
  bhex(&b, dw_hwcm, sizeof dw_hwcm);
  bp(&b, " : tensor<3x3x4x1xf32>}> : () -> tensor<3x3x4x1xf32>\n");
  bp(&b, "  %%bd = \"tosa.const\"() <{values = ");
  bhex(&b, p->bd, sizeof p->bd);
  bp(&b, " : tensor<4xf32>}> : () -> tensor<4xf32>\n");
  bp(&b, "  %%d = tosa.depthwise_conv2d %%r, %%wd, %%bd, %%zp, %%zp {acc_type = f32, dilation = "
         "array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : "
         "(tensor<1x8x8x4xf32>, tensor<3x3x4x1xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) "
         "-> tensor<1x8x8x4xf32>\n");
  bp(&b, "  %%r2 = tosa.clamp %%d {max_val = 3.4e38 : f32, min_val = 0.0 : f32} : "
         "(tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>\n");
  bp(&b, "  %%s1 = tosa.const_shape {values = dense<[1, 1, 256]> : tensor<3xindex>} : () -> "
         "!tosa.shape<3>\n");
  bp(&b, "  %%f = tosa.reshape %%r2, %%s1 : (tensor<1x8x8x4xf32>, !tosa.shape<3>) -> tensor<1x1x256xf32>\n");
  bp(&b, "  %%wm = \"tosa.const\"() <{values = ");
  bhex(&b, mm_kn, sizeof mm_kn);
  bp(&b, " : tensor<1x256x5xf32>}> : () -> tensor<1x256x5xf32>\n");
  bp(&b, "  %%m = tosa.matmul %%f, %%wm, %%zp, %%zp : (tensor<1x1x256xf32>, tensor<1x256x5xf32>, "
         "tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x5xf32>\n");
  bp(&b, "  %%s2 = tosa.const_shape {values = dense<[1, 5]> : tensor<2xindex>} : () -> !tosa.shape<2>\n");
  bp(&b, "  %%m2 = tosa.reshape %%m, %%s2 : (tensor<1x1x5xf32>, !tosa.shape<2>) -> tensor<1x5xf32>\n");
  bp(&b, "  %%bm = \"tosa.const\"() <{values = ");
  bhex(&b, p->bm, sizeof p->bm);
  bp(&b, " : tensor<1x5xf32>}> : () -> tensor<1x5xf32>\n");
  bp(&b, "  %%o = tosa.add %%m2, %%bm : (tensor<1x5xf32>, tensor<1x5xf32>) -> tensor<1x5xf32>\n");
  bp(&b, "  return %%o, %%r, %%r2 : tensor<1x5xf32>, tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>\n}\n");
  return b.s;
}

static void cnn_params(cnn_t *p) {
  fill(p->wc, 4 * 27, 0.5f);
  fill(p->bc, 4, 0.2f);
  fill(p->wd, 4 * 9, 0.6f);
  fill(p->bd, 4, 0.1f);
  fill(p->wm, 5 * 256, 0.1f);
  fill(p->bm, 5, 0.3f);
}

/* Per-channel symmetric b-bit fake quantization, the test's own: s = max|w|/(2^(b-1)-1). */
static void fake_quant_rows(float *w, int64_t rows, int64_t K, int b) {
  for (int64_t r = 0; r < rows; ++r) {
    float mx = 0;
    for (int64_t k = 0; k < K; ++k)
      mx = fabsf(w[r * K + k]) > mx ? fabsf(w[r * K + k]) : mx;
    float qm = (float)((1 << (b - 1)) - 1), s = mx > 0 ? mx / qm : 1.f;
    for (int64_t k = 0; k < K; ++k) {
      float v = rintf(w[r * K + k] / s);
      v = v < -qm ? -qm : v > qm ? qm : v;
      w[r * K + k] = s * v;
    }
  }
}

static void test_weight_swap(void) {
  printf("TEST: weight_swap\n");
  cnn_t p;
  cnn_params(&p);
  char *text = cnn_text(&p);
  ajpq_executor_t *ex = plan(text, 1, NULL);
  free(text);
  if (!ex)
    return;
  CHECK(ajpq_executor_num_layers(ex) == 3);
  const float *want[3] = {p.wc, p.wd, p.wm};
  for (int l = 0; l < ajpq_executor_num_layers(ex); ++l) {
    const ajpq_executor_layer_t *L = ajpq_executor_layer(ex, l);
    float w[5 * 256];
    CHECK(!ajpq_executor_get_weights(ex, l, w));
    int same = !memcmp(w, want[l], L->out_channels * L->k * sizeof(float));
    printf("layer %d kind %d O %lld K %lld kh %lld groups %lld macs %lld canonical %s\n", l,
           (int)L->kind, (long long)L->out_channels, (long long)L->k, (long long)L->kh,
           (long long)L->groups, (long long)L->macs, same ? "ok" : "WRONG");
    CHECK(same);
  }
  float x[8 * 8 * 3], y0[5], y1[5], y2[5], y3[5], t1[256], t2[256];
  fill(x, 8 * 8 * 3, 1.f);
  const float *in[1] = {x};
  float *out[3] = {y0, t1, t2};
  CHECK(!ajpq_executor_run(ex, 1, in, out));
  /* Fake-quantize every layer to 3 bits per channel, zero channel 1 of the conv (pruned). */
  cnn_t fq = p;
  fake_quant_rows(fq.wc, 4, 27, 3);
  for (int k = 0; k < 27; ++k)
    fq.wc[1 * 27 + k] = 0.f;
  fake_quant_rows(fq.wd, 4, 9, 3);
  fake_quant_rows(fq.wm, 5, 256, 3);
  CHECK(!ajpq_executor_set_weights(ex, 0, fq.wc));
  CHECK(!ajpq_executor_set_weights(ex, 1, fq.wd));
  CHECK(!ajpq_executor_set_weights(ex, 2, fq.wm));
  out[0] = y1;
  CHECK(!ajpq_executor_run(ex, 1, in, out));
  char *t2x = cnn_text(&fq);
  ajpq_executor_t *baked = plan(t2x, 1, NULL);
  free(t2x);
  out[0] = y2;
  CHECK(baked && !ajpq_executor_run(baked, 1, in, out));
  int eq = !memcmp(y1, y2, sizeof y1), differs = memcmp(y0, y1, sizeof y0) != 0;
  ajpq_executor_reset_weights(ex, -1);
  out[0] = y3;
  CHECK(!ajpq_executor_run(ex, 1, in, out));
  int restored = !memcmp(y0, y3, sizeof y0);
  printf("swapped == baked: %s; differs from fp32: %s; reset restores: %s\n", eq ? "yes" : "no",
         differs ? "yes" : "no", restored ? "yes" : "no");
  CHECK(eq && differs && restored);
  float bad[27];
  memcpy(bad, p.wc, sizeof bad);
  bad[5] = NAN;
  ajpq_status_t st = ajpq_executor_set_weights(ex, 0, bad);
  printf("error: %s\n", ajpq_status_message(st));
  CHECK(st);
  ajpq_status_free(st);
  ajpq_executor_destroy(baked);
  ajpq_executor_destroy(ex);
}

static void test_act_quant_and_calibration(void) {
  printf("TEST: act_quant_calibration\n");
  cnn_t p;
  cnn_params(&p);
  char *text = cnn_text(&p);
  ajpq_executor_t *ex = plan(text, 1, NULL);
  free(text);
  if (!ex)
    return;
  float x[192], y[5], r1[256], r2[256];
  fill(x, 192, 1.5f);
  /* Calibration: layer inputs are x, relu6(conv), relu(dw). */
  float mins[3] = {INFINITY, INFINITY, INFINITY}, maxs[3] = {-INFINITY, -INFINITY, -INFINITY};
  const float *in[1] = {x};
  CHECK(!ajpq_executor_calibrate(ex, 1, in, mins, maxs));
  float *out[3] = {y, r1, r2};
  CHECK(!ajpq_executor_run(ex, 1, in, out));
  float want_min[3] = {INFINITY, INFINITY, INFINITY}, want_max[3] = {-INFINITY, -INFINITY, -INFINITY};
  const float *src[3] = {x, r1, r2};
  int64_t cnt[3] = {192, 256, 256};
  for (int l = 0; l < 3; ++l)
    for (int64_t i = 0; i < cnt[l]; ++i) {
      want_min[l] = fminf(want_min[l], src[l][i]);
      want_max[l] = fmaxf(want_max[l], src[l][i]);
    }
  int ok = 1;
  for (int l = 0; l < 3; ++l)
    ok &= mins[l] == want_min[l] && maxs[l] == want_max[l];
  printf("calibration ranges match the intermediate tensors: %s (layer 1 in [%g, %g])\n",
         ok ? "yes" : "no", (double)mins[1], (double)maxs[1]);
  CHECK(ok);
  /* Input fake quantization of layer 0 == running on a pre-quantized input. */
  ajpq_executor_act_quant_t q;
  CHECK(!ajpq_executor_act_quant_from_range(mins[0], maxs[0], 4, &q));
  CHECK(!ajpq_executor_set_input_quant(ex, 0, &q));
  float yq[5], yr[5], xq[192];
  out[0] = yq;
  CHECK(!ajpq_executor_run(ex, 1, in, out));
  for (int i = 0; i < 192; ++i) {
    float v = rintf(x[i] / q.scale) + (float)q.zero_point;
    v = v < -8 ? -8 : v > 7 ? 7 : v;
    xq[i] = q.scale * (v - (float)q.zero_point);
  }
  CHECK(!ajpq_executor_set_input_quant(ex, 0, NULL));
  const float *inq[1] = {xq};
  out[0] = yr;
  CHECK(!ajpq_executor_run(ex, 1, inq, out));
  int eq = !memcmp(yq, yr, sizeof yq), differs = memcmp(yq, y, sizeof y) != 0;
  printf("4-bit input quantization == pre-quantized input: %s; differs from fp32: %s\n",
         eq ? "yes" : "no", differs ? "yes" : "no");
  CHECK(eq && differs);
  ajpq_executor_act_quant_t badq = {0.f, 0, 8};
  ajpq_status_t st = ajpq_executor_set_input_quant(ex, 0, &badq);
  printf("error: %s\n", ajpq_status_message(st));
  CHECK(st);
  ajpq_status_free(st);
  ajpq_executor_destroy(ex);
}

/* Native batching of an MLP (no spatial conv) and the per-sample loop of a CNN: a batch of 5
 * (and a partial batch of 3) equals 5 single-sample runs. */
static void test_batch(void) {
  printf("TEST: batch\n");
  float w1[16 * 8], b1[8], w2[8 * 4];
  fill(w1, 128, 0.5f);
  fill(b1, 8, 0.5f);
  fill(w2, 32, 0.5f);
  buf_t b = {0};
  bp(&b, "func.func @main(%%x: tensor<1x16xf32>) -> tensor<1x4xf32> {\n");
  bp(&b, "  %%zp = \"tosa.const\"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>\n");
  bp(&b, "  %%s3 = tosa.const_shape {values = dense<[1, 1, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>\n");
  bp(&b, "  %%x3 = tosa.reshape %%x, %%s3 : (tensor<1x16xf32>, !tosa.shape<3>) -> tensor<1x1x16xf32>\n");
  bp(&b, "  %%w1 = \"tosa.const\"() <{values = ");
  bhex(&b, w1, sizeof w1);
  bp(&b, " : tensor<1x16x8xf32>}> : () -> tensor<1x16x8xf32>\n");
  bp(&b, "  %%h = tosa.matmul %%x3, %%w1, %%zp, %%zp : (tensor<1x1x16xf32>, tensor<1x16x8xf32>, "
         "tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x8xf32>\n");
  bp(&b, "  %%b1 = \"tosa.const\"() <{values = ");
  bhex(&b, b1, sizeof b1);
  bp(&b, " : tensor<1x1x8xf32>}> : () -> tensor<1x1x8xf32>\n");
  bp(&b, "  %%hb = tosa.add %%h, %%b1 : (tensor<1x1x8xf32>, tensor<1x1x8xf32>) -> tensor<1x1x8xf32>\n");
  bp(&b, "  %%t = tosa.tanh %%hb : (tensor<1x1x8xf32>) -> tensor<1x1x8xf32>\n");
  /* the second weight as the importer emits Gemm weights: a [K, N] constant reshaped */
  bp(&b, "  %%w2c = \"tosa.const\"() <{values = ");
  bhex(&b, w2, sizeof w2);
  bp(&b, " : tensor<8x4xf32>}> : () -> tensor<8x4xf32>\n");
  bp(&b, "  %%sw = tosa.const_shape {values = dense<[1, 8, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>\n");
  bp(&b, "  %%w2 = tosa.reshape %%w2c, %%sw : (tensor<8x4xf32>, !tosa.shape<3>) -> tensor<1x8x4xf32>\n");
  bp(&b, "  %%o = tosa.matmul %%t, %%w2, %%zp, %%zp : (tensor<1x1x8xf32>, tensor<1x8x4xf32>, "
         "tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x4xf32>\n");
  bp(&b, "  %%s2 = tosa.const_shape {values = dense<[1, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>\n");
  bp(&b, "  %%o2 = tosa.reshape %%o, %%s2 : (tensor<1x1x4xf32>, !tosa.shape<2>) -> tensor<1x4xf32>\n");
  bp(&b, "  return %%o2 : tensor<1x4xf32>\n}\n");
  ajpq_executor_t *e1 = plan(b.s, 1, NULL), *e5 = plan(b.s, 5, NULL);
  free(b.s);
  if (!e1 || !e5)
    return;
  printf("mlp layers: %d (both matmuls, the reshaped constant weight included)\n",
         ajpq_executor_num_layers(e5));
  CHECK(ajpq_executor_num_layers(e5) == 2);
  const ajpq_executor_tensor_info_t *ii = ajpq_executor_input_info(e5, 0);
  const ajpq_executor_tensor_info_t *oi = ajpq_executor_output_info(e5, 0);
  printf("batch 5: input %lldx%lld batched %d, output %lldx%lld batched %d\n",
         (long long)ii->dims[0], (long long)ii->dims[1], ii->batched, (long long)oi->dims[0],
         (long long)oi->dims[1], oi->batched);
  float x[5 * 16], single[5 * 4], batched[5 * 4], part[5 * 4];
  fill(x, 80, 1.f);
  for (int s = 0; s < 5; ++s) {
    const float *in[1] = {x + s * 16};
    float *out[1] = {single + s * 4};
    CHECK(!ajpq_executor_run(e1, 1, in, out));
  }
  const float *in[1] = {x};
  float *out[1] = {batched};
  CHECK(!ajpq_executor_run(e5, 5, in, out));
  for (int i = 0; i < 20; ++i)
    part[i] = -999.f;
  out[0] = part;
  CHECK(!ajpq_executor_run(e5, 3, in, out));
  double e = max_rel_err(batched, single, 20), ep = max_rel_err(part, single, 12);
  /* GEMM (batch) and GEMV (single) sum in different orders: a relative budget of 1e-4. */
  printf("mlp batch == single runs: %s; partial batch of 3: %s, untouched tail: %s\n",
         e < 1e-4 ? "yes" : "no", ep < 1e-4 ? "yes" : "no", part[12] == -999.f ? "yes" : "no");
  CHECK(e < 1e-4 && ep < 1e-4 && part[12] == -999.f);
  ajpq_status_t st = ajpq_executor_run(e5, 6, in, out);
  printf("error: %s\n", ajpq_status_message(st));
  CHECK(st);
  ajpq_status_free(st);
  ajpq_executor_destroy(e1);
  ajpq_executor_destroy(e5);
  /* CNN at batch 3 (per-sample loop) == single runs, outputs stacked on axis 0. */
  cnn_t p;
  cnn_params(&p);
  char *text = cnn_text(&p);
  ajpq_executor_t *c1 = plan(text, 1, NULL), *c3 = plan(text, 3, NULL);
  free(text);
  if (!c1 || !c3)
    return;
  float xs[3 * 192], ys[15], yb[15], t1[3 * 256], t2[3 * 256];
  fill(xs, 576, 1.f);
  for (int s = 0; s < 3; ++s) {
    const float *ci[1] = {xs + s * 192};
    float *co[3] = {ys + s * 5, t1, t2};
    CHECK(!ajpq_executor_run(c1, 1, ci, co));
  }
  const float *ci[1] = {xs};
  float *co[3] = {yb, t1, t2};
  CHECK(!ajpq_executor_run(c3, 3, ci, co));
  printf("cnn batch 3 == single runs: %s\n", !memcmp(ys, yb, sizeof ys) ? "yes" : "no");
  CHECK(!memcmp(ys, yb, sizeof ys));
  ajpq_executor_destroy(c1);
  ajpq_executor_destroy(c3);
}


/* TOSA ops outside the importer's set (so outside the ONNX conformance run): tile, reduce_min,
 * reduce_product, cast f32 -> i8 (round half to even, saturate) -> f32, transpose_conv2d. */
static void test_misc_tosa(void) {
  printf("TEST: misc_tosa\n");
  float x[2 * 3] = {-1.5f, 0.5f, 2.5f, 300.f, -200.f, 1.25f};
  float w[2 * 2 * 2 * 1], bias[2] = {0.5f, -1.f}, xi[1 * 2 * 2 * 1] = {1.f, 2.f, 3.f, 4.f};
  fill(w, 8, 1.f);
  buf_t b = {0};
  bp(&b, "func.func @main(%%x: tensor<2x3xf32>, %%xi: tensor<1x2x2x1xf32>) -> (tensor<4x3xf32>, "
         "tensor<2x1xf32>, tensor<1x3xf32>, tensor<2x3xf32>, tensor<1x4x4x2xf32>) {\n");
  bp(&b, "  %%m = tosa.const_shape {values = dense<[2, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>\n");
  bp(&b, "  %%t = tosa.tile %%x, %%m : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<4x3xf32>\n");
  bp(&b, "  %%rmin = tosa.reduce_min %%x {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x1xf32>\n");
  bp(&b, "  %%rp = tosa.reduce_product %%x {axis = 0 : i32} : (tensor<2x3xf32>) -> tensor<1x3xf32>\n");
  bp(&b, "  %%c8 = tosa.cast %%x : (tensor<2x3xf32>) -> tensor<2x3xi8>\n");
  bp(&b, "  %%cf = tosa.cast %%c8 : (tensor<2x3xi8>) -> tensor<2x3xf32>\n");
  bp(&b, "  %%zp = \"tosa.const\"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>\n");
  bp(&b, "  %%w = \"tosa.const\"() <{values = ");
  bhex(&b, w, sizeof w);
  bp(&b, " : tensor<2x2x2x1xf32>}> : () -> tensor<2x2x2x1xf32>\n");
  bp(&b, "  %%b = \"tosa.const\"() <{values = ");
  bhex(&b, bias, sizeof bias);
  bp(&b, " : tensor<2xf32>}> : () -> tensor<2xf32>\n");
  bp(&b, "  %%tc = tosa.transpose_conv2d %%xi, %%w, %%b, %%zp, %%zp {acc_type = f32, out_pad = array<i64: 0, 0, 0, 0>, "
         "stride = array<i64: 2, 2>} : (tensor<1x2x2x1xf32>, tensor<2x2x2x1xf32>, tensor<2xf32>, "
         "tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>\n");
  bp(&b, "  return %%t, %%rmin, %%rp, %%cf, %%tc : tensor<4x3xf32>, tensor<2x1xf32>, tensor<1x3xf32>, "
         "tensor<2x3xf32>, tensor<1x4x4x2xf32>\n}\n");
  ajpq_executor_t *ex = plan(b.s, 1, NULL);
  free(b.s);
  if (!ex)
    return;
  float t[12], rmin[2], rp[3], cf[6], tc[32];
  const float *in[2] = {x, xi};
  float *out[5] = {t, rmin, rp, cf, tc};
  CHECK(!ajpq_executor_run(ex, 1, in, out));
  int tile_ok = !memcmp(t, x, sizeof x) && !memcmp(t + 6, x, sizeof x);
  int red_ok = rmin[0] == -1.5f && rmin[1] == -200.f && rp[0] == -450.f && rp[1] == -100.f &&
               rp[2] == 3.125f;
  /* -1.5 -> -2 (ties to even), 0.5 -> 0, 2.5 -> 2, 300 -> 127, -200 -> -128, 1.25 -> 1 */
  float want_c[6] = {-2, 0, 2, 127, -128, 1};
  int cast_ok = !memcmp(cf, want_c, sizeof cf);
  /* transpose conv, stride 2, kernel 2x2: every input pixel writes its own 2x2 output block:
   * y[2i+ky, 2j+kx, o] = bias[o] + x[i,j] * w[o,ky,kx,0]. */
  int tc_ok = 1;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int ky = 0; ky < 2; ++ky)
        for (int kx = 0; kx < 2; ++kx)
          for (int o = 0; o < 2; ++o) {
            float want = bias[o] + xi[i * 2 + j] * w[(o * 2 + ky) * 2 + kx];
            tc_ok &= fabsf(tc[((2 * i + ky) * 4 + 2 * j + kx) * 2 + o] - want) < 1e-6f;
          }
  printf("tile %s, reduce_min/product %s, cast f32->i8->f32 %s, transpose_conv2d %s\n",
         tile_ok ? "ok" : "WRONG", red_ok ? "ok" : "WRONG", cast_ok ? "ok" : "WRONG",
         tc_ok ? "ok" : "WRONG");
  CHECK(tile_ok && red_ok && cast_ok && tc_ok);
  ajpq_executor_destroy(ex);
}

static void test_errors(void) {
  printf("TEST: errors\n");
  ajpq_status_t st;
  ajpq_executor_t *ex = plan("func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {\n"
                             "  %y = math.sqrt %x : tensor<1x4xf32> loc(\"model.onnx\":3:7)\n"
                             "  return %y : tensor<1x4xf32>\n}\n",
                             1, &st);
  printf("error: %s: %s\n", ajpq_status_code_name(ajpq_status_code(st)), ajpq_status_message(st));
  CHECK(!ex && ajpq_status_code(st) == AJPQ_UNIMPLEMENTED);
  ajpq_status_free(st);
  ex = plan("func.func @main(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {\n"
            "  %y = tosa.sigmoid %x : (tensor<?x4xf32>) -> tensor<?x4xf32>\n"
            "  return %y : tensor<?x4xf32>\n}\n",
            1, &st);
  printf("error: %s: %s\n", ajpq_status_code_name(ajpq_status_code(st)), ajpq_status_message(st));
  CHECK(!ex && ajpq_status_code(st) == AJPQ_INVALID_ARGUMENT);
  ajpq_status_free(st);
  ex = plan("func.func @other(%x: tensor<1xf32>) -> tensor<1xf32> {\n  return %x : tensor<1xf32>\n}\n",
            1, &st);
  CHECK(ex && !st); /* no @main: the first function */
  ajpq_executor_destroy(ex);
}

/* ---- the runner test: an ajpq model and its expected outputs, computed here ----------------- */

enum { FQ_H = 5, FQ_W = 5, FQ_C = 2, FQ_S = 6 };

/* Writes DIR/FILE: ajpq.conv2d (4-bit and 2-bit channels, 3 of 5 kept) -> ajpq.scatter back to 5
 * channels with `fillv` -> tosa.reduce_sum over H and W -> logits [1, 5], and computes the
 * logits of the FQ_S samples `x` into ref[FQ_S][5] with this file's own scalar loops. */
static int write_fq_model(const char *dir, const char *file, const float *fillv, const float *x,
                          float *ref) {
  enum { H = FQ_H, W = FQ_W, C = FQ_C, K = 18, N = 3, S = FQ_S };
  rng = 777; /* the same codes for every model written */
  int bits[N] = {4, 2, 4};
  int kept[N] = {0, 2, 3};
  uint8_t q[N * K], packed[N * K];
  float scale[N], zp[N], bias[N] = {0.25f, -0.5f, 0.125f};
  make_codes(N, K, bits, q, scale, zp);
  size_t nb = pack_rows(q, K, bits, N, packed);
  buf_t b = {0};
  bp(&b, "func.func @main(%%x: tensor<1x5x5x2xf32>) -> tensor<1x5xf32> {\n");
  bp(&b, "  %%y = \"ajpq.conv2d\"(%%x) {weights = ");
  bhex(&b, packed, nb);
  bp(&b, " : tensor<%zuxi8>, format = \"ajpq.rowpacked-lsb\", bits = array<i8: 4, 2, 4>, "
         "kept = array<i32: 0, 2, 3>, orig_channels = 5 : i64, ",
     nb);
  f32_array(&b, "scale", scale, N);
  bp(&b, ", ");
  f32_array(&b, "zero_point", zp, N);
  bp(&b, ", ");
  f32_array(&b, "bias", bias, N);
  bp(&b, ", kernel = array<i64: 3, 3, 2>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, "
         "dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x5x5x2xf32>) -> tensor<1x5x5x3xf32>\n");
  bp(&b, "  %%s = \"ajpq.scatter\"(%%y) {axis = 3 : i64, indices = array<i32: 0, 2, 3>, size = 5 : i64, ");
  f32_array(&b, "fill", fillv, 5);
  bp(&b, "} : (tensor<1x5x5x3xf32>) -> tensor<1x5x5x5xf32>\n");
  bp(&b, "  %%r1 = tosa.reduce_sum %%s {axis = 1 : i32} : (tensor<1x5x5x5xf32>) -> tensor<1x1x5x5xf32>\n");
  bp(&b, "  %%r2 = tosa.reduce_sum %%r1 {axis = 2 : i32} : (tensor<1x1x5x5xf32>) -> tensor<1x1x1x5xf32>\n");
  bp(&b, "  %%sh = tosa.const_shape {values = dense<[1, 5]> : tensor<2xindex>} : () -> !tosa.shape<2>\n");
  bp(&b, "  %%o = tosa.reshape %%r2, %%sh : (tensor<1x1x1x5xf32>, !tosa.shape<2>) -> tensor<1x5xf32>\n");
  bp(&b, "  return %%o : tensor<1x5xf32>\n}\n");
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  FILE *f = fopen(path, "w");
  if (!f)
    return 1;
  fputs(b.s, f);
  fclose(f);
  free(b.s);
  for (int s = 0; s < S; ++s) {
    const float *xs = x + s * H * W * C;
    for (int c = 0; c < 5; ++c)
      ref[s * 5 + c] = 25.f * fillv[c];
    for (int j = 0; j < N; ++j) {
      double tot = 0;
      for (int oh = 0; oh < H; ++oh)
        for (int ow = 0; ow < W; ++ow) {
          double acc = 0;
          for (int kh = 0; kh < 3; ++kh)
            for (int kw = 0; kw < 3; ++kw)
              for (int ci = 0; ci < C; ++ci) {
                int ih = oh - 1 + kh, iw = ow - 1 + kw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                  continue;
                acc += (double)xs[(ih * W + iw) * C + ci] *
                       (scale[j] * ((float)q[j * K + (kh * 3 + kw) * C + ci] - zp[j]));
              }
          tot += acc + bias[j];
        }
      ref[s * 5 + kept[j]] = (float)tot;
    }
  }
  return 0;
}

static int argmax5(const float *v) {
  int b = 0;
  for (int c = 1; c < 5; ++c)
    b = v[c] > v[b] ? c : b;
  return b;
}

/* model.mlir / reference.mlir (same conv, other fill values), inputs, labels, the expected logits
 * of model.mlir and the expected agreement and KL(softmax(reference) || softmax(model)). */
static int make_fq_model(const char *dir) {
  float x[FQ_S * FQ_H * FQ_W * FQ_C], ref[FQ_S * 5], ref2[FQ_S * 5];
  rng = 4242;
  fill(x, FQ_S * FQ_H * FQ_W * FQ_C, 1.f);
  const float fill_model[5] = {0.f, 1.5f, 0.f, 0.f, -2.f}, fill_ref[5] = {0.f, 0.2f, 0.f, 0.f, -2.f};
  if (write_fq_model(dir, "model.mlir", fill_model, x, ref) ||
      write_fq_model(dir, "reference.mlir", fill_ref, x, ref2))
    return 1;
  int64_t labels[FQ_S];
  int agree = 0;
  double kl = 0;
  for (int s = 0; s < FQ_S; ++s) {
    int best = argmax5(ref + s * 5);
    labels[s] = s % 2 ? best : (best + 1) % 5; /* top-1 = 3/6 by construction */
    agree += best == argmax5(ref2 + s * 5);
    double p[5], q[5], mp = -1e300, mq = -1e300, sp = 0, sq = 0;
    for (int c = 0; c < 5; ++c) {
      mp = fmax(mp, ref2[s * 5 + c]);
      mq = fmax(mq, ref[s * 5 + c]);
    }
    for (int c = 0; c < 5; ++c) {
      sp += p[c] = exp(ref2[s * 5 + c] - mp);
      sq += q[c] = exp(ref[s * 5 + c] - mq);
    }
    for (int c = 0; c < 5; ++c)
      kl += p[c] / sp * log((p[c] / sp) / (q[c] / sq));
  }
  int64_t dx[4] = {FQ_S, FQ_H, FQ_W, FQ_C}, dr[2] = {FQ_S, 5};
  ajpq_tensor_t lt = {.dtype = AJPQ_DTYPE_I64, .rank = 1, .numel = FQ_S, .data = labels};
  lt.dims[0] = FQ_S;
  char p1[4096], p2[4096], p3[4096], p4[4096];
  snprintf(p1, sizeof p1, "%s/inputs.npy", dir);
  snprintf(p2, sizeof p2, "%s/expected.npy", dir);
  snprintf(p3, sizeof p3, "%s/labels.npy", dir);
  snprintf(p4, sizeof p4, "%s/expected-metrics.txt", dir);
  ajpq_status_t st = ajpq_npy_write_f32(p1, x, 4, dx);
  if (!st)
    st = ajpq_npy_write_f32(p2, ref, 2, dr);
  if (!st)
    st = ajpq_npy_write(p3, &lt);
  if (st) {
    ajpq_status_fprint(stderr, "ajpq-executor-test", st);
    ajpq_status_free(st);
    return 1;
  }
  FILE *f = fopen(p4, "w");
  if (!f)
    return 1;
  fprintf(f, "agreement %.9g\nkl %.9g\n", (double)agree / FQ_S, kl / FQ_S);
  fclose(f);
  printf("wrote %s/model.mlir, reference.mlir, inputs.npy, labels.npy, expected.npy, "
         "expected-metrics.txt (agreement %d/%d)\n", dir, agree, FQ_S);
  return 0;
}

/* Checks that the runner's --json line in JSON has every "key value" of EXPECTED within a
 * relative tolerance. */
static int check_json(const char *json, const char *expected, double tol) {
  FILE *f = fopen(json, "r"), *g = fopen(expected, "r");
  char line[8192] = "", key[64];
  double want;
  int bad = 0;
  if (!f || !g || !fgets(line, sizeof line, f)) {
    printf("MISMATCH: cannot read %s or %s\n", json, expected);
    return 1;
  }
  while (fscanf(g, "%63s %lf", key, &want) == 2) {
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(line, pat);
    double got = p ? atof(p + strlen(pat)) : NAN;
    int ok = fabs(got - want) <= tol * fmax(1e-3, fabs(want));
    printf("%s %s: runner %.6g, independent %.6g\n", ok ? "MATCH" : "MISMATCH", key, got, want);
    bad |= !ok;
  }
  fclose(f);
  fclose(g);
  return bad;
}

static int compare_npy(const char *a, const char *b, double tol) {
  ajpq_tensor_t *x = NULL, *y = NULL;
  ajpq_status_t st = ajpq_npy_read(a, &x);
  if (!st)
    st = ajpq_npy_read(b, &y);
  if (st) {
    ajpq_status_fprint(stderr, "ajpq-executor-test", st);
    ajpq_status_free(st);
    ajpq_tensor_free(x);
    return 1;
  }
  int bad = x->numel != y->numel || x->rank != y->rank || x->dtype != AJPQ_DTYPE_F32 ||
            y->dtype != AJPQ_DTYPE_F32;
  for (int d = 0; !bad && d < x->rank; ++d)
    bad = x->dims[d] != y->dims[d];
  if (bad) {
    printf("MISMATCH shape/dtype\n");
  } else {
    double e = max_rel_err(x->data, y->data, x->numel);
    bad = !(e <= tol);
    printf("%s %lld values, max rel err %s %g\n", bad ? "MISMATCH" : "MATCH",
           (long long)x->numel, bad ? ">" : "<=", tol);
  }
  ajpq_tensor_free(x);
  ajpq_tensor_free(y);
  return bad;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--make-fq-model"))
    return make_fq_model(argv[2]);
  if (argc == 5 && !strcmp(argv[1], "--check-json"))
    return check_json(argv[2], argv[3], atof(argv[4]));
  if (argc == 5 && !strcmp(argv[1], "--compare"))
    return compare_npy(argv[2], argv[3], atof(argv[4]));
  ctx = ajpq_executor_context_create();
  test_ajpq_conv_f32();
  test_ajpq_int8();
  test_ajpq_matmul_gather_scatter();
  test_weight_swap();
  test_act_quant_and_calibration();
  test_batch();
  test_misc_tosa();
  test_errors();
  mlirContextDestroy(ctx);
  printf("%s (%d failures)\n", failures ? "FAILED" : "PASSED", failures);
  return failures ? 1 : 0;
}
